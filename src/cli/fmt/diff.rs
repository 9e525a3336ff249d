//! A line diff in unified form, for `vasrec fmt --check`: what CI shows when
//! a rule file is not laid out. Rule files are a few hundred lines, so the
//! longest common subsequence over lines is quick; past a few million cells
//! the changed middle is shown as removed and added whole.

/// Lines around each change.
const CONTEXT: usize = 3;

/// Beyond this many cells the table is not built.
const MAX_CELLS: usize = 4_000_000;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Same,
    Removed,
    Added,
}

/// The unified diff of `before` and `after`, both shown under `name`; empty
/// when they are equal.
pub(super) fn unified(name: &str, before: &str, after: &str) -> String {
    if before == after {
        return String::new();
    }
    let old: Vec<&str> = before.split_inclusive('\n').collect();
    let new: Vec<&str> = after.split_inclusive('\n').collect();
    let ops = script(&old, &new);
    // Where each op stands in the old and the new file.
    let mut at = Vec::with_capacity(ops.len() + 1);
    let (mut o, mut n) = (0, 0);
    for op in &ops {
        at.push((o, n));
        match op {
            Op::Same => (o, n) = (o + 1, n + 1),
            Op::Removed => o += 1,
            Op::Added => n += 1,
        }
    }
    at.push((o, n));
    let mut out = format!("--- {name}\n+++ {name} (formatted)\n");
    let changes: Vec<usize> = (0..ops.len()).filter(|&i| ops[i] != Op::Same).collect();
    let mut k = 0;
    while let Some(&first) = changes.get(k) {
        let mut last = first;
        while let Some(&next) = changes.get(k + 1)
            && next <= last + 2 * CONTEXT + 1
        {
            last = next;
            k += 1;
        }
        k += 1;
        let start = first.saturating_sub(CONTEXT);
        let end = (last + 1 + CONTEXT).min(ops.len());
        let (old_start, new_start) = at[start];
        let (old_end, new_end) = at[end];
        out.push_str(&format!(
            "@@ -{} +{} @@\n",
            range(old_start, old_end - old_start),
            range(new_start, new_end - new_start)
        ));
        for i in start..end {
            let (o, n) = at[i];
            let (mark, line) = match ops[i] {
                Op::Same => (' ', old[o]),
                Op::Removed => ('-', old[o]),
                Op::Added => ('+', new[n]),
            };
            out.push(mark);
            out.push_str(line.trim_end_matches(['\n', '\r']));
            out.push('\n');
        }
    }
    if before.contains("\r\n") {
        out.push_str("(the file's CRLF line endings become LF)\n");
    }
    out
}

/// `start,count` with a 1-based start, as unified diffs write ranges: a
/// count of one is left out, and an empty range starts at the line before.
fn range(start: usize, count: usize) -> String {
    match count {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        _ => format!("{},{count}", start + 1),
    }
}

/// The edit script from `old` to `new`: removals before additions at each
/// change, so a changed line reads as `-` then `+`.
fn script(old: &[&str], new: &[&str]) -> Vec<Op> {
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let a = &old[prefix..old.len() - suffix];
    let b = &new[prefix..new.len() - suffix];
    let mut ops = vec![Op::Same; prefix];
    if a.len().saturating_mul(b.len()) > MAX_CELLS {
        ops.extend(std::iter::repeat_n(Op::Removed, a.len()));
        ops.extend(std::iter::repeat_n(Op::Added, b.len()));
    } else {
        // common[i * w + j]: the longest common subsequence of a[i..] and b[j..].
        let w = b.len() + 1;
        let mut common = vec![0u32; (a.len() + 1) * w];
        for i in (0..a.len()).rev() {
            for j in (0..b.len()).rev() {
                common[i * w + j] = if a[i] == b[j] {
                    common[(i + 1) * w + j + 1] + 1
                } else {
                    common[(i + 1) * w + j].max(common[i * w + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            if i < a.len() && j < b.len() && a[i] == b[j] {
                ops.push(Op::Same);
                (i, j) = (i + 1, j + 1);
            } else if i < a.len()
                && (j == b.len() || common[(i + 1) * w + j] >= common[i * w + j + 1])
            {
                ops.push(Op::Removed);
                i += 1;
            } else {
                ops.push(Op::Added);
                j += 1;
            }
        }
    }
    ops.extend(std::iter::repeat_n(Op::Same, suffix));
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_changed_line_with_context() {
        let before = "a\nb\nc\nd\ne\nf\ng\nh\n";
        let after = "a\nb\nc\nd\nE\nf\ng\nh\n";
        assert_eq!(
            unified("x.vas", before, after),
            "--- x.vas\n+++ x.vas (formatted)\n@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n"
        );
    }

    #[test]
    fn far_apart_changes_are_two_hunks() {
        let line = |i: usize| match i {
            2 => "two\n".to_string(),
            27 => "x\n".to_string(),
            _ => format!("{i}\n"),
        };
        let before: String = (0..30).map(|i| format!("{i}\n")).collect();
        let after: String = (0..30).map(line).collect();
        let diff = unified("x.vas", &before, &after);
        assert_eq!(diff.matches("@@ -").count(), 2, "{diff}");
        assert!(
            diff.contains("@@ -1,6 +1,6 @@\n 0\n 1\n-2\n+two\n"),
            "{diff}"
        );
        assert!(
            diff.contains("@@ -25,6 +25,6 @@\n 24\n 25\n 26\n-27\n+x\n 28\n 29\n"),
            "{diff}"
        );
    }

    #[test]
    fn ranges_as_unified_diffs_write_them() {
        assert_eq!(range(0, 1), "1");
        assert_eq!(range(4, 0), "4,0");
        assert_eq!(range(4, 3), "5,3");
        let diff = unified("x", "one line\n", "one\nline\n");
        assert!(
            diff.contains("@@ -1 +1,2 @@\n-one line\n+one\n+line\n"),
            "{diff}"
        );
    }

    #[test]
    fn equal_texts_give_nothing_and_crlf_is_named() {
        assert_eq!(unified("x", "a\n", "a\n"), "");
        let diff = unified("x", "a\r\nb\r\n", "a\nb\n");
        assert!(
            diff.ends_with("(the file's CRLF line endings become LF)\n"),
            "{diff}"
        );
        assert!(diff.contains("@@ -1,2 +1,2 @@\n-a\n-b\n+a\n+b\n"), "{diff}");
    }
}
