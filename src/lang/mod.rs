//! The rule language: pest syntax to an AST with spans, name and type
//! resolution against the catalog, the checked IR, the segment graph, and
//! the sandboxed rhai scripts. In: source files and the catalog; out: a
//! checked package ready to compile.

pub(crate) mod graph;
pub mod ids;
pub(crate) mod ir;
pub(crate) mod layout;
pub(crate) mod resolve;
pub(crate) mod script;
pub(crate) mod syntax;
