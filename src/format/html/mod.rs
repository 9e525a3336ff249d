//! Reports as web pages: a dry-run or a diff as one self-contained HTML file.
//!
//! In: a finished [`DryRunReport`](crate::analysis::report::DryRunReport) or
//! [`DiffReport`](crate::analysis::diff::DiffReport), the very values `--format json`
//! prints, and a [`PageMeta`] (where the package came from, its git
//! revision, display names). Out: one HTML document as a `String`. Styles are
//! inlined and charts are hand-drawn SVG, so the page needs no network, no
//! script and no chart library; it reflows on a phone and prints cleanly.
//! Numbers are formatted like the table report and never recomputed from
//! anything but the report; the key ones carry a `data-key` attribute (the
//! JSON path of the value) so that tests can read them back from the page.

mod analysis;
mod diff;
mod dry_run;
mod gap;
mod graph;
mod svg;

pub use diff::diff_page;
pub use dry_run::dry_run_page;

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// What a page says about where its report came from; none of it is in the
/// JSON report, and the library never asks git or the file system for it.
#[derive(Debug, Clone, Default)]
pub struct PageMeta {
    /// The package name (the new package's, for a diff).
    pub package: String,
    /// The package folder as given.
    pub package_dir: String,
    /// The folder's git revision (`-dirty` with uncommitted changes), when known.
    pub revision: Option<String>,
    /// For a diff: the base package as given (a folder or `git:REV`).
    pub base: Option<String>,
    /// For a diff: the base folder's git revision, when known.
    pub base_revision: Option<String>,
    /// The customers file, for a diff (a dry-run report names its own).
    pub customers_file: Option<String>,
    /// Display names of services by id, for reports that only carry ids.
    pub service_names: BTreeMap<String, String>,
    /// Display labels of segments by name.
    pub segment_labels: BTreeMap<String, String>,
    /// The program and version that made the page, e.g. `vasrec 0.1.0`.
    pub generator: String,
}

/// The stylesheet, inlined into every page.
const STYLE: &str = include_str!("page.css");

/// Text made safe for HTML content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A whole document around a body.
fn document(title: &str, body: &str) -> String {
    let mut out = String::with_capacity(body.len() + STYLE.len() + 512);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(out, "<title>{}</title>", escape(title));
    let _ = writeln!(out, "<style>\n{STYLE}</style>\n</head>\n<body>\n<main>");
    out.push_str(body);
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

/// The page heading with the facts about its source as a definition list.
fn header(out: &mut String, kicker: &str, title: &str, facts: &[(&str, String)]) {
    let _ = write!(
        out,
        "<header>\n<p class=\"kicker\">{}</p>\n<h1>{}</h1>\n<dl class=\"facts\">\n",
        escape(kicker),
        escape(title)
    );
    for (term, value) in facts {
        let _ = writeln!(
            out,
            "<div><dt>{}</dt><dd>{}</dd></div>",
            escape(term),
            escape(value)
        );
    }
    out.push_str("</dl>\n</header>\n");
}

/// A key figure: a label, a big number and a note beneath.
struct Card<'a> {
    label: &'a str,
    key: &'a str,
    value: String,
    note: String,
    tone: Tone,
}

/// How a figure reads: neutral, good news or bad news.
#[derive(Clone, Copy, PartialEq)]
enum Tone {
    Plain,
    Up,
    Down,
}

impl Tone {
    /// The tone of a change where more is better.
    fn of(delta: f64) -> Tone {
        if delta > 0.0 {
            Tone::Up
        } else if delta < 0.0 {
            Tone::Down
        } else {
            Tone::Plain
        }
    }

    fn class(self) -> &'static str {
        match self {
            Tone::Plain => "",
            Tone::Up => " up",
            Tone::Down => " down",
        }
    }
}

fn cards(out: &mut String, cards: &[Card<'_>]) {
    out.push_str("<div class=\"cards\">\n");
    for c in cards {
        let _ = writeln!(
            out,
            "<div class=\"card{}\"><div class=\"card-label\">{}</div>\
             <div class=\"card-value\" data-key=\"{}\">{}</div>\
             <div class=\"card-note\">{}</div></div>",
            c.tone.class(),
            escape(c.label),
            escape(c.key),
            escape(&c.value),
            escape(&c.note)
        );
    }
    out.push_str("</div>\n");
}

/// A section: opens with a heading and a sentence saying how to read it.
fn section(out: &mut String, id: &str, title: &str, lead: &str) {
    let _ = writeln!(
        out,
        "<section id=\"{}\">\n<h2>{}</h2>",
        escape(id),
        escape(title)
    );
    if !lead.is_empty() {
        let _ = writeln!(out, "<p class=\"lead\">{}</p>", escape(lead));
    }
}

fn end_section(out: &mut String) {
    out.push_str("</section>\n");
}

/// One table cell: text, whether it is a number (right-aligned), an optional
/// `data-key`, and an optional share (0..1) drawn as a bar behind the text.
#[derive(Default)]
struct Cell {
    text: String,
    number: bool,
    key: Option<String>,
    bar: Option<f64>,
    class: &'static str,
    /// Pre-escaped HTML instead of text.
    html: bool,
}

impl Cell {
    fn text(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            ..Cell::default()
        }
    }

    fn number(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            number: true,
            ..Cell::default()
        }
    }

    fn html(html: String) -> Cell {
        Cell {
            text: html,
            html: true,
            ..Cell::default()
        }
    }

    fn key(mut self, key: String) -> Cell {
        self.key = Some(key);
        self
    }

    fn bar(mut self, share: f64) -> Cell {
        self.bar = Some(share);
        self
    }

    fn class(mut self, class: &'static str) -> Cell {
        self.class = class;
        self
    }
}

/// A table that scrolls sideways on narrow screens; `right` marks the
/// numeric columns of the header.
fn table(out: &mut String, class: &str, header: &[&str], right: &[bool], rows: Vec<Vec<Cell>>) {
    let _ = write!(
        out,
        "<div class=\"scroll\"><table class=\"{}\">\n<thead><tr>",
        escape(class)
    );
    for (i, h) in header.iter().enumerate() {
        let numeric = right.get(i).copied().unwrap_or(false);
        let _ = write!(
            out,
            "<th{}>{}</th>",
            if numeric { " class=\"num\"" } else { "" },
            escape(h)
        );
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let mut classes = Vec::new();
            if cell.number {
                classes.push("num");
            }
            if !cell.class.is_empty() {
                classes.push(cell.class);
            }
            out.push_str("<td");
            if !classes.is_empty() {
                let _ = write!(out, " class=\"{}\"", classes.join(" "));
            }
            if let Some(share) = cell.bar {
                let percent = (share.clamp(0.0, 1.0) * 100.0).round();
                let _ = write!(out, " style=\"--bar:{percent}%\"");
            }
            if let Some(key) = &cell.key {
                let _ = write!(out, " data-key=\"{}\"", escape(key));
            }
            out.push('>');
            if cell.html {
                out.push_str(&cell.text);
            } else {
                out.push_str(&escape(&cell.text));
            }
            out.push_str("</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table></div>\n");
}

/// A display name with the identifier beneath it in small type.
fn name_cell(name: &str, id: &str) -> Cell {
    if name.is_empty() || name == id {
        return Cell::html(format!("<span class=\"id\">{}</span>", escape(id)));
    }
    Cell::html(format!(
        "<span class=\"name\">{}</span><span class=\"id\">{}</span>",
        escape(name),
        escape(id)
    ))
}

/// Display names of the report's services, by id.
fn service_names(
    report: &crate::analysis::report::DryRunReport,
) -> std::collections::HashMap<&str, &str> {
    report
        .services
        .iter()
        .map(|s| (s.service.as_str(), s.name.as_str()))
        .collect()
}

/// Display labels of the report's segments, by name.
fn segment_labels(
    report: &crate::analysis::report::DryRunReport,
) -> std::collections::HashMap<&str, &str> {
    report
        .segments
        .iter()
        .map(|s| (s.segment.as_str(), s.label.as_str()))
        .collect()
}

/// A change with its sign, two places.
fn signed(v: f64) -> String {
    format!("{v:+.2}")
}

/// A change in a count with its sign.
fn signed_count(before: u64, after: u64) -> String {
    use crate::base::number::count;
    if after == before {
        "0".to_string()
    } else if after > before {
        format!("+{}", count(after - before))
    } else {
        format!("-{}", count(before - after))
    }
}

fn footer(out: &mut String, meta: &PageMeta) {
    let by = if meta.generator.is_empty() {
        "vasrec"
    } else {
        meta.generator.as_str()
    };
    let _ = writeln!(
        out,
        "<footer>Made by {} from the same report values as <code>--format json</code>. \
         Self-contained: no network needed to view or print.</footer>",
        escape(by)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(escape("优先技术支持"), "优先技术支持");
    }

    #[test]
    fn signed_counts() {
        assert_eq!(signed_count(10, 1234), "+1,224");
        assert_eq!(signed_count(1234, 10), "-1,224");
        assert_eq!(signed_count(5, 5), "0");
        assert_eq!(signed(-0.5), "-0.50");
    }
}
