//! What a rule package declares and what a customer is: the catalog
//! (services, schema, satisfaction section), the customer schema, customer
//! values, and the readers of customer files. Built on `base` only.

pub mod catalog;
#[cfg(feature = "arrow")]
pub(crate) mod columnar;
pub(crate) mod csv_rows;
pub(crate) mod customer;
pub(crate) mod file_format;
pub(crate) mod input;
pub mod satisfaction;
pub(crate) mod schema;
pub mod sheet;
