//! The dry-run report as long-format CSV (`section,item,metric,value`), for
//! spreadsheets and programs: every figure of the report, also those the
//! table leaves out.

use crate::analysis::report::DryRunReport;
use crate::base::number::shortest;

impl DryRunReport {
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
        self.gap_csv(&mut csv);
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
                ("replaced", l.replaced as f64),
                ("replacement_gain", l.replacement_gain),
                ("limited_gain", l.limited_gain),
                ("limited_gain_bound", l.limited_gain_bound),
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

    /// The gap index: `gap,<dimension>` over everyone, `gap_index,<segment>`
    /// with the index and each dimension's gap (`gap.<dimension>`); figures
    /// nobody is rated for are left out.
    fn gap_csv(&self, csv: &mut LongCsv) {
        let Some(gap) = &self.gap_index else { return };
        for (d, c) in gap.dimensions.iter().zip(&gap.overall.dimensions) {
            for (metric, value) in [
                ("weight", Some(d.weight)),
                ("rated", Some(c.rated as f64)),
                ("perception", c.perception),
                ("expectation", c.expectation),
                ("gap", c.gap),
                ("gap_after", c.gap_after),
            ] {
                if let Some(v) = value {
                    csv.row("gap", &d.dimension, metric, &shortest(v));
                }
            }
        }
        for g in std::iter::once(&gap.overall).chain(&gap.segments) {
            let mut figures = vec![
                ("index".to_string(), g.index),
                ("index_after".to_string(), g.index_after),
                ("weight_covered".to_string(), Some(g.weight_covered)),
            ];
            for c in &g.dimensions {
                figures.push((format!("gap.{}", c.dimension), c.gap));
            }
            for (metric, value) in figures {
                if let Some(v) = value {
                    csv.row("gap_index", &g.segment, &metric, &shortest(v));
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
                ("gain_bound", shortest(c.gain_bound)),
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
