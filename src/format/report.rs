//! Dry-run reports as text tables for people (the long-format CSV is in
//! `report_csv`; JSON comes straight from the serde form of the report).
//!
//! The rendering is one step per section of the report, in the order they
//! print; a section the run has nothing for (no capacity, no loyalty model,
//! no errors) prints nothing.
//!
//! The table is for a person in a terminal: it fits in 100 columns for the
//! bundled package, a short legend follows each table whose column words
//! need one, and it ends with what to run next. Columns that few readers
//! need (service names, how often a winning offer was blocked, every rule's
//! segment path and per-stage counts) are left to the JSON, CSV and HTML
//! forms, which have everything.

use crate::analysis::funnel::{
    SERVICE_STAGES, heading, legend as funnel_legend, shown_stages, stopped_by,
};
use crate::analysis::report::{CAPACITY_COLUMNS, CAPACITY_COLUMNS_RIGHT, DryRunReport};
use crate::base::number::{count, decimal, fixed, percent};
use crate::base::table::{Table, wrapped};
use std::fmt::Write as _;

impl DryRunReport {
    /// The report as aligned text tables.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        self.totals_text(&mut out);
        self.segments_table(&mut out);
        self.services_table(&mut out);
        self.rules_table(&mut out);
        self.capacity_table(&mut out);
        self.no_offer_table(&mut out);
        self.loyalty_table(&mut out);
        self.dimensions_table(&mut out);
        self.gap_tables(&mut out);
        self.never_fired_text(&mut out);
        self.errors_text(&mut out);
        self.next_steps_text(&mut out);
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
        legend(
            out,
            "offers: made by the segment's rules; mean gain, median, p90: the expected gain \
             of a member's offers",
        );
    }

    /// Per service, the funnel: customers left at each stage, from being in
    /// a segment of its rules to being offered it, then the gain and cost.
    /// Stages no customer was lost at are left out (they repeat a column).
    fn services_table(&self, out: &mut String) {
        let shown: Vec<usize> = shown_stages(&self.funnel.unused_stages)
            .into_iter()
            .enumerate()
            .filter(|&(n, i)| {
                // The first stage always shows; a later one when it loses someone.
                n == 0
                    || self.funnel.services.iter().any(|s| {
                        let at = |j: usize| s.stages.get(j).map(|c| c.customers);
                        i.checked_sub(1).map(at) != Some(at(i))
                    })
            })
            .map(|(_, i)| i)
            .collect();
        out.push_str("\nServices: customers left at each stage, in the engine's order\n");
        let mut header = vec!["service"];
        header.extend(shown.iter().map(|&i| heading(SERVICE_STAGES[i])));
        header.extend(["gain", "cost"]);
        let mut right = vec![true; header.len()];
        right[0] = false;
        let mut table = Table::new(&header, &right);
        for (s, f) in self.services.iter().zip(&self.funnel.services) {
            let mut row = vec![s.service.clone()];
            row.extend(shown.iter().map(|&i| {
                f.stages
                    .get(i)
                    .map_or(String::new(), |c| count(c.customers))
            }));
            row.extend([decimal(s.expected_gain), decimal(s.cost)]);
            table.row(row);
        }
        out.push_str(&table.render());
        legend(
            out,
            &format!(
                "{}; the last stage is the offers made; gain, cost: of those offers",
                funnel_legend(&shown)
            ),
        );
    }

    /// Per rule: how many it fired for, won and offered to, and the stage
    /// of its funnel that lost the most customers.
    fn rules_table(&self, out: &mut String) {
        out.push_str("\nRules\n");
        let mut table = Table::new(
            &["rule", "service", "fired", "won", "offers", "most lost at"],
            &[false, false, true, true, true, false],
        );
        let mut funnels = self.funnel.rules.iter().peekable();
        for r in &self.rules {
            let funnel = funnels.next_if(|f| f.rule == r.rule);
            let (won, lost) = match funnel {
                Some(f) => (
                    f.stages
                        .iter()
                        .find(|s| s.stage == "won")
                        .map_or("-".to_string(), |s| count(s.customers)),
                    f.biggest_loss.map_or("-".to_string(), |l| {
                        format!("{} -{}", stopped_by(l.stage), count(l.customers))
                    }),
                ),
                None if r.action == "suppress" => ("-".to_string(), "(suppress rule)".to_string()),
                None => ("-".to_string(), "-".to_string()),
            };
            let offers = if r.action == "suppress" {
                "-".to_string()
            } else {
                count(r.offers)
            };
            table.row(vec![
                r.rule.clone(),
                r.service.clone(),
                count(r.fired),
                won,
                offers,
                lost,
            ]);
        }
        out.push_str(&table.render());
        legend(
            out,
            "fired: its segment, profile and condition held; won: it beat the other rules \
             for its service; most lost at: the check that stopped the most customers, and how \
             many",
        );
    }

    /// Capacity-limited services: who got them, and what the limit cost.
    fn capacity_table(&self, out: &mut String) {
        if self.capacity.is_empty() {
            return;
        }
        out.push_str("\nCapacity\n");
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
                decimal(c.gain_bound),
            ]);
        }
        out.push_str(&table.render());
        legend(
            out,
            "given to the customers it adds most gain to (marginal gain: the gain of their \
             offers with it minus without it); demand: customers it adds gain to; unmet: demand \
             beyond the capacity; gain given, first come (had the first rows of the file got \
             it), at most (no allocation adds more): marginal gains",
        );
        if let Some(l) = &self.capacity_losses {
            legend(
                out,
                &format!(
                    "{} customers lost an offer to capacity ({} points of expected gain); {} \
                     replacement offers took the freed places ({} points); the limited services \
                     add {} points over none of them (before stacking), no allocation more than {}",
                    count(l.customers),
                    decimal(l.gain_lost),
                    count(l.replaced),
                    decimal(l.replacement_gain),
                    decimal(l.limited_gain),
                    decimal(l.limited_gain_bound)
                ),
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
        legend(
            out,
            "nearest miss: the offer rule that failed on one part only; for: the customers \
             it failed for; median shortfall: how far their value is from the number compared \
             with (0: equal to it, where the comparison is strict)",
        );
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
        legend(
            out,
            "rated: customers with a perception score; points per customer: what the offers \
             close, over everyone; weighted: weight x points",
        );
    }

    /// The SERVQUAL gap per dimension and the index, with the range of the
    /// segments' indexes; nothing without expectation items. Each segment's
    /// gaps are in the JSON, CSV and HTML forms (a table per segment would
    /// double the report's length).
    fn gap_tables(&self, out: &mut String) {
        let Some(gap) = &self.gap_index else { return };
        out.push_str(
            "\nSERVQUAL gap (perception - expectation, over those rated on both; below 0: below expectation)\n",
        );
        let mut table = Table::new(
            &[
                "dimension",
                "rated",
                "perception",
                "expectation",
                "gap",
                "after offers",
            ],
            &[false, true, true, true, true, true],
        );
        let dash = |v: Option<f64>| v.map_or("-".to_string(), decimal);
        for (d, cell) in gap.dimensions.iter().zip(&gap.overall.dimensions) {
            table.row(vec![
                d.dimension.clone(),
                count(cell.rated),
                dash(cell.perception),
                dash(cell.expectation),
                dash(cell.gap),
                dash(cell.gap_after),
            ]);
        }
        out.push_str(&table.render());
        let o = &gap.overall;
        let mut text = format!(
            "{} ({} after the offers; weighted mean of the gaps, over {} of the weight)",
            dash(o.index),
            dash(o.index_after),
            fixed(o.weight_covered, 4)
        );
        let indexed: Vec<(f64, &str)> = gap
            .segments
            .iter()
            .filter_map(|g| Some((g.index?, g.segment.as_str())))
            .collect();
        let lowest = indexed.iter().min_by(|a, b| a.0.total_cmp(&b.0));
        let highest = indexed.iter().max_by(|a, b| a.0.total_cmp(&b.0));
        if let (Some(low), Some(high)) = (lowest, highest) {
            let _ = write!(
                text,
                "; by segment from {} ({}) to {} ({})",
                decimal(low.0),
                low.1,
                decimal(high.0),
                high.1
            );
        }
        wrapped(out, "gap index ", &text);
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

    /// What to run next: explain one of this run's customers, and the forms
    /// of the report that have what the table leaves out.
    fn next_steps_text(&self, out: &mut String) {
        out.push_str("\nNext steps (with this run's --rules and --customers)\n");
        let mut table = Table::new(&["", ""], &[false, false]);
        if let Some(e) = &self.explain_example {
            let why = match e.why {
                "capacity_loss" => "why this customer lost an offer to capacity",
                "no_offer" => "why this customer got no offer",
                _ => "why this customer got its offers",
            };
            table.row(vec![
                format!(
                    "vasrec explain --customer {}",
                    crate::base::render::printable(&e.customer_id)
                ),
                why.to_string(),
            ]);
        }
        table.row(vec![
            "vasrec dry-run --format html --out report.html".into(),
            "this report as a page, with the segment graph".into(),
        ]);
        table.row(vec![
            "vasrec dry-run --format json   (or csv)".into(),
            "every figure, also those this table leaves out".into(),
        ]);
        // The table's header and rule lines are blank here: only its rows.
        for line in table.render().lines().skip(2) {
            let _ = writeln!(out, "  {line}");
        }
    }
}

/// A legend under a table, wrapped at word boundaries to 100 columns.
fn legend(out: &mut String, text: &str) {
    wrapped(out, "", text);
}
