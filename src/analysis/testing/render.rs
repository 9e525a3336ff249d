//! The test report as text.
//!
//! In: a [`TestReport`] or a [`Coverage`].
//! Out: the text a test runner prints (one line per case, the failures with
//! actual offers and segments, diagnostics for bad files, the coverage
//! section and the final verdict), and the helpers that write lists and
//! numbers the same way in failure messages.

use super::{Coverage, FileError, TestReport};
use crate::base::diagnostic::{Code, Diagnostic};
use std::collections::HashSet;
use std::fmt::Write as _;

impl TestReport {
    /// Whether the run is a success: every case passed, every file was read,
    /// and at least one case ran (a filter that matches nothing is a failure,
    /// so that a mistyped filter cannot pass in CI).
    pub fn success(&self) -> bool {
        self.failed == 0 && self.file_errors.is_empty() && !self.cases.is_empty()
    }

    /// The report as a test runner prints it; with `coverage`, the coverage
    /// section before the final line. `color` paints diagnostics of bad files.
    pub fn to_text(&self, coverage: bool, color: bool) -> String {
        let mut out = String::new();
        let files: HashSet<&str> = self.cases.iter().map(|c| c.file.as_str()).collect();
        let _ = writeln!(
            out,
            "running {} case{} from {} file{}",
            self.cases.len(),
            plural(self.cases.len()),
            files.len(),
            plural(files.len())
        );
        for case in &self.cases {
            if case.passed {
                let _ = writeln!(out, "ok    {}", case.name);
                continue;
            }
            let place = case
                .line
                .map_or(case.file.clone(), |l| format!("{}:{l}", case.file));
            let _ = writeln!(out, "FAIL  {}  ({place})", case.name);
            for failure in &case.failures {
                for line in failure.lines() {
                    let _ = writeln!(out, "      {line}");
                }
            }
            if !case.segments.is_empty() {
                let offers: Vec<String> = case
                    .offers
                    .iter()
                    .map(|o| format!("{} {} ({})", o.service, number(o.gain), o.rule))
                    .collect();
                let _ = writeln!(out, "      actual offers: {}", list(&offers));
                let _ = writeln!(out, "      actual segments: {}", list(&case.segments));
            }
        }
        for error in &self.file_errors {
            out.push('\n');
            out.push_str(&self.render_file_error(error, color));
        }
        if coverage {
            out.push('\n');
            out.push_str(&self.coverage.to_text());
        }
        let verdict = if self.success() { "ok" } else { "FAILED" };
        let _ = write!(
            out,
            "\ntest result: {verdict}. {} passed; {} failed",
            self.passed, self.failed
        );
        if !self.file_errors.is_empty() {
            let n = self.file_errors.len();
            let _ = write!(out, "; {n} file{} with errors", plural(n));
        }
        if self.filter.is_some() {
            let _ = write!(out, "; {} filtered out", self.filtered_out);
        }
        if self.cases.is_empty()
            && let Some(filter) = &self.filter
        {
            let _ = write!(out, " (no case name contains `{filter}`)");
        }
        out.push('\n');
        out
    }

    fn render_file_error(&self, error: &FileError, color: bool) -> String {
        let mut diagnostic =
            Diagnostic::error_nowhere(error.code.unwrap_or(Code::Yaml), error.message.clone())
                .with_help_opt(error.help.clone());
        if let (Some(file), Some(line), Some(column)) = (error.source, error.line, error.column) {
            diagnostic.position = Some((file, line, column));
        }
        crate::base::render::render(&diagnostic, &self.sources, color)
    }
}

impl Coverage {
    /// Rules never fired, segments never entered, profiles never matched, and
    /// conditions never seen true or false, as text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let count = |n: usize, total: usize| format!("{n} of {total}");
        let fired = self.rules.iter().filter(|r| r.fired > 0).count();
        let entered = self.segments.iter().filter(|s| s.entered > 0).count();
        let matched = self.profiles.iter().filter(|p| p.matched > 0).count();
        let _ = writeln!(
            out,
            "coverage over {} case{}:",
            self.cases,
            plural(self.cases)
        );
        let _ = writeln!(
            out,
            "  rules fired        {}",
            count(fired, self.rules.len())
        );
        let _ = writeln!(
            out,
            "  segments entered   {}",
            count(entered, self.segments.len())
        );
        let _ = writeln!(
            out,
            "  profiles matched   {}",
            count(matched, self.profiles.len())
        );

        let mut section = |title: &str, lines: Vec<String>| {
            if !lines.is_empty() {
                let _ = writeln!(out, "  {title}:");
                for line in lines {
                    let _ = writeln!(out, "    {line}");
                }
            }
        };
        section(
            "rules never fired",
            (self.rules.iter().filter(|r| r.fired == 0))
                .map(|r| format!("{}  ({})", r.name, r.location))
                .collect(),
        );
        section(
            "offer rules that fired but never made an offer (overridden, suppressed or cut)",
            (self
                .rules
                .iter()
                .filter(|r| r.offers && r.fired > 0 && r.offered == 0))
            .map(|r| format!("{}  ({})", r.name, r.location))
            .collect(),
        );
        section(
            "segments never entered",
            (self.segments.iter().filter(|s| s.entered == 0))
                .map(|s| format!("{}  ({})", s.name, s.location))
                .collect(),
        );
        section(
            "profiles never matched",
            (self.profiles.iter().filter(|p| p.matched == 0))
                .map(|p| p.name.clone())
                .collect(),
        );
        let owners = (self.segments.iter())
            .map(|s| ("segment", &s.name, &s.condition))
            .chain(self.rules.iter().map(|r| ("rule", &r.name, &r.condition)));
        let (mut never_true, mut never_false) = (Vec::new(), Vec::new());
        for (kind, name, condition) in owners {
            let Some(c) = condition.as_ref().filter(|c| c.counts.reached()) else {
                continue;
            };
            // "never true" of a whole condition is already "never fired/entered".
            if c.counts.seen_false == 0 {
                never_false.push(format!("{kind} {name}: `{}`  ({})", c.text, c.location));
            }
            for part in &c.parts {
                let line = format!("{kind} {name}, part `{}`  ({})", part.text, part.location);
                if part.counts.seen_true == 0 {
                    never_true.push(line.clone());
                }
                if part.counts.seen_false == 0 {
                    never_false.push(line);
                }
            }
        }
        let everything = never_true.is_empty() && never_false.is_empty();
        section("conditions never seen true", never_true);
        section("conditions never seen false", never_false);
        let all = |n: usize, total: usize| n == total;
        if everything
            && all(fired, self.rules.len())
            && all(entered, self.segments.len())
            && all(matched, self.profiles.len())
            && self.rules.iter().all(|r| !r.offers || r.offered > 0)
        {
            out.push_str("  every rule made an offer or suppressed one, every segment and profile held, every condition was seen true and false\n");
        }
        out
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

pub(super) fn list<T: AsRef<str>>(items: &[T]) -> String {
    format!("[{}]", join(items))
}

pub(super) fn join<T: AsRef<str>>(items: &[T]) -> String {
    items
        .iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A number as people write it: at most four decimals, no trailing zeros.
pub(super) fn number(x: f64) -> String {
    let text = format!("{x:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.into()
    }
}
