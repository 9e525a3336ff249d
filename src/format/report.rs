//! Dry-run reports as text: a table for people, long-format CSV for
//! spreadsheets. JSON comes straight from the serde form of the report.

use crate::analysis::report::DryRunReport;
use crate::base::table::{Table, count, decimal};
use std::fmt::Write as _;

impl DryRunReport {
    /// The report as aligned text tables.
    pub fn to_table(&self) -> String {
        let t = &self.totals;
        let share = |n: u64| {
            if t.evaluated > 0 {
                format!("{:.1}%", 100.0 * n as f64 / t.evaluated as f64)
            } else {
                "-".into()
            }
        };
        let mut out = String::new();
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
            share(t.customers_with_offers),
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

        out.push_str(&self.funnel.to_table());
        if !self.capacity.is_empty() {
            out.push_str(
                "\nCapacity (given to the highest expected gain per cost; a customer who \
                 misses out gets no other offer instead)\n",
            );
            let mut table = Table::new(
                &crate::analysis::report::CAPACITY_COLUMNS,
                &crate::analysis::report::CAPACITY_COLUMNS_RIGHT,
            );
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

        if !self.no_offer.is_empty() {
            let total: u64 = self.no_offer.iter().map(|r| r.customers).sum();
            let _ = writeln!(
                out,
                "\nCustomers left with nothing: {} ({})",
                count(total),
                share(total)
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
        if !self.loyalty.is_empty() {
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
                    format!("{:.4}", l.factor),
                    decimal(l.uplift),
                    format!("{:.4}", l.mean_per_customer),
                ]);
            }
            out.push_str(&table.render());
        }
        if !self.dimensions.is_empty() {
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
                    format!("{:.4}", d.weight),
                    count(d.rated),
                    d.mean_before.map_or("-".to_string(), decimal),
                    d.mean_after.map_or("-".to_string(), decimal),
                    format!("{:.4}", d.mean_points),
                    format!("{:.4}", d.weighted_points),
                ]);
            }
            out.push_str(&table.render());
        }
        if self.rules_never_fired.is_empty() {
            out.push_str("\nEvery rule fired at least once.\n");
        } else {
            let _ = writeln!(
                out,
                "\nRules that never fired: {}",
                self.rules_never_fired.join(", ")
            );
        }
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
        out
    }

    /// The report as long-format CSV: `section,item,metric,value`.
    pub fn to_csv(&self) -> String {
        let mut rows: Vec<(String, String, &str, String)> = Vec::new();
        let t = &self.totals;
        for (metric, value) in [
            ("customers", t.customers.to_string()),
            ("evaluated", t.evaluated.to_string()),
            ("data_errors", t.data_errors.to_string()),
            ("evaluation_errors", t.evaluation_errors.to_string()),
            ("customers_with_offers", t.customers_with_offers.to_string()),
            ("offers", t.offers.to_string()),
            ("expected_gain", t.expected_gain.to_string()),
            (
                "mean_gain_per_customer",
                t.mean_gain_per_customer.to_string(),
            ),
            ("cost", t.cost.to_string()),
            ("gain_per_cost", t.gain_per_cost.to_string()),
        ] {
            rows.push(("totals".into(), String::new(), metric, value));
        }
        for s in &self.segments {
            rows.push((
                "segment".into(),
                s.segment.clone(),
                "customers",
                s.customers.to_string(),
            ));
            rows.push((
                "segment".into(),
                s.segment.clone(),
                "offers",
                s.offers.to_string(),
            ));
            rows.push((
                "segment".into(),
                s.segment.clone(),
                "mean_gain",
                s.mean_gain.to_string(),
            ));
            for (metric, value) in [("median_gain", s.median_gain), ("p90_gain", s.p90_gain)] {
                rows.push((
                    "segment".into(),
                    s.segment.clone(),
                    metric,
                    value.to_string(),
                ));
            }
        }
        for r in &self.no_offer {
            rows.push((
                "no_offer".into(),
                r.segment.clone(),
                "customers",
                r.customers.to_string(),
            ));
            if let Some(m) = &r.nearest_miss {
                rows.push((
                    "no_offer".into(),
                    r.segment.clone(),
                    "nearest_miss_rule",
                    m.rule.clone(),
                ));
                rows.push((
                    "no_offer".into(),
                    r.segment.clone(),
                    "nearest_miss_condition",
                    m.condition.clone(),
                ));
                rows.push((
                    "no_offer".into(),
                    r.segment.clone(),
                    "nearest_miss_customers",
                    m.customers.to_string(),
                ));
                if let Some(v) = m.median_shortfall {
                    rows.push((
                        "no_offer".into(),
                        r.segment.clone(),
                        "median_shortfall",
                        v.to_string(),
                    ));
                }
            }
        }
        for s in &self.services {
            rows.push((
                "service".into(),
                s.service.clone(),
                "offers",
                s.offers.to_string(),
            ));
            rows.push((
                "service".into(),
                s.service.clone(),
                "expected_gain",
                s.expected_gain.to_string(),
            ));
            rows.push((
                "service".into(),
                s.service.clone(),
                "cost",
                s.cost.to_string(),
            ));
            rows.push((
                "service".into(),
                s.service.clone(),
                "blocked",
                s.blocked.to_string(),
            ));
        }
        for r in &self.rules {
            rows.push(("rule".into(), r.rule.clone(), "fired", r.fired.to_string()));
            rows.push((
                "rule".into(),
                r.rule.clone(),
                "offers",
                r.offers.to_string(),
            ));
        }
        if let Some(l) = &self.capacity_losses {
            for (metric, value) in [
                ("customers_losing_an_offer", l.customers as f64),
                ("gain_lost", l.gain_lost),
                ("replacement_bound", l.replacement_bound),
            ] {
                rows.push(("capacity".into(), String::new(), metric, value.to_string()));
            }
        }
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
                    rows.push((
                        "dimension".into(),
                        d.dimension.clone(),
                        metric,
                        v.to_string(),
                    ));
                }
            }
        }
        for c in &self.capacity {
            for (metric, value) in [
                ("capacity", c.capacity.to_string()),
                ("demand", c.demand.to_string()),
                ("allocated", c.allocated.to_string()),
                ("unmet", c.unmet.to_string()),
                ("allocated_gain", c.allocated_gain.to_string()),
                ("first_come_gain", c.first_come_gain.to_string()),
            ] {
                rows.push(("capacity".into(), c.service.clone(), metric, value));
            }
        }
        for s in &self.funnel.services {
            for stage in &s.stages {
                rows.push((
                    "funnel_service".into(),
                    s.service.clone(),
                    stage.stage,
                    stage.customers.to_string(),
                ));
            }
        }
        for r in &self.funnel.rules {
            for stage in &r.stages {
                rows.push((
                    "funnel_rule".into(),
                    r.rule.clone(),
                    stage.stage,
                    stage.customers.to_string(),
                ));
            }
        }
        let mut writer = csv::Writer::from_writer(Vec::new());
        let _ = writer.write_record(["section", "item", "metric", "value"]);
        for (section, item, metric, value) in rows {
            let _ = writer.write_record([section.as_str(), item.as_str(), metric, value.as_str()]);
        }
        writer
            .into_inner()
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }
}
