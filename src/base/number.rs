//! Numbers as every report shows them: one home for rounding, ratios and
//! the decimal texts of tables, records and messages, so the same figure
//! reads the same everywhere.

/// `n / of`, or 0 when `of` is 0 (a share of nobody is no share).
pub(crate) fn ratio(n: u64, of: u64) -> f64 {
    if of == 0 { 0.0 } else { n as f64 / of as f64 }
}
