//! The dry-run page's tables for analysts: the funnel by service and rule,
//! capacity, customers left with nothing, satisfaction and loyalty, the
//! rules and the rows that failed.

use super::{Cell, end_section, escape, name_cell, section, segment_labels, service_names, table};
use crate::analysis::funnel::{Loss, SERVICE_STAGES, heading, stopped_by};
use crate::analysis::report::DryRunReport;
use crate::base::number::{count, decimal, fixed, percent, ratio};
use std::fmt::Write as _;

fn loss_text(loss: Option<Loss>) -> String {
    loss.map_or("-".to_string(), |l| {
        format!("{} (-{})", stopped_by(l.stage), count(l.customers))
    })
}

pub(super) fn funnel(out: &mut String, report: &DryRunReport) {
    let f = &report.funnel;
    section(
        out,
        "funnel",
        "Funnel: where each service loses its audience",
        "Customers passing each step, in the order the engine decides. \
         Steps the package does not use are left out.",
    );
    let shown = crate::analysis::funnel::shown_stages(&f.unused_stages);
    let mut header = vec!["service"];
    header.extend(shown.iter().map(|&i| heading(SERVICE_STAGES[i])));
    header.push("most lost at");
    let mut right = vec![false];
    right.extend(shown.iter().map(|_| true));
    right.push(false);
    let rows = f
        .services
        .iter()
        .map(|s| {
            let first = s.stages.first().map_or(0, |c| c.customers);
            let mut row = vec![name_cell(&s.name, &s.service)];
            row.extend(shown.iter().map(|&i| {
                let customers = s.stages.get(i).map_or(0, |c| c.customers);
                Cell::number(count(customers))
                    .bar(ratio(customers, first))
                    .class("bar-cell")
            }));
            row.push(Cell::text(loss_text(s.biggest_loss)).class("loss"));
            row
        })
        .collect();
    table(out, "funnel", &header, &right, rows);
    let _ = writeln!(
        out,
        "<p class=\"note\">{}.</p>",
        escape(&crate::analysis::funnel::legend(&shown))
    );

    out.push_str("<h3>By rule</h3>\n");
    let at = |r: &crate::analysis::funnel::RuleFunnel, stage: usize| {
        r.stages.get(stage).map_or(0, |c| c.customers)
    };
    let rows = f
        .rules
        .iter()
        .map(|r| {
            let path: Vec<String> = r
                .path
                .iter()
                .map(|l| format!("{} {}", l.segment, count(l.customers)))
                .collect();
            vec![
                Cell::html(rule_html(&r.rule, r.sheet_row.as_deref())),
                Cell::text(path.join(" › ")).class("path"),
                Cell::number(count(at(r, 1))),
                Cell::number(count(at(r, 2))),
                Cell::number(count(at(r, 3))),
                Cell::number(count(r.offered)),
                Cell::text(loss_text(r.biggest_loss)).class("loss"),
            ]
        })
        .collect();
    table(
        out,
        "",
        &crate::analysis::funnel::RULE_COLUMNS,
        &crate::analysis::funnel::RULE_COLUMNS_RIGHT,
        rows,
    );
    end_section(out);
}

pub(super) fn capacity(out: &mut String, report: &DryRunReport) {
    if report.capacity.is_empty() {
        return;
    }
    section(
        out,
        "capacity",
        "Capacity",
        "Services that can only be given to so many customers go to those with the highest \
         expected gain per cost; a customer who misses out gets no other offer instead.",
    );
    let names = service_names(report);
    let rows = report
        .capacity
        .iter()
        .map(|c| {
            let key = |metric: &str| format!("capacity.{}.{metric}", c.service);
            vec![
                name_cell(
                    names.get(c.service.as_str()).copied().unwrap_or(""),
                    &c.service,
                ),
                Cell::number(count(c.capacity)),
                Cell::number(count(c.demand)).key(key("demand")),
                Cell::number(count(c.allocated)).key(key("allocated")),
                Cell::number(count(c.unmet)).class(if c.unmet > 0 { "down" } else { "" }),
                Cell::number(decimal(c.allocated_gain)),
                Cell::number(decimal(c.first_come_gain)),
                Cell::number(decimal(c.gain_bound)),
            ]
        })
        .collect();
    table(
        out,
        "",
        &crate::analysis::report::CAPACITY_COLUMNS,
        &crate::analysis::report::CAPACITY_COLUMNS_RIGHT,
        rows,
    );
    if let Some(l) = &report.capacity_losses {
        let _ = writeln!(
            out,
            "<p class=\"note\"><strong>{}</strong> customers lost an offer to capacity \
             ({} points of expected gain); <strong>{}</strong> replacement offers took the \
             freed places ({} points). The limited services given out add {} points over \
             offering none of them (before stacking); no allocation could add more than {}.</p>",
            count(l.customers),
            decimal(l.gain_lost),
            count(l.replaced),
            decimal(l.replacement_gain),
            decimal(l.limited_gain),
            decimal(l.limited_gain_bound)
        );
    }
    end_section(out);
}

pub(super) fn no_offer(out: &mut String, report: &DryRunReport) {
    if report.no_offer.is_empty() {
        return;
    }
    let total: u64 = report.no_offer.iter().map(|r| r.customers).sum();
    section(
        out,
        "no-offer",
        "Customers left with nothing",
        &format!(
            "{} customers ({}) got no offer. By the deepest segment they reached, with the \
             rule that missed them on a single part of its condition.",
            count(total),
            percent(total, report.totals.evaluated)
        ),
    );
    let labels = segment_labels(report);
    let rows = report
        .no_offer
        .iter()
        .map(|r| {
            let (rule, condition, customers, shortfall) = match &r.nearest_miss {
                Some(m) => (
                    format!("<code>{}</code>", escape(&m.rule)),
                    format!("<code>{}</code>", escape(&m.condition)),
                    count(m.customers),
                    m.median_shortfall.map_or("-".to_string(), decimal),
                ),
                None => ("-".into(), "-".into(), "-".into(), "-".into()),
            };
            vec![
                name_cell(
                    labels.get(r.segment.as_str()).copied().unwrap_or(""),
                    &r.segment,
                ),
                Cell::number(count(r.customers)),
                Cell::html(rule),
                Cell::html(condition),
                Cell::number(customers),
                Cell::number(shortfall),
            ]
        })
        .collect();
    table(
        out,
        "",
        &[
            "deepest segment",
            "customers",
            "nearest miss",
            "fails only on",
            "for",
            "median shortfall",
        ],
        &[false, true, false, false, true, true],
        rows,
    );
    end_section(out);
}

pub(super) fn model(out: &mut String, report: &DryRunReport) {
    if report.loyalty.is_empty() && report.dimensions.is_empty() {
        return;
    }
    section(
        out,
        "satisfaction",
        "Satisfaction and loyalty",
        "What the expected gain means for the satisfaction model's dimensions and for loyalty.",
    );
    if !report.loyalty.is_empty() {
        out.push_str("<h3>Loyalty uplift</h3>\n");
        let rows = report
            .loyalty
            .iter()
            .map(|l| {
                vec![
                    Cell::text(l.outcome.clone()),
                    Cell::number(fixed(l.factor, 4)),
                    Cell::number(decimal(l.uplift)).key(format!("loyalty.{}.uplift", l.outcome)),
                    Cell::number(fixed(l.mean_per_customer, 4)),
                ]
            })
            .collect();
        table(
            out,
            "narrow",
            &[
                "outcome",
                "per point of gain",
                "total uplift",
                "per customer",
            ],
            &[false, true, true, true],
            rows,
        );
    }
    if !report.dimensions.is_empty() {
        out.push_str("<h3>Satisfaction by dimension</h3>\n");
        out.push_str(
            "<p class=\"note\">Points on the dimension's scale; before and after are over the \
             customers rated on it.</p>\n",
        );
        let rows = report
            .dimensions
            .iter()
            .map(|d| {
                vec![
                    name_cell(&d.name, &d.dimension),
                    Cell::number(fixed(d.weight, 4)),
                    Cell::number(count(d.rated)),
                    Cell::number(d.mean_before.map_or("-".to_string(), decimal)),
                    Cell::number(d.mean_after.map_or("-".to_string(), decimal)),
                    Cell::number(fixed(d.mean_points, 4)),
                    Cell::number(fixed(d.weighted_points, 4)),
                ]
            })
            .collect();
        table(
            out,
            "",
            &[
                "dimension",
                "weight",
                "rated",
                "before",
                "after",
                "points per customer",
                "weighted",
            ],
            &[false, true, true, true, true, true, true],
            rows,
        );
    }
    super::gap::gap_index(out, report);
    end_section(out);
}

pub(super) fn rules(out: &mut String, report: &DryRunReport) {
    section(
        out,
        "rules",
        "Rules",
        "How often each rule's segment, profile and condition held (fired), and the offers it made in the end.",
    );
    if report.rules_never_fired.is_empty() {
        out.push_str(
            "<p class=\"callout ok\">Every rule fired at least once \
             (<span data-key=\"rules_never_fired.count\">0</span> never fired).</p>\n",
        );
    } else {
        let _ = write!(
            out,
            "<div class=\"callout warn\"><p><strong><span data-key=\"rules_never_fired.count\">{}</span> \
             rules never fired</strong> over these customers:</p><ul class=\"never\">",
            count(report.rules_never_fired.len() as u64)
        );
        for rule in &report.rules_never_fired {
            let _ = write!(out, "<li><code>{}</code></li>", escape(rule));
        }
        out.push_str("</ul></div>\n");
    }
    let rows = report
        .rules
        .iter()
        .map(|r| {
            let key = |metric: &str| format!("rules.{}.{metric}", r.rule);
            vec![
                Cell::html(rule_html(&r.rule, r.sheet_row.as_deref())),
                Cell::text(r.action.clone()),
                Cell::text(r.service.clone()),
                Cell::text(r.segment.clone()),
                Cell::number(count(r.fired))
                    .key(key("fired"))
                    .class(if r.fired == 0 { "down" } else { "" }),
                Cell::number(count(r.offers)).key(key("offers")),
            ]
        })
        .collect();
    table(
        out,
        "",
        &["rule", "action", "service", "segment", "fired", "offers"],
        &[false, false, false, false, true, true],
        rows,
    );
    end_section(out);
}

pub(super) fn errors(out: &mut String, report: &DryRunReport) {
    if report.errors.is_empty() {
        return;
    }
    section(
        out,
        "errors",
        "Rows that failed",
        "How many customers each failing rule stopped, and the first rows that could not be read or evaluated, in input order.",
    );
    if !report.evaluation_errors_by_source.is_empty() {
        let rows = report
            .evaluation_errors_by_source
            .iter()
            .map(|e| {
                vec![
                    Cell::html(format!("<code>{}</code>", escape(&e.source))),
                    Cell::number(count(e.errors)).key(format!("evaluation_errors.{}", e.source)),
                ]
            })
            .collect();
        out.push_str("<h3>Evaluation errors by rule</h3>\n");
        table(out, "", &["raised by", "customers"], &[false, true], rows);
    }
    out.push_str("<ul class=\"errors\">");
    for e in &report.errors {
        let _ = write!(out, "<li><code>{}</code></li>", escape(e));
    }
    out.push_str("</ul>\n");
    end_section(out);
}

/// A rule's name as code; a spreadsheet's row with its row there
/// (`senior_care[1]` and `senior_care.csv:2`).
pub(super) fn rule_html(rule: &str, sheet_row: Option<&str>) -> String {
    match sheet_row {
        Some(row) => format!(
            "<code>{}</code> <span class=\"place\">({})</span>",
            escape(rule),
            escape(row)
        ),
        None => format!("<code>{}</code>", escape(rule)),
    }
}
