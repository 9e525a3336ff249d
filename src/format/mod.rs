//! Text, CSV and HTML renderings of the analyses. Computes nothing of its
//! own: every figure comes from an `analysis` value.

pub(crate) mod calibrate;
mod calibrate_not_rated;
pub(crate) mod diff;
pub mod html;
pub(crate) mod report;
mod report_csv;
pub(crate) mod testing;
pub(crate) mod trace;

/// A rule's name in text; a table's row read from a spreadsheet with its
/// row there: `senior_care[1] (senior_care.csv:2)`.
pub(crate) fn rule_with_row(rule: &str, sheet_row: Option<&str>) -> String {
    match sheet_row {
        Some(row) => format!("{rule} ({row})"),
        None => rule.to_string(),
    }
}
