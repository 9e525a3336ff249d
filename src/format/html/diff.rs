//! The diff page: who is affected, offers gained and lost by service and
//! segment, gain and cost changes, and the changed declarations side by side.

use super::svg::{self, Label};
use super::{
    Card, Cell, PageMeta, Tone, cards, document, end_section, escape, footer, header, name_cell,
    section, signed, signed_count, table,
};
use crate::analysis::diff::{Changes, DiffReport, NamedBeforeAfter};
use crate::analysis::funnel::{SERVICE_STAGES, heading};
use crate::base::number::{count, decimal, percent};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The diff report as a self-contained HTML page.
pub fn diff_page(report: &DiffReport, meta: &PageMeta) -> String {
    let mut out = String::new();
    let package = if meta.package.is_empty() {
        "package"
    } else {
        meta.package.as_str()
    };
    let version = |place: &str, revision: &Option<String>| match revision {
        Some(r) => format!("{place} (git {r})"),
        None => place.to_string(),
    };
    header(
        &mut out,
        "Rule change",
        &format!("{package}: what the change does"),
        &[
            ("Package", package.to_string()),
            (
                "Before",
                version(meta.base.as_deref().unwrap_or("-"), &meta.base_revision),
            ),
            ("After", version(&meta.package_dir, &meta.revision)),
            (
                "Customers file",
                meta.customers_file.clone().unwrap_or_else(|| "-".into()),
            ),
        ],
    );
    out.push_str(
        "<nav><a href=\"#summary\">Summary</a><a href=\"#changes\">Package changes</a>\
         <a href=\"#services\">By service</a><a href=\"#segments\">By segment</a>\
         <a href=\"#funnel\">Funnel</a><a href=\"#customers\">Customers</a></nav>\n",
    );
    summary(&mut out, report);
    package_changes(&mut out, report);
    figures(
        &mut out,
        "services",
        "Offers by service",
        "Offers gained (right, green) and lost (left, red) per service, then the figures \
         before and after. Services with no offers either way are left out.",
        &report.services,
        &meta.service_names,
    );
    figures(
        &mut out,
        "segments",
        "Offers by segment",
        "The same, by the segment of the rule that made each offer.",
        &report.segments,
        &meta.segment_labels,
    );
    funnel(&mut out, report, &meta.service_names);
    examples(&mut out, report);
    footer(&mut out, meta);
    document(&format!("Rule change in {package}"), &out)
}

fn summary(out: &mut String, report: &DiffReport) {
    let t = &report.totals;
    section(
        out,
        "summary",
        "Summary",
        "The same customers run through the package before and after the change.",
    );
    cards(
        out,
        &[
            Card {
                label: "Customers compared",
                key: "customers",
                value: count(report.customers),
                note: if report.rows_failed > 0 {
                    format!("{} rows could not be compared", count(report.rows_failed))
                } else {
                    "every row compared".into()
                },
                tone: if report.rows_failed > 0 {
                    Tone::Down
                } else {
                    Tone::Plain
                },
            },
            Card {
                label: "Customers affected",
                key: "customers_affected",
                value: count(report.customers_affected),
                note: format!(
                    "{} of the customers",
                    percent(report.customers_affected, report.customers)
                ),
                tone: Tone::Plain,
            },
            Card {
                label: "Gained an offer",
                key: "customers_with_added_offers",
                value: count(report.customers_with_added_offers),
                note: "customers".into(),
                tone: Tone::Up,
            },
            Card {
                label: "Lost an offer",
                key: "customers_with_removed_offers",
                value: count(report.customers_with_removed_offers),
                note: "customers".into(),
                tone: Tone::Down,
            },
            Card {
                label: "Offers after",
                key: "totals.offers_after",
                value: count(t.offers_after),
                note: format!(
                    "{} before ({})",
                    count(t.offers_before),
                    signed_count(t.offers_before, t.offers_after)
                ),
                tone: Tone::Plain,
            },
            Card {
                label: "Expected gain change",
                key: "totals.gain_delta",
                value: signed(t.gain_delta),
                note: format!("{} → {}", decimal(t.gain_before), decimal(t.gain_after)),
                tone: Tone::of(t.gain_delta),
            },
            Card {
                label: "Cost change",
                key: "totals.cost_delta",
                value: signed(t.cost_delta),
                note: format!("{} → {}", decimal(t.cost_before), decimal(t.cost_after)),
                // More cost is the bad news.
                tone: Tone::of(-t.cost_delta),
            },
        ],
    );
    let _ = writeln!(
        out,
        "<p class=\"note\">Also: <span data-key=\"customers_with_reranked_offers\">{}</span> \
         customers saw their offers re-ranked and \
         <span data-key=\"customers_with_gain_changes\">{}</span> a change in an offer's gain.</p>",
        count(report.customers_with_reranked_offers),
        count(report.customers_with_gain_changes)
    );
    end_section(out);
}

fn package_changes(out: &mut String, report: &DiffReport) {
    let p = &report.package;
    section(
        out,
        "changes",
        "What changed in the package",
        "Declarations compared by content, so moving or re-indenting one is not a change. \
         In changed declarations, struck-out text was removed and highlighted text added.",
    );
    if p.is_empty() {
        out.push_str("<p class=\"callout ok\">No declaration or setting changed.</p>\n");
        end_section(out);
        return;
    }
    let kinds = [
        ("Rules", "rule", &p.rules),
        ("Segments", "segment", &p.segments),
        ("Profiles", "profile", &p.profiles),
        ("Services", "service", &p.services),
    ];
    out.push_str("<ul class=\"change-list\">\n");
    for (_, kind, changes) in kinds {
        let named = |name: &str| {
            super::analysis::rule_html(name, changes.places.get(name).map(String::as_str))
        };
        for name in &changes.added {
            let _ = writeln!(
                out,
                "<li><span class=\"badge added\">added</span> {kind} {}</li>",
                named(name)
            );
        }
        for name in &changes.removed {
            let _ = writeln!(
                out,
                "<li><span class=\"badge removed\">removed</span> {kind} {}</li>",
                named(name)
            );
        }
        for m in &changes.modified {
            let _ = writeln!(
                out,
                "<li><span class=\"badge modified\">changed</span> {kind} {}</li>",
                named(&m.name)
            );
        }
    }
    for setting in &p.settings {
        let _ = writeln!(
            out,
            "<li><span class=\"badge modified\">changed</span> {}</li>",
            escape(setting)
        );
    }
    out.push_str("</ul>\n");
    for (title, _, changes) in kinds {
        side_by_side(out, title, changes);
    }
    end_section(out);
}

/// Each modified declaration with its old and new text in two columns.
fn side_by_side(out: &mut String, title: &str, changes: &Changes) {
    if changes.modified.is_empty() {
        return;
    }
    let _ = writeln!(out, "<h3>Changed {}</h3>", escape(&title.to_lowercase()));
    for m in &changes.modified {
        let (before, after) = marked(&m.before, &m.after);
        let _ = writeln!(
            out,
            "<div class=\"change\"><h4><code>{}</code></h4><div class=\"sides\">\
             <div class=\"side before\"><div class=\"side-label\">Before</div><pre>{before}</pre></div>\
             <div class=\"side after\"><div class=\"side-label\">After</div><pre>{after}</pre></div>\
             </div></div>",
            escape(&m.name)
        );
    }
}

/// The two texts as HTML, the parts only in the old one struck out and the
/// parts only in the new one highlighted: a longest common subsequence of
/// tokens (words, single punctuation marks and runs of spaces).
fn marked(before: &str, after: &str) -> (String, String) {
    let old = tokens(before);
    let new = tokens(after);
    let (n, m) = (old.len(), new.len());
    // Declarations are short; beyond this size, show the texts unmarked.
    if n.saturating_mul(m) > 4_000_000 {
        return (escape(before), escape(after));
    }
    let mut lcs = vec![0u32; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[at(i, j)] = if old[i] == new[j] {
                lcs[at(i + 1, j + 1)] + 1
            } else {
                lcs[at(i + 1, j)].max(lcs[at(i, j + 1)])
            };
        }
    }
    let (mut a, mut b) = (Marked::default(), Marked::default());
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && old[i] == new[j] {
            a.push(old[i], false, "del");
            b.push(new[j], false, "ins");
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[at(i, j + 1)] >= lcs[at(i + 1, j)]) {
            b.push(new[j], true, "ins");
            j += 1;
        } else {
            a.push(old[i], true, "del");
            i += 1;
        }
    }
    (a.finish(), b.finish())
}

/// HTML built from tokens, with consecutive changed tokens in one element.
#[derive(Default)]
struct Marked {
    html: String,
    open: Option<&'static str>,
}

impl Marked {
    fn push(&mut self, token: &str, changed: bool, tag: &'static str) {
        match (self.open, changed) {
            (None, true) => {
                let _ = write!(self.html, "<{tag}>");
                self.open = Some(tag);
            }
            (Some(open), false) => {
                let _ = write!(self.html, "</{open}>");
                self.open = None;
            }
            _ => {}
        }
        self.html.push_str(&escape(token));
    }

    fn finish(mut self) -> String {
        if let Some(open) = self.open {
            let _ = write!(self.html, "</{open}>");
        }
        self.html
    }
}

/// Splits text into words, runs of white space and single punctuation marks;
/// the tokens put together are the text.
fn tokens(text: &str) -> Vec<&str> {
    #[derive(PartialEq, Clone, Copy)]
    enum Class {
        Space,
        Word,
        Mark,
    }
    let class = |c: char| {
        if c.is_whitespace() {
            Class::Space
        } else if c.is_alphanumeric() || c == '_' || c == '.' {
            Class::Word
        } else {
            Class::Mark
        }
    };
    let mut out = Vec::new();
    let mut start = 0;
    let mut previous: Option<Class> = None;
    for (i, c) in text.char_indices() {
        let now = class(c);
        if let Some(p) = previous
            && (p != now || now == Class::Mark)
        {
            out.push(&text[start..i]);
            start = i;
        }
        previous = Some(now);
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

fn figures(
    out: &mut String,
    id: &str,
    title: &str,
    lead: &str,
    items: &[NamedBeforeAfter],
    names: &BTreeMap<String, String>,
) {
    section(out, id, title, lead);
    let shown: Vec<&NamedBeforeAfter> = items
        .iter()
        .filter(|i| i.figures.offers_before > 0 || i.figures.offers_after > 0)
        .collect();
    if shown.is_empty() {
        out.push_str("<p>No offers either way.</p>\n");
        end_section(out);
        return;
    }
    let name = |id: &str| names.get(id).cloned().unwrap_or_default();
    offer_changes(out, &shown, &name, title);
    let rows = shown
        .iter()
        .map(|i| {
            let f = &i.figures;
            let key = |metric: &str| format!("{id}.{}.{metric}", i.name);
            let tone = |delta: f64, more_is_good: bool| match (delta > 0.0, delta < 0.0) {
                (true, _) if more_is_good => "up",
                (true, _) => "down",
                (_, true) if more_is_good => "down",
                (_, true) => "up",
                _ => "",
            };
            let offers_delta = f.offers_after as f64 - f.offers_before as f64;
            vec![
                name_cell(&name(&i.name), &i.name),
                Cell::number(count(f.offers_before)).key(key("offers_before")),
                Cell::number(count(f.offers_after)).key(key("offers_after")),
                Cell::number(signed_count(f.offers_before, f.offers_after))
                    .class(tone(offers_delta, true)),
                Cell::number(decimal(f.gain_before)),
                Cell::number(decimal(f.gain_after)),
                Cell::number(signed(f.gain_delta))
                    .key(key("gain_delta"))
                    .class(tone(f.gain_delta, true)),
                Cell::number(decimal(f.cost_before)),
                Cell::number(decimal(f.cost_after)),
                Cell::number(signed(f.cost_delta))
                    .key(key("cost_delta"))
                    .class(tone(f.cost_delta, false)),
            ]
        })
        .collect();
    let what = if id == "services" {
        "service"
    } else {
        "segment"
    };
    table(
        out,
        "grouped",
        &[
            what,
            "offers before",
            "after",
            "change",
            "gain before",
            "after",
            "change",
            "cost before",
            "after",
            "change",
        ],
        &[false, true, true, true, true, true, true, true, true, true],
        rows,
    );
    end_section(out);
}

/// A bar per item whose number of offers changed, or a note that none did.
fn offer_changes(
    out: &mut String,
    shown: &[&NamedBeforeAfter],
    name: &dyn Fn(&str) -> String,
    title: &str,
) {
    let changed: Vec<&&NamedBeforeAfter> = shown
        .iter()
        .filter(|i| i.figures.offers_before != i.figures.offers_after)
        .collect();
    if changed.is_empty() {
        out.push_str("<p class=\"callout ok\">The number of offers did not change anywhere.</p>\n");
        return;
    }
    let labels: Vec<Label> = changed
        .iter()
        .map(|i| Label {
            name: name(&i.name),
            id: i.name.clone(),
        })
        .collect();
    let values: Vec<f64> = changed
        .iter()
        .map(|i| i.figures.offers_after as f64 - i.figures.offers_before as f64)
        .collect();
    let texts: Vec<String> = changed
        .iter()
        .map(|i| signed_count(i.figures.offers_before, i.figures.offers_after))
        .collect();
    let _ = writeln!(
        out,
        "<figure class=\"bars\"><div class=\"scroll\">{}</div></figure>",
        svg::changes(&labels, &values, &texts, title)
    );
}

fn funnel(out: &mut String, report: &DiffReport, names: &BTreeMap<String, String>) {
    section(
        out,
        "funnel",
        "Funnel of the services the change touches",
        "Customers at each step; a changed step shows before → after.",
    );
    if report.funnel.is_empty() {
        out.push_str("<p>No service's funnel changed.</p>\n");
        end_section(out);
        return;
    }
    let shown = crate::analysis::funnel::shown_stages(&report.unused_stages);
    let mut header = vec!["service"];
    header.extend(shown.iter().map(|&i| heading(SERVICE_STAGES[i])));
    let mut right = vec![false];
    right.extend(shown.iter().map(|_| true));
    let rows = report
        .funnel
        .iter()
        .map(|f| {
            let mut row = vec![name_cell(
                names.get(&f.service).map_or("", String::as_str),
                &f.service,
            )];
            row.extend(shown.iter().map(|&i| {
                match f.stages.get(i) {
                    Some(c) if c.before == c.after => Cell::number(count(c.after)),
                    Some(c) => Cell::number(format!("{} → {}", count(c.before), count(c.after)))
                        .class(if c.after > c.before { "up" } else { "down" }),
                    None => Cell::text(""),
                }
            }));
            row
        })
        .collect();
    table(out, "funnel", &header, &right, rows);
    let _ = writeln!(
        out,
        "<p class=\"note\">{}.</p>",
        escape(&crate::analysis::funnel::legend(&shown))
    );
    end_section(out);
}

fn examples(out: &mut String, report: &DiffReport) {
    section(
        out,
        "customers",
        "Customers whose offers changed",
        "The first ones in the file, with their offers (service and expected gain) best first.",
    );
    if report.examples.is_empty() {
        out.push_str("<p>No customer's offers changed.</p>\n");
        end_section(out);
        return;
    }
    let list = |offers: &[String]| {
        if offers.is_empty() {
            "(none)".to_string()
        } else {
            offers.join(", ")
        }
    };
    let rows = report
        .examples
        .iter()
        .map(|e| {
            vec![
                Cell::html(format!("<code>{}</code>", escape(&e.customer))),
                Cell::text(list(&e.before)),
                Cell::text(list(&e.after)),
            ]
        })
        .collect();
    table(
        out,
        "",
        &["customer", "before", "after"],
        &[false, false, false],
        rows,
    );
    end_section(out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_the_words_that_changed() {
        let (before, after) = marked("when tenure < 6 offer x", "when tenure < 12 offer x");
        assert_eq!(before, "when tenure &lt; <del>6</del> offer x");
        assert_eq!(after, "when tenure &lt; <ins>12</ins> offer x");
        let (before, after) = marked("a b", "a b c");
        assert_eq!(
            (before.as_str(), after.as_str()),
            ("a b", "a b<ins> c</ins>")
        );
        let (before, after) = marked(r#"{"cost":40.0,"x":1}"#, r#"{"cost":30.0,"x":1}"#);
        assert_eq!(before, "{&quot;cost&quot;:<del>40.0</del>,&quot;x&quot;:1}");
        assert_eq!(after, "{&quot;cost&quot;:<ins>30.0</ins>,&quot;x&quot;:1}");
    }
}
