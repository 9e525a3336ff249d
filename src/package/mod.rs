//! What a rule package declares and what a customer is: the catalog
//! (services, schema, satisfaction section), the customer schema, customer
//! values, and the readers of customer files. Built on `base` only.

pub mod catalog;
pub(crate) mod customer;
pub(crate) mod input;
pub mod satisfaction;
pub(crate) mod schema;
pub mod sheet;
