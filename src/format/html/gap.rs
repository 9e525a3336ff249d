//! The dry-run page's SERVQUAL gap index: per dimension over everyone, then
//! each segment's gaps and index (the table form shows only the index per
//! segment).

use super::{Cell, name_cell, table};
use crate::analysis::report::DryRunReport;
use crate::base::number::{count, decimal, fixed};

fn dash(v: Option<f64>) -> String {
    v.map_or("-".to_string(), decimal)
}

pub(super) fn gap_index(out: &mut String, report: &DryRunReport) {
    let Some(gap) = &report.gap_index else { return };
    out.push_str("<h3>SERVQUAL gap index</h3>\n");
    out.push_str(
        "<p class=\"note\">Perception minus expectation, in points of the scale, over the \
         customers with both on the dimension (each the mean of its items rated); below 0 is \
         below expectation. The index is the sum of weight × gap over the sum of the weights of \
         the dimensions with a gap.</p>\n",
    );
    let rows = gap
        .dimensions
        .iter()
        .zip(&gap.overall.dimensions)
        .map(|(d, c)| {
            vec![
                name_cell(&d.name, &d.dimension),
                Cell::number(fixed(d.weight, 4)),
                Cell::number(count(c.rated)),
                Cell::number(dash(c.perception)),
                Cell::number(dash(c.expectation)),
                Cell::number(dash(c.gap)).key(format!("gap.{}", d.dimension)),
                Cell::number(dash(c.gap_after)),
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
            "perception",
            "expectation",
            "gap",
            "after offers",
        ],
        &[false, true, true, true, true, true, true],
        rows,
    );
    let mut header = vec!["segment"];
    header.extend(gap.dimensions.iter().map(|d| d.dimension.as_str()));
    header.extend(["gap index", "after offers", "weight covered"]);
    let mut right = vec![false];
    right.extend(gap.dimensions.iter().map(|_| true));
    right.extend([true, true, true]);
    let rows = std::iter::once(&gap.overall)
        .chain(&gap.segments)
        .map(|g| {
            let mut row = vec![Cell::text(g.segment.clone())];
            row.extend(g.dimensions.iter().map(|c| Cell::number(dash(c.gap))));
            row.push(Cell::number(dash(g.index)).key(format!("gap_index.{}", g.segment)));
            row.push(Cell::number(dash(g.index_after)));
            row.push(Cell::number(fixed(g.weight_covered, 4)));
            row
        })
        .collect();
    table(out, "", &header, &right, rows);
}
