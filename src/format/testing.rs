//! The rule test report as text.
//!
//! In: a [`TestReport`] or a [`Coverage`].
//! Out: the text a test runner prints: one line per case, the failures with
//! actual offers and segments, diagnostics for bad files, the coverage
//! section and the final verdict. Lists and numbers are written as in the
//! failure messages (`testing::words`, `number::trimmed`).

use crate::analysis::testing::words::list;
use crate::analysis::testing::{Coverage, FileError, TestReport};
use crate::base::diagnostic::{Code, Diagnostic};
use crate::base::number::trimmed;
use std::collections::HashSet;
use std::fmt::Write as _;

impl TestReport {
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
                    .map(|o| format!("{} {} ({})", o.service, trimmed(o.gain), o.rule))
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
        let fired = self.rules.iter().filter(|r| r.fired > 0).count();
        let entered = self.segments.iter().filter(|s| s.entered > 0).count();
        let matched = self.profiles.iter().filter(|p| p.matched > 0).count();
        let _ = writeln!(
            out,
            "coverage over {} case{}:",
            self.cases,
            plural(self.cases)
        );
        for (name, share) in self.summary.named() {
            let _ = writeln!(
                out,
                "  {name:<36} {:>3} of {:<3} {:>5.1}%",
                share.covered,
                share.total,
                share.percent()
            );
        }

        section(
            &mut out,
            "rules never fired",
            (self.rules.iter().filter(|r| r.fired == 0))
                .map(|r| format!("{}  ({})", r.name, r.location))
                .collect(),
        );
        section(
            &mut out,
            "offer rules that fired but never made an offer (overridden, suppressed or cut)",
            (self
                .rules
                .iter()
                .filter(|r| r.offers && r.fired > 0 && r.offered == 0))
            .map(|r| format!("{}  ({})", r.name, r.location))
            .collect(),
        );
        section(
            &mut out,
            "segments never entered",
            (self.segments.iter().filter(|s| s.entered == 0))
                .map(|s| format!("{}  ({})", s.name, s.location))
                .collect(),
        );
        section(
            &mut out,
            "profiles never matched",
            (self.profiles.iter().filter(|p| p.matched == 0))
                .map(|p| p.name.clone())
                .collect(),
        );
        let (never_true, never_false) = self.conditions_never_seen();
        let everything = never_true.is_empty() && never_false.is_empty();
        section(&mut out, "conditions never seen true", never_true);
        section(&mut out, "conditions never seen false", never_false);
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

    /// The conditions and `and`/`or` parts of the segments, then the rules,
    /// that were evaluated but never seen true, and never seen false, one
    /// line each. A whole condition never true is left out: that is already
    /// a rule never fired or a segment never entered.
    fn conditions_never_seen(&self) -> (Vec<String>, Vec<String>) {
        let owners = (self.segments.iter())
            .map(|s| ("segment", &s.name, &s.condition))
            .chain(self.rules.iter().map(|r| ("rule", &r.name, &r.condition)));
        let (mut never_true, mut never_false) = (Vec::new(), Vec::new());
        for (kind, name, condition) in owners {
            let Some(c) = condition.as_ref().filter(|c| c.counts.reached()) else {
                continue;
            };
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
        (never_true, never_false)
    }
}

/// A titled list of the coverage section; nothing when it is empty.
fn section(out: &mut String, title: &str, lines: Vec<String>) {
    if !lines.is_empty() {
        let _ = writeln!(out, "  {title}:");
        for line in lines {
            let _ = writeln!(out, "    {line}");
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
