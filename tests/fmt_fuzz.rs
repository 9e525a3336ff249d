//! `vasrec fmt` on mutated rule files: the fuzz corpus of `fuzz.rs`, a
//! mutator aimed at the layout, and white space shuffled between tokens.
//! What still parses must format stably, and a package that still loads must
//! compile to an engine that behaves the same once formatted.

#[path = "../benches/support/package_gen.rs"]
mod package_gen;

mod common;
mod fmt_support;

use common::fuzz::{iterations, mutate};
use common::rng::{self, Rng};
use common::{files_with_extension, root};
use fmt_support::{borrowed, fmt, package, same_engine};
use vasrec::Engine;
use vasrec::layout::format_source;

// ---- the fuzz corpus (tests/common/fuzz.rs) ------------------------------

/// Mutates one bundled file per round as tests/fuzz.rs's rule-file test
/// does (one generator, a file chosen, then mutated): what still parses must
/// format stably, and a package that still loads must compile to the same
/// engine once formatted. Returns how many rounds parsed and loaded.
fn format_mutations(mut rng: Rng, mutate: fn(&mut Rng, &str) -> String) -> (usize, usize) {
    let dir = root().join("rules");
    let (catalog, files) = package(&dir);
    let sample = dir.join("customers.csv");
    let (mut parsed, mut loaded) = (0, 0);
    for round in 0..iterations() {
        let mut mutated = files.clone();
        // Rule files only (they come first; the tables' CSV files follow).
        let rule_files = files.iter().filter(|(n, _)| n.ends_with(".vas")).count();
        let which = rng.below(rule_files);
        mutated[which].1 = mutate(&mut rng, &mutated[which].1);
        let Ok(once) = format_source(&mutated[which].1) else {
            continue;
        };
        parsed += 1;
        assert_eq!(fmt(&once), once, "round {round}:\n{}", mutated[which].1);
        // A package that loads has no syntax error in any file.
        if Engine::from_sources(&catalog, &borrowed(&mutated)).is_ok() {
            same_engine(&format!("round {round}"), &catalog, &mutated, &sample, 50);
            loaded += 1;
        }
    }
    (parsed, loaded)
}

#[test]
fn the_fuzz_corpus_formats_stably_and_keeps_its_engine() {
    // Seed 1: the corpus of tests/fuzz.rs's `mutated_rule_files_never_panic`.
    let (parsed, loaded) = format_mutations(Rng(1), mutate);
    let rounds = iterations();
    assert!(
        parsed * 5 >= rounds && loaded > 0,
        "{parsed} of {rounds} parsed, {loaded} loaded"
    );
}

/// Tokens that move the layout rather than break the syntax: comments,
/// blank lines, tabs, full-width spaces, CRLF.
const LAYOUT_TOKENS: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "\"",
    "#",
    ",",
    "-",
    "not",
    "and",
    "or",
    "in",
    "==",
    ">=",
    "/",
    "%",
    "when",
    "offer",
    "gain",
    "priority",
    "because",
    "pref.",
    "uses(",
    "1_0.50",
    "0",
    "\r\n",
    "\t",
    "\u{3000}",
    "高价值",
    "true",
    "\n  ",
    "\n\n",
    " # note\n",
    "\n# own line\n",
];

/// A mutator of this file's own, aimed at the layout: cuts, repeated
/// slices and inserted [`LAYOUT_TOKENS`], which put comments, blank lines
/// and odd white space where the fuzz generator's dictionary mostly breaks
/// tokens (about a quarter of the mutations still parse, against a third).
fn mutate_layout(rng: &mut Rng, input: &str) -> String {
    let mut bytes = input.as_bytes().to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(3) {
            0 if !bytes.is_empty() => {
                let end = (at + rng.below(40)).min(bytes.len());
                bytes.drain(at.min(end)..end);
            }
            1 => {
                let token = LAYOUT_TOKENS[rng.below(LAYOUT_TOKENS.len())];
                bytes.splice(at..at, token.bytes());
            }
            _ if !bytes.is_empty() => {
                let start = at.min(bytes.len() - 1);
                let end = (start + rng.below(200)).min(bytes.len());
                let copy: Vec<u8> = bytes[start..end].to_vec();
                bytes.splice(start..start, copy);
            }
            _ => {}
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn layout_mutations_format_stably_and_keep_their_engine() {
    let (parsed, loaded) = format_mutations(Rng(11), mutate_layout);
    let rounds = iterations();
    assert!(
        parsed * 5 >= rounds && loaded > 0,
        "{parsed} of {rounds} parsed, {loaded} loaded"
    );
}

/// Spaces, tabs and full-width spaces between tokens are not part of the
/// layout: any of them, anywhere on a line, give the same file (lines with a
/// comment are left alone, since the space before a comment is kept).
#[test]
fn horizontal_white_space_does_not_matter() {
    let mut rng = Rng(5);
    let mut files: Vec<String> = files_with_extension(&root().join("rules"), "vas")
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    files.extend(
        package_gen::generate(&package_gen::Params::new(100, 30))
            .files
            .into_iter()
            .map(|(_, t)| t),
    );
    let mut respaced_files = 0;
    for text in files.iter().filter(|t| !t.contains("script")) {
        let respaced: String = text
            .split_inclusive('\n')
            .map(|line| {
                if line.contains('#') {
                    line.to_string()
                } else {
                    respace(&mut rng, line)
                }
            })
            .collect();
        assert_ne!(&respaced, text);
        assert_eq!(fmt(&respaced), fmt(text), "respaced:\n{respaced}");
        respaced_files += 1;
    }
    assert!(respaced_files >= 6);
}

/// Replaces each space outside texts with 1 to 3 random blanks, and adds
/// some around brackets and commas.
fn respace(rng: &mut Rng, line: &str) -> String {
    const BLANKS: [&str; 4] = [" ", "\t", "\u{3000}", "  "];
    let mut out = String::new();
    let mut in_text = false;
    let mut escaped = false;
    for c in line.chars() {
        if in_text {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_text = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_text = true;
                out.push(c);
            }
            ' ' => {
                for _ in 0..1 + rng.below(3) {
                    out.push_str(BLANKS[rng.below(BLANKS.len())]);
                }
            }
            '(' | ')' | '[' | ']' | ',' => {
                if rng.below(2) == 0 {
                    out.push(' ');
                }
                out.push(c);
                if rng.below(2) == 0 {
                    out.push('\t');
                }
            }
            _ => out.push(c),
        }
    }
    out
}
