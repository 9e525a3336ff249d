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
