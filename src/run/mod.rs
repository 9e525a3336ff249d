//! Many customers at once: streaming batches over all cores, capacity's
//! two passes (and their serialised parts for a distributed run), and the
//! per-customer score records.

#[cfg(feature = "arrow")]
pub mod arrow;
pub mod batch;
pub mod capacity;
pub mod partial;
pub mod score;
pub mod stamp;
