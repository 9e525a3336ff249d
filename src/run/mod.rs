//! Many customers at once: streaming batches over all cores, capacity's
//! two passes, and the per-customer score records.

#[cfg(feature = "arrow")]
pub mod arrow;
pub mod batch;
pub mod capacity;
pub mod score;
