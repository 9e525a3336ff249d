//! README's shell examples, run: README cannot drift from the program.
//!
//! Every ```` ```console ```` block of README.md is a little session. A line
//! starting with `$ ` is a command (a line ending in `\` continues it); the
//! lines after it, up to the next `$ ` line or the end of the block, are what
//! it prints, standard output and standard error in the order a reader sees
//! them. In the expected output:
//!
//! - a line that is exactly `...` matches any number of lines (none included),
//!   so README can show only the part that matters;
//! - `[..]` inside a line matches any text on that line;
//! - trailing whitespace and trailing empty lines do not count.
//!
//! A command must exit 0, unless it ends with the comment `# exits N`.
//!
//! The commands of a block run one after the other with `sh`, in a fresh
//! temporary folder holding a copy of the repository's `rules/`,
//! `examples/airline/` and `examples/servqual/` (made a git repository with
//! one commit when the block mentions git), with `vasrec` (this build) first on the PATH and `NO_COLOR`
//! set. So a block may edit a rule file and then run `vasrec diff`, and
//! nothing a block writes touches the checkout. A command may write a file
//! with a here-document (`cat > rules/x.vas <<'EOF'` ... `EOF`). Blocks
//! tagged ```` ```console NAME ```` with the same NAME share one folder, in
//! README's order, so README can tell a story with prose between the steps.
//!
//! README's ```` ```sh ````, ```` ```bash ```` and ```` ```shell ```` blocks
//! are not run; they may only hold the set-up commands listed in
//! [`NOT_RUN`]. Anything else must be a ```` ```console ```` block, with its
//! output.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// README must have at least this many console blocks: a parser that finds
/// none would otherwise pass.
const MIN_BLOCKS: usize = 20;

/// Commands README may show in a plain shell block without running them, each
/// for its reason. A line matches when it starts with one of these.
const NOT_RUN: &[(&str, &str)] = &[
    (
        "cargo run --release -- dry-run",
        "set-up: builds vasrec; CI runs it",
    ),
    ("cargo test", "set-up: the test suite itself"),
    ("cargo install --path .", "set-up: installs vasrec"),
    (
        "cd editors/vscode && npm ci && npm run package",
        "set-up: packages the VS Code extension; .ci/run runs it",
    ),
    ("cargo bench", "performance: minutes of measurement"),
    (
        "cargo run --release --example",
        "generators and benchmarks: minutes",
    ),
    ("benches/e2e.sh", "performance: a million customers"),
    ("VASREC_FUZZ_ITERATIONS=", "a fuzz run of many minutes"),
    (
        "vasrec serve",
        "a server runs until stopped; tests/serve.rs starts it (feature serve)",
    ),
    (
        "curl -s ",
        "needs the server; tests/serve.rs sends these requests and checks the answers",
    ),
    (
        "cargo build --release --features serve",
        "performance: the load test's build",
    ),
    (
        "vasrec dry-run --customers customers.parquet",
        "needs the feature arrow; tests/arrow.rs runs it on the sample as Parquet",
    ),
    (
        "vasrec score --customers customers.parquet",
        "needs the feature arrow; tests/arrow.rs runs it on the sample as Parquet",
    ),
    (
        "vasrec diff --base old-rules --rules rules --customers customers.arrow",
        "needs the feature arrow; tests/arrow.rs runs it on the sample as Arrow IPC",
    ),
    (
        "vasrec explain --customers customers.parquet",
        "needs the feature arrow; tests/arrow.rs runs it on the sample as Parquet",
    ),
    (
        "target/release/vasrec serve",
        "performance: the load test's server",
    ),
    (
        "target/release/examples/serve_load",
        "performance: the load test, seconds per run",
    ),
    ("kill %1", "performance: stops the load test's server"),
    (
        "pip install maturin",
        "set-up: the Python package's build tool; .ci/run installs it",
    ),
    (
        "cd python && maturin build --release",
        "set-up: builds the Python wheel; .ci/run builds it and python/tests/test_wheel.py runs README's example in a fresh virtualenv",
    ),
    (
        "pip install target/wheels/vasrec-",
        "set-up: installs the wheel; python/tests/test_wheel.py does it in a fresh virtualenv",
    ),
    (
        "python examples/spark/score_job.py",
        "performance: the Spark job over a million customers, minutes",
    ),
    (
        "spark-submit ",
        "a Spark job; python/tests/test_spark.py runs examples/spark/score_job.py in local mode",
    ),
];

/// One command of a console block and what README says it prints.
#[derive(Debug, Clone, PartialEq)]
struct Example {
    /// README line of the `$ ` line (1-based).
    line: usize,
    command: String,
    expected: Vec<String>,
    exit: i32,
}

/// One ```` ```console ```` block.
#[derive(Debug, Clone, PartialEq)]
struct Block {
    /// README line of the opening fence (1-based).
    line: usize,
    /// ```` ```console NAME ````: blocks with the same name run one after the
    /// other in the same folder, so README can tell a story between them.
    session: Option<String>,
    examples: Vec<Example>,
}

/// A fenced block: its tag, the line of its opening fence, its lines (with
/// the fence's indentation taken off).
struct Fence {
    tag: String,
    line: usize,
    lines: Vec<String>,
}

impl Fence {
    /// The first word of the info string.
    fn language(&self) -> &str {
        self.tag.split_whitespace().next().unwrap_or("")
    }
}

fn fences(markdown: &str) -> Vec<Fence> {
    let mut fences = Vec::new();
    let mut open: Option<(usize, Fence)> = None;
    for (n, raw) in markdown.lines().enumerate() {
        let trimmed = raw.trim_start();
        let indent = raw.len() - trimmed.len();
        match &mut open {
            None => {
                if let Some(tag) = trimmed.strip_prefix("```") {
                    open = Some((
                        indent,
                        Fence {
                            tag: tag.trim().to_string(),
                            line: n + 1,
                            lines: Vec::new(),
                        },
                    ));
                }
            }
            Some((fence_indent, fence)) => {
                if trimmed.starts_with("```") && trimmed.trim_end() == "```" {
                    fences.push(open.take().map(|(_, f)| f).unwrap());
                } else {
                    let cut = raw.len() - raw.trim_start().len();
                    fence.lines.push(raw[cut.min(*fence_indent)..].to_string());
                }
            }
        }
    }
    fences
}

/// The exit status a command announces with a trailing `# exits N` (default 0).
fn announced_exit(command: &str) -> i32 {
    command
        .lines()
        .last()
        .and_then(|last| last.rsplit_once("# exits "))
        .and_then(|(_, n)| n.trim().parse().ok())
        .unwrap_or(0)
}

/// The end word of a here-document the command opens (`<<'EOF'`, `<<EOF`, `<<-EOF`).
fn here_document_end(command: &str) -> Option<String> {
    let (_, after) = command.split_once("<<")?;
    let after = after.strip_prefix('-').unwrap_or(after).trim_start();
    let word: String = after
        .trim_start_matches(['\'', '"'])
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!word.is_empty()).then_some(word)
}

/// The commands of a console block's lines, each with its expected output.
fn examples(first_line: usize, lines: &[String]) -> Vec<Example> {
    let mut examples: Vec<Example> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = &lines[i];
        if let Some(command) = line.strip_prefix("$ ") {
            let start = i;
            let mut command = command.to_string();
            while command.trim_end().ends_with('\\') && i + 1 < lines.len() {
                i += 1;
                command.push('\n');
                command.push_str(&lines[i]);
            }
            // A here-document's lines belong to the command, up to its end word.
            if let Some(end) = here_document_end(&command) {
                while i + 1 < lines.len() {
                    i += 1;
                    command.push('\n');
                    command.push_str(&lines[i]);
                    if lines[i].trim() == end {
                        break;
                    }
                }
            }
            examples.push(Example {
                line: first_line + 1 + start,
                exit: announced_exit(&command),
                command,
                expected: Vec::new(),
            });
        } else if let Some(example) = examples.last_mut() {
            example.expected.push(line.clone());
        }
        i += 1;
    }
    examples
}

fn console_blocks(markdown: &str) -> Vec<Block> {
    fences(markdown)
        .into_iter()
        .filter(|f| f.language() == "console")
        .map(|f| Block {
            line: f.line,
            session: f.tag.split_whitespace().nth(1).map(str::to_string),
            examples: examples(f.line, &f.lines),
        })
        .collect()
}

/// Commands of sh/bash/shell blocks that the allow-list does not cover, with
/// their README lines.
fn unrun_shell_commands(markdown: &str) -> Vec<(usize, String)> {
    let mut unrun = Vec::new();
    for fence in fences(markdown) {
        if !matches!(fence.language(), "sh" | "bash" | "shell") {
            continue;
        }
        let mut i = 0;
        while i < fence.lines.len() {
            let start = i;
            let mut command = fence.lines[i].trim().to_string();
            while command.ends_with('\\') && i + 1 < fence.lines.len() {
                i += 1;
                command.push(' ');
                command.push_str(fence.lines[i].trim());
            }
            i += 1;
            if command.is_empty() || command.starts_with('#') {
                continue;
            }
            if !NOT_RUN
                .iter()
                .any(|(prefix, _)| command.starts_with(prefix))
            {
                unrun.push((fence.line + 1 + start, command));
            }
        }
    }
    unrun
}

// ---- matching -----------------------------------------------------------------

/// One line against a pattern line where `[..]` matches any text.
fn line_matches(pattern: &str, line: &str) -> bool {
    let pattern = pattern.trim_end();
    let line = line.trim_end();
    let parts: Vec<&str> = pattern.split("[..]").collect();
    if parts.len() == 1 {
        return pattern == line;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !line.starts_with(first) || line.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &line[first.len()..];
    if !rest.ends_with(last) {
        return false;
    }
    rest = &rest[..rest.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// Lines without trailing whitespace and without trailing empty lines.
fn normalised<S: AsRef<str>>(lines: &[S]) -> Vec<&str> {
    let mut lines: Vec<&str> = lines.iter().map(|l| l.as_ref().trim_end()).collect();
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

/// Whether the actual lines match the expected ones, `...` lines matching any
/// number of lines (wildcard matching with backtracking to the last `...`).
fn output_matches<S: AsRef<str>, T: AsRef<str>>(expected: &[S], actual: &[T]) -> bool {
    let expected = normalised(expected);
    let actual = normalised(actual);
    let (mut e, mut a) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while a < actual.len() {
        if e < expected.len() && expected[e] == "..." {
            star = Some((e, a));
            e += 1;
        } else if e < expected.len() && line_matches(expected[e], actual[a]) {
            e += 1;
            a += 1;
        } else if let Some((star_e, star_a)) = star {
            e = star_e + 1;
            a = star_a + 1;
            star = Some((star_e, star_a + 1));
        } else {
            return false;
        }
    }
    while e < expected.len() && expected[e] == "..." {
        e += 1;
    }
    e == expected.len()
}

// ---- running --------------------------------------------------------------------

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else if kind.is_file() {
            std::fs::copy(&path, to.join(entry.file_name())).unwrap();
        }
    }
}

fn shell(dir: &Path, script: &str) -> (i32, String) {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_vasrec"));
    let bin_dir = bin.parent().unwrap();
    let path = match std::env::var_os("PATH") {
        Some(path) => {
            let mut dirs = vec![bin_dir.to_path_buf()];
            dirs.extend(std::env::split_paths(&path));
            std::env::join_paths(dirs).unwrap()
        }
        None => bin_dir.as_os_str().to_owned(),
    };
    // `exec 2>&1` first, so the command's own trailing comment cannot swallow
    // the redirection and both streams arrive in the order they were written.
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("exec 2>&1\n{script}\n"))
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .env("HOME", dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "README")
        .env("GIT_AUTHOR_EMAIL", "readme@example.com")
        .env("GIT_COMMITTER_NAME", "README")
        .env("GIT_COMMITTER_EMAIL", "readme@example.com")
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

/// A fresh folder for blocks: `rules/`, `examples/airline/` and
/// `examples/servqual/`, and a git
/// repository when a block uses git.
fn workspace<'a>(mut blocks: impl Iterator<Item = &'a Block>) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("vasrec-readme-")
        .tempdir()
        .unwrap();
    copy_dir(&root().join("rules"), &dir.path().join("rules"));
    for example in ["examples/airline", "examples/servqual"] {
        copy_dir(&root().join(example), &dir.path().join(example));
    }
    if blocks.any(|b| b.examples.iter().any(|e| e.command.contains("git"))) {
        let (code, text) = shell(
            dir.path(),
            "git -c init.defaultBranch=main init -q && git add -A && git commit -q -m 'README example'",
        );
        assert_eq!(code, 0, "git init in {}: {text}", dir.path().display());
    }
    dir
}

/// Runs a block in a folder of its own.
fn run_block(block: &Block) -> Vec<String> {
    let dir = workspace(std::iter::once(block));
    run_block_in(block, dir.path())
}

/// Runs the blocks, each in a fresh folder or in its session's folder.
fn run_blocks(blocks: &[Block]) -> Vec<String> {
    let mut sessions: HashMap<&str, tempfile::TempDir> = HashMap::new();
    let mut failures = Vec::new();
    for block in blocks {
        match block.session.as_deref() {
            Some(name) => {
                let dir = sessions.entry(name).or_insert_with(|| {
                    workspace(blocks.iter().filter(|b| b.session.as_deref() == Some(name)))
                });
                failures.extend(run_block_in(block, dir.path()));
            }
            None => failures.extend(run_block(block)),
        }
    }
    failures
}

/// Runs a block's commands in `dir`; one message per example whose output or
/// exit status differs from README's.
fn run_block_in(block: &Block, dir: &Path) -> Vec<String> {
    let mut failures = Vec::new();
    for example in &block.examples {
        let (code, actual) = shell(dir, &example.command);
        let actual_lines: Vec<&str> = actual.lines().collect();
        let output_ok = output_matches(&example.expected, &actual_lines);
        if output_ok && code == example.exit {
            continue;
        }
        let mut why = Vec::new();
        if code != example.exit {
            why.push(format!(
                "exit status {code}, README expects {}",
                example.exit
            ));
        }
        if !output_ok {
            why.push("output differs".to_string());
        }
        failures.push(format!(
            "README.md:{} (block at line {}): {}\n$ {}\n--- expected\n{}\n--- actual (exit {code})\n{}",
            example.line,
            block.line,
            why.join(", "),
            example.command,
            example.expected.join("\n"),
            actual.trim_end(),
        ));
    }
    failures
}

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).unwrap()
}

#[test]
fn readme_console_examples_run_as_shown() {
    let blocks = console_blocks(&readme());
    let commands: usize = blocks.iter().map(|b| b.examples.len()).sum();
    assert!(
        blocks.len() >= MIN_BLOCKS,
        "README has {} console blocks, fewer than {MIN_BLOCKS}: is the parser broken?",
        blocks.len()
    );
    for block in &blocks {
        assert!(
            !block.examples.is_empty(),
            "README.md:{}: a console block without a `$ ` command",
            block.line
        );
    }
    let started = Instant::now();
    let failures = run_blocks(&blocks);
    eprintln!(
        "README: {} blocks, {commands} commands in {:.1} s",
        blocks.len(),
        started.elapsed().as_secs_f64()
    );
    if !failures.is_empty() {
        panic!(
            "{} of README's {commands} example commands do not do what README shows:\n\n{}",
            failures.len(),
            failures.join("\n\n")
        );
    }
}

#[test]
fn readme_shell_blocks_hold_only_set_up_commands() {
    let unrun = unrun_shell_commands(&readme());
    assert!(
        unrun.is_empty(),
        "README shows commands the README test does not run; make them ```console blocks with their output:\n{}",
        unrun
            .iter()
            .map(|(line, command)| format!("README.md:{line}: {command}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn readme_keeps_the_two_set_up_commands_ci_relies_on() {
    let readme = readme();
    let setup = fences(&readme)
        .into_iter()
        .find(|f| f.language() == "sh")
        .expect("README's first sh block: the set-up commands");
    let commands: Vec<&str> = setup
        .lines
        .iter()
        .map(|l| l.split('#').next().unwrap().trim())
        .collect();
    assert!(commands.contains(&"cargo run --release -- dry-run"));
    assert!(commands.contains(&"cargo test"));
}

// ---- the harness's own tests ---------------------------------------------------

#[test]
fn a_line_matches_itself_and_ignores_trailing_spaces() {
    assert!(line_matches("ok  rules", "ok  rules   "));
    assert!(!line_matches("ok  rules", "ok rules"));
    assert!(!line_matches("ok", "ok then"));
}

#[test]
fn brackets_match_any_text_on_one_line() {
    assert!(line_matches("wrote [..] rows", "wrote 5000 rows"));
    assert!(line_matches("wrote [..] rows", "wrote  rows"));
    assert!(line_matches("[..]", "anything"));
    assert!(line_matches("a[..]b[..]c", "a--b--c"));
    assert!(line_matches("[..]: 3 errors", "rules/x.vas: 3 errors"));
    assert!(!line_matches("wrote [..] rows", "wrote 5000 lines"));
    assert!(!line_matches("a[..]b[..]c", "a--c--b"));
    // The prefix and suffix may not overlap.
    assert!(!line_matches("ab[..]bc", "abc"));
}

#[test]
fn dots_match_any_number_of_lines() {
    let actual = ["first", "second", "third", "last"];
    assert!(output_matches(&["first", "...", "last"], &actual));
    assert!(output_matches(&["...", "third", "last"], &actual));
    assert!(output_matches(&["first", "..."], &actual));
    assert!(output_matches(&["..."], &actual));
    assert!(output_matches(&["..."], &[] as &[&str]));
    assert!(output_matches(
        &["first", "...", "second", "...", "last"],
        &actual
    ));
    // `...` may stand for no line at all.
    assert!(output_matches(
        &["first", "...", "second", "third", "last"],
        &actual
    ));
    assert!(!output_matches(
        &["first", "...", "missing", "..."],
        &actual
    ));
    assert!(!output_matches(&["first", "last"], &actual));
    assert!(!output_matches(&["second", "..."], &actual));
    assert!(!output_matches(&["...", "third"], &actual));
}

#[test]
fn output_must_match_exactly_without_dots() {
    assert!(output_matches(&["a", "b", ""], &["a", "b"]));
    assert!(output_matches(&[] as &[&str], &[""]));
    assert!(!output_matches(&[] as &[&str], &["something"]));
    assert!(!output_matches(&["a"], &["a", "b"]));
    assert!(!output_matches(&["a", "b"], &["a"]));
}

#[test]
fn console_blocks_split_into_commands_outputs_and_exit_statuses() {
    let markdown = "text\n\n```console\n$ vasrec check rules\nok\n\n$ vasrec test broken   # exits 1\nFAIL\n...\n$ vasrec calibrate \\\n  --survey s.csv\ndone\n```\n\n```sh\ncargo test\n```\n";
    let blocks = console_blocks(markdown);
    assert_eq!(blocks.len(), 1);
    let block = &blocks[0];
    assert_eq!(block.line, 3);
    assert_eq!(block.examples.len(), 3);
    assert_eq!(block.examples[0].line, 4);
    assert_eq!(block.examples[0].command, "vasrec check rules");
    assert_eq!(block.examples[0].expected, ["ok", ""]);
    assert_eq!(block.examples[0].exit, 0);
    assert_eq!(block.examples[1].exit, 1);
    assert_eq!(block.examples[1].expected, ["FAIL", "..."]);
    assert_eq!(
        block.examples[2].command,
        "vasrec calibrate \\\n  --survey s.csv"
    );
    assert_eq!(block.examples[2].expected, ["done"]);
}

#[test]
fn here_documents_belong_to_their_command() {
    let markdown = "```console\n$ cat > rules/new.vas <<'EOF'\nrule x for everyone {\n$ not a command\n}\nEOF\n$ vasrec check\nfine\n```\n";
    let blocks = console_blocks(markdown);
    assert_eq!(blocks[0].examples.len(), 2);
    assert_eq!(
        blocks[0].examples[0].command,
        "cat > rules/new.vas <<'EOF'\nrule x for everyone {\n$ not a command\n}\nEOF"
    );
    assert!(blocks[0].examples[0].expected.is_empty());
    assert_eq!(here_document_end("cat <<EOF > x"), Some("EOF".to_string()));
    assert_eq!(here_document_end("cat <<-\"END\""), Some("END".to_string()));
    assert_eq!(here_document_end("vasrec check"), None);
}

#[test]
fn named_blocks_share_a_folder_and_others_do_not() {
    let markdown = "```console story\n$ echo kept > note.txt\n```\n\n```console\n$ cat note.txt   # exits 1\n...\n```\n\n```console story\n$ cat note.txt\nkept\n```\n";
    let blocks = console_blocks(markdown);
    assert_eq!(blocks[0].session.as_deref(), Some("story"));
    assert_eq!(blocks[1].session, None);
    let failures = run_blocks(&blocks);
    assert!(failures.is_empty(), "{failures:?}");
}

#[test]
fn indented_fences_lose_their_indentation() {
    let markdown = "- item\n\n  ```console\n  $ echo hi\n  hi\n  ```\n";
    let blocks = console_blocks(markdown);
    assert_eq!(blocks[0].examples[0].command, "echo hi");
    assert_eq!(blocks[0].examples[0].expected, ["hi"]);
}

#[test]
fn shell_blocks_may_hold_only_the_allowed_set_up_commands() {
    let markdown = "```sh\ncargo run --release -- dry-run   # build\ncargo test\n# a comment\nvasrec check rules\n```\n\n```bash\ncargo run --release -- score \\\n  --out x\n```\n";
    assert_eq!(
        unrun_shell_commands(markdown),
        [
            (5, "vasrec check rules".to_string()),
            (9, "cargo run --release -- score \\ --out x".to_string())
        ]
    );
}

#[test]
fn the_runner_checks_output_and_exit_status() {
    let block = |command: &str, expected: &[&str], exit: i32| Block {
        line: 1,
        session: None,
        examples: vec![Example {
            line: 2,
            command: command.to_string(),
            expected: expected.iter().map(|s| s.to_string()).collect(),
            exit,
        }],
    };
    assert!(run_block(&block("echo hello", &["hello"], 0)).is_empty());
    // Standard error is shown after standard output, in the order written.
    assert!(
        run_block(&block(
            "echo out; echo err >&2; echo out2",
            &["out", "err", "out2"],
            0
        ))
        .is_empty()
    );
    // A trailing comment does not swallow standard error.
    assert!(run_block(&block("echo err >&2   # a comment", &["err"], 0)).is_empty());
    // The copies of rules/ and examples/airline/ are there.
    assert!(
        run_block(&block(
            "ls rules/catalog.yaml examples/airline/catalog.yaml",
            &["..."],
            0
        ))
        .is_empty()
    );
    // vasrec is this build.
    assert!(run_block(&block("command -v vasrec", &["[..]/vasrec"], 0)).is_empty());
    let wrong_output = run_block(&block("echo hello", &["bye"], 0));
    assert_eq!(wrong_output.len(), 1);
    assert!(
        wrong_output[0].contains("output differs"),
        "{}",
        wrong_output[0]
    );
    assert!(
        wrong_output[0].contains("\nhello"),
        "the full actual output: {}",
        wrong_output[0]
    );
    let failing = run_block(&block("echo no; exit 1", &["no"], 0));
    assert_eq!(failing.len(), 1);
    assert!(
        failing[0].contains("exit status 1, README expects 0"),
        "{}",
        failing[0]
    );
    assert!(run_block(&block("echo no; exit 1   # exits 1", &["no"], 1)).is_empty());
    let wrong_code = run_block(&block("exit 2   # exits 1", &[], 1));
    assert!(wrong_code[0].contains("exit status 2, README expects 1"));
    assert_eq!(announced_exit("vasrec test broken   # exits 1"), 1);
    assert_eq!(announced_exit("vasrec check rules   # prints nothing"), 0);
}
