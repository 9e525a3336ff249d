//! The dry-run page: totals, the segment graph, services, gains by segment,
//! the funnel, capacity, customers left with nothing, loyalty and the rules.

use super::analysis::{capacity, errors, funnel, model, no_offer, rules};
use super::svg::{self, Label, Panel, Range};
use super::{
    Card, Cell, PageMeta, Tone, cards, document, end_section, escape, footer, header, name_cell,
    section, segment_labels, table,
};
use crate::analysis::report::DryRunReport;
use crate::base::number::{count, decimal, percent, ratio};
use std::fmt::Write as _;

/// The dry-run report as a self-contained HTML page.
pub fn dry_run_page(report: &DryRunReport, meta: &PageMeta) -> String {
    let mut out = String::new();
    let package = if report.package.is_empty() {
        meta.package.as_str()
    } else {
        report.package.as_str()
    };
    header(
        &mut out,
        "Dry run",
        &format!("{package}: what the rules would offer"),
        &[
            ("Package", package.to_string()),
            (
                "Version",
                meta.revision
                    .clone()
                    .unwrap_or_else(|| "unknown (not in a git repository)".into()),
            ),
            ("Package folder", meta.package_dir.clone()),
            ("Customers file", report.customers_file.clone()),
        ],
    );
    contents(&mut out, report);
    summary(&mut out, report);
    segments(&mut out, report);
    services(&mut out, report);
    gains(&mut out, report);
    funnel(&mut out, report);
    capacity(&mut out, report);
    no_offer(&mut out, report);
    model(&mut out, report);
    rules(&mut out, report);
    errors(&mut out, report);
    footer(&mut out, meta);
    document(&format!("Dry run of {package}"), &out)
}

fn contents(out: &mut String, report: &DryRunReport) {
    let mut links = vec![
        ("summary", "Summary"),
        ("segments", "Segments"),
        ("services", "Services"),
        ("gains", "Gain by segment"),
        ("funnel", "Funnel"),
    ];
    if !report.capacity.is_empty() {
        links.push(("capacity", "Capacity"));
    }
    if !report.no_offer.is_empty() {
        links.push(("no-offer", "Left with nothing"));
    }
    if !report.loyalty.is_empty() || !report.dimensions.is_empty() {
        links.push(("satisfaction", "Satisfaction and loyalty"));
    }
    links.push(("rules", "Rules"));
    out.push_str("<nav>");
    for (id, text) in links {
        let _ = write!(out, "<a href=\"#{id}\">{}</a>", escape(text));
    }
    out.push_str("</nav>\n");
}

fn summary(out: &mut String, report: &DryRunReport) {
    let t = &report.totals;
    section(
        out,
        "summary",
        "Summary",
        "Every customer in the file run through the rules; gains are expected points of satisfaction.",
    );
    let skipped = t.data_errors + t.evaluation_errors;
    cards(
        out,
        &[
            Card {
                label: "Customers",
                key: "totals.customers",
                value: count(t.customers),
                note: if skipped > 0 {
                    format!(
                        "{} evaluated, {} skipped",
                        count(t.evaluated),
                        count(skipped)
                    )
                } else {
                    format!("{} evaluated", count(t.evaluated))
                },
                tone: if skipped > 0 { Tone::Down } else { Tone::Plain },
            },
            Card {
                label: "Customers with an offer",
                key: "totals.customers_with_offers",
                value: count(t.customers_with_offers),
                note: format!(
                    "{} of those evaluated",
                    percent(t.customers_with_offers, t.evaluated)
                ),
                tone: Tone::Plain,
            },
            Card {
                label: "Offers",
                key: "totals.offers",
                value: count(t.offers),
                note: "recommendations made".into(),
                tone: Tone::Plain,
            },
            Card {
                label: "Expected gain",
                key: "totals.expected_gain",
                value: decimal(t.expected_gain),
                note: "points of satisfaction, all offers".into(),
                tone: Tone::Plain,
            },
            Card {
                label: "Mean gain per customer",
                key: "totals.mean_gain_per_customer",
                value: decimal(t.mean_gain_per_customer),
                note: "over the customers evaluated".into(),
                tone: Tone::Plain,
            },
            Card {
                label: "Cost",
                key: "totals.cost",
                value: decimal(t.cost),
                note: "offers times their unit cost".into(),
                tone: Tone::Plain,
            },
            Card {
                label: "Gain per unit of cost",
                key: "totals.gain_per_cost",
                value: decimal(t.gain_per_cost),
                note: "expected gain / cost".into(),
                tone: Tone::Plain,
            },
        ],
    );
    offers_per_customer(out, report);
    end_section(out);
}

/// How many customers got no offer, one offer, two...
fn offers_per_customer(out: &mut String, report: &DryRunReport) {
    out.push_str("<h3>Offers per customer</h3>\n");
    let most = report
        .offers_per_customer
        .iter()
        .copied()
        .max()
        .unwrap_or(0);
    let rows = report
        .offers_per_customer
        .iter()
        .enumerate()
        .map(|(n, &customers)| {
            vec![
                Cell::text(match n {
                    0 => "no offer".to_string(),
                    1 => "1 offer".to_string(),
                    n => format!("{n} offers"),
                }),
                Cell::number(count(customers))
                    .key(format!("offers_per_customer.{n}"))
                    .bar(ratio(customers, most))
                    .class("bar-cell"),
                Cell::number(percent(customers, report.totals.evaluated)),
            ]
        })
        .collect();
    table(
        out,
        "narrow",
        &["offers", "customers", "share"],
        &[false, true, true],
        rows,
    );
}

fn segments(out: &mut String, report: &DryRunReport) {
    section(
        out,
        "segments",
        "Segments",
        "Each box is a segment of customers, drawn under the segments it refines. \
         Darker boxes expect more gain per customer; the bar at a box's foot shows how many \
         customers it holds.",
    );
    if report.segments.is_empty() {
        out.push_str("<p>The package declares no segments.</p>\n");
        end_section(out);
        return;
    }
    let _ = writeln!(
        out,
        "<figure class=\"graph\"><div class=\"scroll\">{}</div></figure>",
        super::graph::segment_graph(&report.segments)
    );
    let labels = segment_labels(report);
    let rows = report
        .segments
        .iter()
        .map(|s| {
            let key = |metric: &str| format!("segments.{}.{metric}", s.segment);
            let parents: Vec<String> = s
                .parents
                .iter()
                .map(|p| match labels.get(p.as_str()) {
                    Some(label) if *label != p => format!("{label} ({p})"),
                    _ => p.clone(),
                })
                .collect();
            vec![
                name_cell(&s.label, &s.segment),
                Cell::text(if parents.is_empty() {
                    "-".to_string()
                } else {
                    parents.join(", ")
                }),
                Cell::number(count(s.customers)).key(key("customers")),
                Cell::number(count(s.offers)).key(key("offers")),
                Cell::number(decimal(s.mean_gain)).key(key("mean_gain")),
                Cell::number(decimal(s.median_gain)),
                Cell::number(decimal(s.p90_gain)),
            ]
        })
        .collect();
    table(
        out,
        "",
        &[
            "segment",
            "under",
            "customers",
            "offers",
            "mean gain",
            "median",
            "p90",
        ],
        &[false, false, true, true, true, true, true],
        rows,
    );
    end_section(out);
}

fn services(out: &mut String, report: &DryRunReport) {
    section(
        out,
        "services",
        "Services",
        "Offers made, the satisfaction they are expected to bring, and what they cost, per service.",
    );
    let labels: Vec<Label> = report
        .services
        .iter()
        .map(|s| Label {
            name: s.name.clone(),
            id: s.service.clone(),
        })
        .collect();
    let panel = |title, class, values: Vec<f64>, texts| Panel {
        title,
        values,
        texts,
        class,
    };
    let s = &report.services;
    let chart = svg::bars(
        &labels,
        &[
            panel(
                "Offers",
                "bar-offers",
                s.iter().map(|s| s.offers as f64).collect(),
                s.iter().map(|s| count(s.offers)).collect(),
            ),
            panel(
                "Expected gain",
                "bar-gain",
                s.iter().map(|s| s.expected_gain).collect(),
                s.iter().map(|s| decimal(s.expected_gain)).collect(),
            ),
            panel(
                "Cost",
                "bar-cost",
                s.iter().map(|s| s.cost).collect(),
                s.iter().map(|s| decimal(s.cost)).collect(),
            ),
        ],
        "Offers, expected gain and cost per service",
    );
    let _ = writeln!(
        out,
        "<figure class=\"bars\"><div class=\"scroll\">{chart}</div></figure>"
    );
    let rows = report
        .services
        .iter()
        .map(|s| {
            let key = |metric: &str| format!("services.{}.{metric}", s.service);
            vec![
                name_cell(&s.name, &s.service),
                Cell::number(count(s.offers)).key(key("offers")),
                Cell::number(decimal(s.expected_gain)).key(key("expected_gain")),
                Cell::number(decimal(s.cost)).key(key("cost")),
                Cell::number(count(s.blocked)).key(key("blocked")),
            ]
        })
        .collect();
    table(
        out,
        "",
        &["service", "offers", "expected gain", "cost", "blocked"],
        &[false, true, true, true, true],
        rows,
    );
    out.push_str(
        "<p class=\"note\">Blocked: times a winning offer was dropped, suppressed by a rule \
         or with a gain that needed a missing value.</p>\n",
    );
    end_section(out);
}

fn gains(out: &mut String, report: &DryRunReport) {
    section(
        out,
        "gains",
        "Expected gain per customer, by segment",
        "The total expected gain of each customer's offers, spread over the customers of each segment.",
    );
    let rows: Vec<Range> = report
        .segments
        .iter()
        .map(|s| Range {
            label: Label {
                name: s.label.clone(),
                id: s.segment.clone(),
            },
            mean: s.mean_gain,
            median: s.median_gain,
            p90: s.p90_gain,
        })
        .collect();
    let _ = writeln!(
        out,
        "<figure class=\"bars\"><div class=\"scroll\">{}</div></figure>",
        svg::gain_ranges(&rows, "Expected gain per customer by segment")
    );
    end_section(out);
}
