//! A diff report as text for people, and as long-format CSV.
//!
//! The text fits in 100 columns for the bundled packages: a changed item
//! shows only what changed (the keys of a service, the words of a rule),
//! the funnel only the stages that moved, and a few example customers; the
//! JSON and CSV forms keep every figure.

use crate::analysis::diff::{Changes, DiffReport, NamedBeforeAfter};
use crate::base::number::{count, decimal, percent};
use crate::base::render::display_width;
use crate::base::table::{Table, wrapped};
use std::fmt::Write as _;

impl DiffReport {
    /// Whether anything changed, in the package or for any customer.
    pub fn has_changes(&self) -> bool {
        !self.package.is_empty() || self.customers_affected > 0
    }

    /// The report as readable text.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        out.push_str("Package changes\n");
        if self.package.is_empty() {
            out.push_str("  none\n");
        }
        for (kind, changes) in [
            ("service", &self.package.services),
            ("segment", &self.package.segments),
            ("profile", &self.package.profiles),
            ("rule", &self.package.rules),
        ] {
            changes_text(&mut out, kind, changes);
        }
        for setting in &self.package.settings {
            let _ = writeln!(out, "  ~ {setting}");
        }

        let _ = writeln!(
            out,
            "\nCustomers: {} compared, {} affected ({})",
            count(self.customers),
            count(self.customers_affected),
            percent(self.customers_affected, self.customers)
        );
        let _ = writeln!(
            out,
            "  gained an offer {}, lost an offer {}, re-ranked {}, gain changed {}",
            count(self.customers_with_added_offers),
            count(self.customers_with_removed_offers),
            count(self.customers_with_reranked_offers),
            count(self.customers_with_gain_changes)
        );
        if self.rows_failed > 0 {
            let _ = writeln!(
                out,
                "  {} rows could not be compared",
                count(self.rows_failed)
            );
        }
        let t = &self.totals;
        // One figure per line: a wrapped line would split a figure from its
        // change.
        let _ = writeln!(
            out,
            "  offers         {} -> {}",
            count(t.offers_before),
            count(t.offers_after)
        );
        let _ = writeln!(
            out,
            "  expected gain  {} -> {} ({:+.2})",
            decimal(t.gain_before),
            decimal(t.gain_after),
            t.gain_delta
        );
        let _ = writeln!(
            out,
            "  cost           {} -> {} ({:+.2})",
            decimal(t.cost_before),
            decimal(t.cost_after),
            t.cost_delta
        );

        out.push_str("\nBy service\n");
        out.push_str(&figures_table("service", &self.services));
        out.push_str("\nBy segment (of the rule that made the offer)\n");
        out.push_str(&figures_table("segment", &self.segments));
        out.push_str("* changed; gain, cost: expected gain and cost of the offers made\n");
        out.push_str(&self.funnel_text());

        if !self.examples.is_empty() {
            let shown = self.examples.len().min(EXAMPLES_SHOWN);
            let _ = writeln!(
                out,
                "\nCustomers whose offers changed (the first {shown} of {} in the JSON)",
                self.examples.len()
            );
            for e in &self.examples[..shown] {
                let _ = writeln!(out, "  {}", e.customer);
                let _ = writeln!(out, "    before: {}", list(&e.before));
                let _ = writeln!(out, "    after:  {}", list(&e.after));
            }
        }
        self.next_steps_text(&mut out);
        out
    }

    /// The funnels of the services whose funnel changed, with only the
    /// stages that moved (`before -> after`); stages that moved alike are
    /// named together, on one line.
    fn funnel_text(&self) -> String {
        if self.funnel.is_empty() {
            return "\nFunnel: no service's funnel changed\n".to_string();
        }
        let shown = crate::analysis::funnel::shown_stages(&self.unused_stages);
        let width = self
            .funnel
            .iter()
            .map(|f| f.service.len())
            .max()
            .unwrap_or(0);
        let mut out = String::from("\nFunnel: customers at each stage that moved, per service\n");
        for f in &self.funnel {
            // Runs of consecutive stages with the same before and after.
            let mut runs: Vec<(Vec<&str>, u64, u64)> = Vec::new();
            for &i in &shown {
                let Some(c) = f.stages.get(i) else { continue };
                if c.before == c.after {
                    continue;
                }
                let name =
                    crate::analysis::funnel::heading(crate::analysis::funnel::SERVICE_STAGES[i]);
                match runs.last_mut() {
                    Some((names, b, a)) if *b == c.before && *a == c.after => names.push(name),
                    _ => runs.push((vec![name], c.before, c.after)),
                }
            }
            let [rb, ra] = f.replaced;
            if rb != ra {
                runs.push((vec!["replacing a lost offer"], rb, ra));
            }
            if runs.is_empty() {
                continue;
            }
            // One run per line: a run never wraps between its numbers.
            for (n, (names, b, a)) in runs.iter().enumerate() {
                let service = if n == 0 { f.service.as_str() } else { "" };
                let _ = writeln!(
                    out,
                    "  {service:<width$}  {} {} -> {}",
                    names.join(", "),
                    count(*b),
                    count(*a)
                );
            }
        }
        wrapped(
            &mut out,
            "",
            &format!("{}.", crate::analysis::funnel::legend(&shown)),
        );
        out
    }

    /// What to run next: one changed customer explained under each
    /// version, and the page.
    fn next_steps_text(&self, out: &mut String) {
        out.push_str("\nNext steps (with this run's --base, --rules and --customers)\n");
        let mut table = Table::new(&["", ""], &[false, false]);
        if let Some(e) = self.examples.first() {
            table.row(vec![
                format!(
                    "vasrec explain --customer {} --rules DIR",
                    crate::base::render::printable(&e.customer)
                ),
                "with each version: why its offers changed".into(),
            ]);
        }
        table.row(vec![
            "vasrec diff ... --format html --out diff.html".into(),
            "this report as a page".into(),
        ]);
        table.row(vec![
            "vasrec diff ... --format json   (or csv)".into(),
            "every figure, also those this text leaves out".into(),
        ]);
        // Only the rows: the header and its rule are blank.
        for line in table.render().lines().skip(2) {
            let _ = writeln!(out, "  {line}");
        }
    }

    /// The report as long-format CSV: `section,item,metric,value`.
    pub fn to_csv(&self) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let _ = writer.write_record(["section", "item", "metric", "value"]);
        let mut row = |section: &str, item: &str, metric: &str, value: String| {
            let _ = writer.write_record([section, item, metric, value.as_str()]);
        };
        for (metric, value) in [
            ("customers", self.customers),
            ("customers_affected", self.customers_affected),
            (
                "customers_with_added_offers",
                self.customers_with_added_offers,
            ),
            (
                "customers_with_removed_offers",
                self.customers_with_removed_offers,
            ),
            (
                "customers_with_reranked_offers",
                self.customers_with_reranked_offers,
            ),
            (
                "customers_with_gain_changes",
                self.customers_with_gain_changes,
            ),
            ("rows_failed", self.rows_failed),
        ] {
            row("totals", "", metric, value.to_string());
        }
        for (section, items) in [("service", &self.services), ("segment", &self.segments)] {
            for item in items.iter() {
                let f = &item.figures;
                for (metric, value) in [
                    ("offers_before", f.offers_before as f64),
                    ("offers_after", f.offers_after as f64),
                    ("gain_before", f.gain_before),
                    ("gain_after", f.gain_after),
                    ("gain_delta", f.gain_delta),
                    ("cost_before", f.cost_before),
                    ("cost_after", f.cost_after),
                    ("cost_delta", f.cost_delta),
                ] {
                    row(section, &item.name, metric, value.to_string());
                }
            }
        }
        for f in &self.funnel {
            for stage in &f.stages {
                for (when, customers) in [("before", stage.before), ("after", stage.after)] {
                    let metric = format!("{}_{when}", stage.stage);
                    row("funnel", &f.service, &metric, customers.to_string());
                }
            }
            for (when, customers) in [("before", f.replaced[0]), ("after", f.replaced[1])] {
                let metric = format!("replaced_{when}");
                row("funnel", &f.service, &metric, customers.to_string());
            }
        }
        for (kind, changes) in [
            ("service", &self.package.services),
            ("segment", &self.package.segments),
            ("profile", &self.package.profiles),
            ("rule", &self.package.rules),
        ] {
            for name in &changes.added {
                row("package", name, &format!("{kind}_added"), String::new());
            }
            for name in &changes.removed {
                row("package", name, &format!("{kind}_removed"), String::new());
            }
            for m in &changes.modified {
                row(
                    "package",
                    &m.name,
                    &format!("{kind}_modified"),
                    String::new(),
                );
            }
        }
        writer
            .into_inner()
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }
}

fn changes_text(out: &mut String, kind: &str, changes: &Changes) {
    // A spreadsheet's row is named with its row there.
    let named = |name: &str| match changes.places.get(name) {
        Some(place) => format!("{name}  ({place})"),
        None => name.to_string(),
    };
    for name in &changes.added {
        let _ = writeln!(out, "  + {kind} {}", named(name));
    }
    for name in &changes.removed {
        let _ = writeln!(out, "  - {kind} {}", named(name));
    }
    for m in &changes.modified {
        let _ = writeln!(out, "  ~ {kind} {}", named(&m.name));
        match json_changes(&m.before, &m.after) {
            Some(keys) => {
                for (key, before, after) in keys {
                    wrapped(out, "      ", &format!("{key}: {before} -> {after}"));
                }
            }
            None => {
                // Whole when both fit on a line; else the words that changed.
                let lead = display_width("      before: ");
                let fits = |t: &str| lead + display_width(t) <= crate::base::table::WIDTH;
                let (before, after) = if fits(&m.before) && fits(&m.after) {
                    (m.before.clone(), m.after.clone())
                } else {
                    changed_words(&m.before, &m.after)
                };
                wrapped(out, "      before: ", &before);
                wrapped(out, "      after:  ", &after);
            }
        }
    }
}

/// How many example customers the text shows (the JSON has them all).
const EXAMPLES_SHOWN: usize = 5;

/// For two JSON objects (a service before and after), the keys whose
/// values differ, with both values (`(none)` where absent); None when
/// either is not a JSON object.
fn json_changes(before: &str, after: &str) -> Option<Vec<(String, String, String)>> {
    let before: serde_json::Value = serde_json::from_str(before).ok()?;
    let after: serde_json::Value = serde_json::from_str(after).ok()?;
    let (before, after) = (before.as_object()?, after.as_object()?);
    let text = |v: Option<&serde_json::Value>| v.map_or("(none)".to_string(), ToString::to_string);
    let keys = before
        .keys()
        .chain(after.keys().filter(|k| !before.contains_key(*k)));
    Some(
        keys.filter(|k| before.get(*k) != after.get(*k))
            .map(|k| (k.clone(), text(before.get(k)), text(after.get(k))))
            .collect(),
    )
}

/// The words that differ between two texts (a rule before and after), with
/// two words of context each side and `…` where text was left out.
fn changed_words(before: &str, after: &str) -> (String, String) {
    const CONTEXT: usize = 2;
    let b: Vec<&str> = before.split(' ').collect();
    let a: Vec<&str> = after.split(' ').collect();
    let prefix = b.iter().zip(&a).take_while(|(x, y)| x == y).count();
    let suffix = b[prefix..]
        .iter()
        .rev()
        .zip(a[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let start = prefix.saturating_sub(CONTEXT);
    let piece = |words: &[&str]| {
        let end = (words.len() - suffix + CONTEXT).min(words.len());
        let mut text = String::new();
        if start > 0 {
            text.push_str("… ");
        }
        text.push_str(&words[start..end].join(" "));
        if end < words.len() {
            text.push_str(" …");
        }
        text
    };
    (piece(&b), piece(&a))
}

/// Offers and gain before and after, and the change of cost (the costs
/// themselves are in the JSON and CSV).
fn figures_table(what: &str, items: &[NamedBeforeAfter]) -> String {
    let mut table = Table::new(
        &[
            what,
            "offers before",
            "after",
            "gain before",
            "after",
            "change",
            "cost change",
        ],
        &[false, true, true, true, true, true, true],
    );
    for item in items {
        let f = &item.figures;
        if f.offers_before == 0 && f.offers_after == 0 {
            continue;
        }
        let changed = f.offers_before != f.offers_after || f.gain_delta != 0.0;
        table.row(vec![
            format!("{}{}", if changed { "* " } else { "  " }, item.name),
            count(f.offers_before),
            count(f.offers_after),
            decimal(f.gain_before),
            decimal(f.gain_after),
            format!("{:+.2}", f.gain_delta),
            format!("{:+.2}", f.cost_delta),
        ]);
    }
    table.render()
}

fn list(offers: &[String]) -> String {
    if offers.is_empty() {
        "(none)".to_string()
    } else {
        offers.join(", ")
    }
}
