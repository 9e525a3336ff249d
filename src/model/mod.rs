//! The satisfaction model: how much a service is expected to raise a
//! customer's satisfaction, from dimension weights set by experts or data.

pub mod ahp;
