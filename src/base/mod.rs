//! The ground floor: source files and spans, diagnostics and their one
//! renderer, the YAML reader, and the text tables every report prints.
//! Knows nothing of rules, customers or services.

pub mod diagnostic;
pub(crate) mod exact_sum;
pub(crate) mod index;
pub(crate) mod number;
pub mod render;
pub mod source;
pub(crate) mod table;
#[cfg(test)]
pub(crate) mod test_rng;
pub(crate) mod yaml;
pub(crate) mod yaml_positions;
