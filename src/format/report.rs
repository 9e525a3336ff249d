//! Dry-run reports as text: a table for people, long-format CSV for
//! spreadsheets. JSON comes straight from the serde form of the report.
//!
//! Both renderings are one step per section of the report, in the order
//! they print; a section the run has nothing for (no capacity, no loyalty
//! model, no errors) prints nothing.

use crate::analysis::report::{CAPACITY_COLUMNS, CAPACITY_COLUMNS_RIGHT, DryRunReport};
use crate::base::number::{count, decimal, fixed, percent, shortest};
use crate::base::table::Table;
use std::fmt::Write as _;

impl DryRunReport {
    /// The report as aligned text tables.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        self.totals_text(&mut out);
        self.segments_table(&mut out);
        self.services_table(&mut out);
        self.rules_table(&mut out);
        out.push_str(&self.funnel.to_table());
        self.capacity_table(&mut out);
        self.no_offer_table(&mut out);
        self.loyalty_table(&mut out);
        self.dimensions_table(&mut out);
        self.never_fired_text(&mut out);
        self.errors_text(&mut out);
        out
    }

    /// `n` customers as a share of those evaluated.
    fn share(&self, n: u64) -> String {
        percent(n, self.totals.evaluated)
    }

    /// The headline: customers, offers, gain and cost, rows skipped, and how
    /// many offers each customer got.
    fn totals_text(&self, out: &mut String) {
        let t = &self.totals;
        let _ = writeln!(
            out,
            "Dry run of `{}` over {}",
            self.package, self.customers_file
        );
        let _ = writeln!(
            out,
            "{} customers, {} with offers ({}), {} offers",
            count(t.customers),
            count(t.customers_with_offers),
            self.share(t.customers_with_offers),
            count(t.offers)
        );
        let _ = writeln!(
            out,
            "expected gain {} (mean {} per customer), cost {} ({} gain per unit of cost)",
            decimal(t.expected_gain),
            decimal(t.mean_gain_per_customer),
            decimal(t.cost),
            decimal(t.gain_per_cost)
        );
        if t.data_errors + t.evaluation_errors > 0 {
            let _ = writeln!(
                out,
                "skipped {} rows: {} unreadable, {} failed in evaluation",
                count(t.data_errors + t.evaluation_errors),
                count(t.data_errors),
                count(t.evaluation_errors)
            );
        }
        let spread: Vec<String> = self
            .offers_per_customer
            .iter()
            .enumerate()
            .map(|(n, c)| format!("{n}: {}", count(*c)))
            .collect();
        let _ = writeln!(out, "offers per customer: {}", spread.join(", "));
    }

    /// One row per segment, indented under its parent.
    fn segments_table(&self, out: &mut String) {
        out.push_str("\nSegments\n");
        let mut table = Table::new(
            &[
                "segment",
                "label",
                "customers",
                "offers",
                "mean gain",
                "median",
                "p90",
            ],
            &[false, false, true, true, true, true, true],
        );
        for s in &self.segments {
            table.row(vec![
                format!("{}{}", "  ".repeat(s.depth as usize), s.segment),
                s.label.clone(),
                count(s.customers),
                count(s.offers),
                decimal(s.mean_gain),
                decimal(s.median_gain),
                decimal(s.p90_gain),
            ]);
        }
        out.push_str(&table.render());
    }

    fn services_table(&self, out: &mut String) {
        out.push_str("\nServices\n");
        let mut table = Table::new(
            &[
                "service",
                "name",
                "offers",
                "expected gain",
                "cost",
                "blocked",
            ],
            &[false, false, true, true, true, true],
        );
        for s in &self.services {
            table.row(vec![
                s.service.clone(),
                s.name.clone(),
                count(s.offers),
                decimal(s.expected_gain),
                decimal(s.cost),
                count(s.blocked),
            ]);
        }
        out.push_str(&table.render());
    }

    fn rules_table(&self, out: &mut String) {
        out.push_str("\nRules\n");
        let mut table = Table::new(
            &["rule", "action", "service", "segment", "fired", "offers"],
            &[false, false, false, false, true, true],
        );
        for r in &self.rules {
            table.row(vec![
                r.rule.clone(),
                r.action.clone(),
                r.service.clone(),
                r.segment.clone(),
                count(r.fired),
                count(r.offers),
            ]);
        }
        out.push_str(&table.render());
    }

    /// Capacity-limited services: who got them, and what the limit cost.
    fn capacity_table(&self, out: &mut String) {
        if self.capacity.is_empty() {
            return;
        }
        out.push_str(
            "\nCapacity (given to the highest expected gain per cost; a customer who \
             misses out gets no other offer instead)\n",
        );
        let mut table = Table::new(&CAPACITY_COLUMNS, &CAPACITY_COLUMNS_RIGHT);
        for c in &self.capacity {
            table.row(vec![
                c.service.clone(),
                count(c.capacity),
                count(c.demand),
                count(c.allocated),
                count(c.unmet),
                decimal(c.allocated_gain),
                decimal(c.first_come_gain),
            ]);
        }
        out.push_str(&table.render());
        if let Some(l) = &self.capacity_losses {
            let _ = writeln!(
                out,
                "{} customers lost an offer to capacity ({} points of expected gain); \
                 replacing each with its next candidate could add at most {} points",
                count(l.customers),
                decimal(l.gain_lost),
                decimal(l.replacement_bound)
            );
        }
    }

    /// Customers with no offer, by deepest segment, with the rule they came
    /// nearest to.
    fn no_offer_table(&self, out: &mut String) {
        if self.no_offer.is_empty() {
            return;
        }
        let total: u64 = self.no_offer.iter().map(|r| r.customers).sum();
        let _ = writeln!(
            out,
            "\nCustomers left with nothing: {} ({})",
            count(total),
            self.share(total)
        );
        let mut table = Table::new(
            &[
                "deepest segment",
                "customers",
                "nearest miss",
                "fails only on",
                "for",
                "median shortfall",
            ],
            &[false, true, false, false, true, true],
        );
        for r in &self.no_offer {
            let (rule, condition, customers, shortfall) = match &r.nearest_miss {
                Some(m) => (
                    m.rule.clone(),
                    format!("`{}`", m.condition),
                    count(m.customers),
                    m.median_shortfall.map_or("-".to_string(), decimal),
                ),
                None => ("-".into(), "-".into(), "-".into(), "-".into()),
            };
            table.row(vec![
                r.segment.clone(),
                count(r.customers),
                rule,
                condition,
                customers,
                shortfall,
            ]);
        }
        out.push_str(&table.render());
    }

    fn loyalty_table(&self, out: &mut String) {
        if self.loyalty.is_empty() {
            return;
        }
        out.push_str("\nLoyalty (expected uplift from the expected gain)\n");
        let mut table = Table::new(
            &[
                "outcome",
                "per point of gain",
                "total uplift",
                "per customer",
            ],
            &[false, true, true, true],
        );
        for l in &self.loyalty {
            table.row(vec![
                l.outcome.clone(),
                fixed(l.factor, 4),
                decimal(l.uplift),
                fixed(l.mean_per_customer, 4),
            ]);
        }
        out.push_str(&table.render());
    }

    /// Satisfaction before and after the offers, per dimension.
    fn dimensions_table(&self, out: &mut String) {
        if self.dimensions.is_empty() {
            return;
        }
        out.push_str(
            "\nSatisfaction by dimension (points on the scale; before/after over the rated customers)\n",
        );
        let mut table = Table::new(
            &[
                "dimension",
                "name",
                "weight",
                "rated",
                "before",
                "after",
                "points per customer",
                "weighted",
            ],
            &[false, false, true, true, true, true, true, true],
        );
        for d in &self.dimensions {
            table.row(vec![
                d.dimension.clone(),
                d.name.clone(),
                fixed(d.weight, 4),
                count(d.rated),
                d.mean_before.map_or("-".to_string(), decimal),
                d.mean_after.map_or("-".to_string(), decimal),
                fixed(d.mean_points, 4),
                fixed(d.weighted_points, 4),
            ]);
        }
        out.push_str(&table.render());
    }

    fn never_fired_text(&self, out: &mut String) {
        if self.rules_never_fired.is_empty() {
            out.push_str("\nEvery rule fired at least once.\n");
        } else {
            let _ = writeln!(
                out,
                "\nRules that never fired: {}",
                self.rules_never_fired.join(", ")
            );
        }
    }

    /// Evaluation errors by the rule that raised them, then the first rows
    /// that failed.
    fn errors_text(&self, out: &mut String) {
        if !self.evaluation_errors_by_source.is_empty() {
            out.push_str("\nEvaluation errors by rule\n");
            let mut table = Table::new(&["raised by", "customers"], &[false, true]);
            for e in &self.evaluation_errors_by_source {
                table.row(vec![e.source.clone(), count(e.errors)]);
            }
            out.push_str(&table.render());
        }
        if !self.errors.is_empty() {
            out.push_str("\nFirst rows that failed:\n");
            for e in &self.errors {
                let _ = writeln!(out, "  {e}");
            }
        }
    }

    /// The report as long-format CSV: `section,item,metric,value`.
    ///
    /// Counts are plain integers and other figures shortest round-trip texts, so a
    /// program reads back exactly the report's values.
    pub fn to_csv(&self) -> String {
        let mut csv = LongCsv::new();
        self.totals_csv(&mut csv);
        self.segments_csv(&mut csv);
        self.no_offer_csv(&mut csv);
        self.services_csv(&mut csv);
        self.rules_csv(&mut csv);
        // The section order is the published one: capacity losses come
        // before the dimensions, the capacity of each service after them.
        self.capacity_losses_csv(&mut csv);
        self.dimensions_csv(&mut csv);
        self.capacity_csv(&mut csv);
        self.funnel_csv(&mut csv);
        csv.finish()
    }

    fn totals_csv(&self, csv: &mut LongCsv) {
        let t = &self.totals;
        for (metric, value) in [
            ("customers", t.customers.to_string()),
            ("evaluated", t.evaluated.to_string()),
            ("data_errors", t.data_errors.to_string()),
            ("evaluation_errors", t.evaluation_errors.to_string()),
            ("customers_with_offers", t.customers_with_offers.to_string()),
            ("offers", t.offers.to_string()),
            ("expected_gain", shortest(t.expected_gain)),
            ("mean_gain_per_customer", shortest(t.mean_gain_per_customer)),
            ("cost", shortest(t.cost)),
            ("gain_per_cost", shortest(t.gain_per_cost)),
        ] {
            csv.row("totals", "", metric, &value);
        }
    }

    fn segments_csv(&self, csv: &mut LongCsv) {
        for s in &self.segments {
            for (metric, value) in [
                ("customers", s.customers.to_string()),
                ("offers", s.offers.to_string()),
                ("mean_gain", shortest(s.mean_gain)),
                ("median_gain", shortest(s.median_gain)),
                ("p90_gain", shortest(s.p90_gain)),
            ] {
                csv.row("segment", &s.segment, metric, &value);
            }
        }
    }

    fn no_offer_csv(&self, csv: &mut LongCsv) {
        for r in &self.no_offer {
            let item = &r.segment;
            csv.row("no_offer", item, "customers", &r.customers.to_string());
            if let Some(m) = &r.nearest_miss {
                csv.row("no_offer", item, "nearest_miss_rule", &m.rule);
                csv.row("no_offer", item, "nearest_miss_condition", &m.condition);
                csv.row(
                    "no_offer",
                    item,
                    "nearest_miss_customers",
                    &m.customers.to_string(),
                );
                if let Some(v) = m.median_shortfall {
                    csv.row("no_offer", item, "median_shortfall", &shortest(v));
                }
            }
        }
    }

    fn services_csv(&self, csv: &mut LongCsv) {
        for s in &self.services {
            for (metric, value) in [
                ("offers", s.offers.to_string()),
                ("expected_gain", shortest(s.expected_gain)),
                ("cost", shortest(s.cost)),
                ("blocked", s.blocked.to_string()),
            ] {
                csv.row("service", &s.service, metric, &value);
            }
        }
    }

    fn rules_csv(&self, csv: &mut LongCsv) {
        for r in &self.rules {
            csv.row("rule", &r.rule, "fired", &r.fired.to_string());
            csv.row("rule", &r.rule, "offers", &r.offers.to_string());
        }
    }

    fn capacity_losses_csv(&self, csv: &mut LongCsv) {
        if let Some(l) = &self.capacity_losses {
            for (metric, value) in [
                // A count, but written as the other figures of the line are.
                ("customers_losing_an_offer", l.customers as f64),
                ("gain_lost", l.gain_lost),
                ("replacement_bound", l.replacement_bound),
            ] {
                csv.row("capacity", "", metric, &shortest(value));
            }
        }
    }

    /// A dimension's means are left out when nobody was rated on it.
    fn dimensions_csv(&self, csv: &mut LongCsv) {
        for d in &self.dimensions {
            for (metric, value) in [
                ("weight", Some(d.weight)),
                ("rated", Some(d.rated as f64)),
                ("mean_before", d.mean_before),
                ("mean_after", d.mean_after),
                ("mean_points", Some(d.mean_points)),
                ("weighted_points", Some(d.weighted_points)),
            ] {
                if let Some(v) = value {
                    csv.row("dimension", &d.dimension, metric, &shortest(v));
                }
            }
        }
    }

    fn capacity_csv(&self, csv: &mut LongCsv) {
        for c in &self.capacity {
            for (metric, value) in [
                ("capacity", c.capacity.to_string()),
                ("demand", c.demand.to_string()),
                ("allocated", c.allocated.to_string()),
                ("unmet", c.unmet.to_string()),
                ("allocated_gain", shortest(c.allocated_gain)),
                ("first_come_gain", shortest(c.first_come_gain)),
            ] {
                csv.row("capacity", &c.service, metric, &value);
            }
        }
    }

    /// Customers left at each stage, per service and per offer rule.
    fn funnel_csv(&self, csv: &mut LongCsv) {
        for s in &self.funnel.services {
            for stage in &s.stages {
                let customers = stage.customers.to_string();
                csv.row("funnel_service", &s.service, stage.stage, &customers);
            }
        }
        for r in &self.funnel.rules {
            for stage in &r.stages {
                let customers = stage.customers.to_string();
                csv.row("funnel_rule", &r.rule, stage.stage, &customers);
            }
        }
    }
}

/// A long-format CSV being written: the `section,item,metric,value` header,
/// then one row per figure.
struct LongCsv(csv::Writer<Vec<u8>>);

impl LongCsv {
    fn new() -> LongCsv {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let _ = writer.write_record(["section", "item", "metric", "value"]);
        LongCsv(writer)
    }

    fn row(&mut self, section: &str, item: &str, metric: &str, value: &str) {
        // Writing to memory cannot fail.
        let _ = self.0.write_record([section, item, metric, value]);
    }

    fn finish(self) -> String {
        self.0
            .into_inner()
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }
}
