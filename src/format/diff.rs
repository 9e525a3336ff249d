//! A diff report as text for people, and as long-format CSV.

use crate::analysis::diff::{Changes, DiffReport, NamedBeforeAfter};
use crate::base::number::{count, decimal, percent};
use crate::base::table::Table;
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
        let _ = writeln!(
            out,
            "  offers {} -> {}, expected gain {} -> {} ({:+.2}), cost {} -> {} ({:+.2})",
            count(t.offers_before),
            count(t.offers_after),
            decimal(t.gain_before),
            decimal(t.gain_after),
            t.gain_delta,
            decimal(t.cost_before),
            decimal(t.cost_after),
            t.cost_delta
        );

        out.push_str("\nBy service\n");
        out.push_str(&figures_table("service", &self.services));
        out.push_str("\nBy segment (of the rule that made the offer)\n");
        out.push_str(&figures_table("segment", &self.segments));
        out.push_str(&self.funnel_table());

        if !self.examples.is_empty() {
            out.push_str("\nCustomers whose offers changed (first ones)\n");
            for e in &self.examples {
                let _ = writeln!(out, "  {}", e.customer);
                let _ = writeln!(out, "    before: {}", list(&e.before));
                let _ = writeln!(out, "    after:  {}", list(&e.after));
            }
        }
        out
    }

    /// The funnels of the services whose funnel changed: a cell shows one
    /// count when the stage is unchanged, `before -> after` when not.
    fn funnel_table(&self) -> String {
        if self.funnel.is_empty() {
            return "\nFunnel: no service's funnel changed\n".to_string();
        }
        let shown = crate::analysis::funnel::shown_stages(&self.unused_stages);
        let mut header = vec!["service"];
        header.extend(shown.iter().map(|&i| {
            crate::analysis::funnel::heading(crate::analysis::funnel::SERVICE_STAGES[i])
        }));
        let mut right = vec![false];
        right.extend(shown.iter().map(|_| true));
        let mut table = Table::new(&header, &right);
        for f in &self.funnel {
            let mut row = vec![f.service.clone()];
            row.extend(shown.iter().map(|&i| match f.stages.get(i) {
                Some(c) if c.before == c.after => count(c.after),
                Some(c) => format!("{} -> {}", count(c.before), count(c.after)),
                None => String::new(),
            }));
            table.row(row);
        }
        format!(
            "\nFunnel of the services the change touches (customers at each stage)\n{}",
            table.render()
        )
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
    for name in &changes.added {
        let _ = writeln!(out, "  + {kind} {name}");
    }
    for name in &changes.removed {
        let _ = writeln!(out, "  - {kind} {name}");
    }
    for m in &changes.modified {
        let _ = writeln!(out, "  ~ {kind} {}", m.name);
        let _ = writeln!(out, "      before: {}", m.before);
        let _ = writeln!(out, "      after:  {}", m.after);
    }
}

fn figures_table(what: &str, items: &[NamedBeforeAfter]) -> String {
    let mut table = Table::new(
        &[
            what,
            "offers before",
            "after",
            "gain before",
            "after",
            "delta",
            "cost before",
            "after",
            "delta",
        ],
        &[false, true, true, true, true, true, true, true, true],
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
            decimal(f.cost_before),
            decimal(f.cost_after),
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
