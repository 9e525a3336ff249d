//! The checked package: every name resolved to an id, every expression typed.
//!
//! Produced by `resolve`, consumed by `compile` (which makes the fast form)
//! and by the reference evaluator (which keeps spans for traces and tests).

use crate::base::source::Span;
use crate::lang::syntax::ast::{ActionKind, BinaryOp, UnaryOp};
use crate::package::schema::{Slot, Symbol};

pub use crate::lang::ids::{ProfileId, RuleId, SegmentId, ServiceId};

/// Value types of the rule language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Type {
    Number,
    Bool,
    Text,
    /// A category attribute's value; the slot says which attribute, so the
    /// checker can test literals against its declared values.
    Category(Slot),
    List(Box<Type>),
}

impl Type {
    pub(crate) fn describe(&self) -> &'static str {
        match self {
            Type::Number => "a number",
            Type::Bool => "a yes/no value",
            Type::Text => "a text",
            Type::Category(_) => "a category",
            Type::List(_) => "a list",
        }
    }

    pub(crate) fn is_textual(&self) -> bool {
        matches!(self, Type::Text | Type::Category(_))
    }
}

/// Built-in functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Function {
    Min,
    Max,
    Clamp,
    Abs,
    Round,
    Present,
    ValueOr,
    Len,
    StartsWith,
    EndsWith,
    Contains,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TypedExpr {
    pub kind: TypedKind,
    pub ty: Type,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TypedKind {
    Number(f64),
    Text(Symbol),
    Bool(bool),
    List(Vec<TypedExpr>),
    /// An attribute or preference value.
    Slot(Slot),
    /// `uses(service)`: reads the bool attribute the catalog names for it.
    Uses(Slot),
    /// `derived`: the gain worked out from the rule's service's effects.
    Derived,
    Call(Function, Vec<TypedExpr>),
    Unary(UnaryOp, Box<TypedExpr>),
    Binary(BinaryOp, Box<TypedExpr>, Box<TypedExpr>),
    /// A rhai script, by its index in the package's scripts.
    Script(u32),
}

#[derive(Debug, Clone)]
pub(crate) struct Segment {
    pub name: String,
    pub label: Option<String>,
    pub parents: Vec<SegmentId>,
    pub when: Option<TypedExpr>,
    /// The whole declaration.
    pub span: Span,
    pub name_span: Span,
}

#[derive(Debug, Clone)]
pub(crate) struct Profile {
    pub name: String,
    pub when: Option<TypedExpr>,
    pub span: Span,
}

/// Where an offer's expected gain comes from.
#[derive(Debug, Clone)]
pub(crate) enum Gain {
    Expr(TypedExpr),
    /// The service's `default_gain` from the catalog.
    Default(f64),
    /// Derived from the service's effects by the satisfaction model.
    Derived,
}

#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub name: String,
    pub segment: SegmentId,
    pub profile: Option<ProfileId>,
    pub when: Option<TypedExpr>,
    pub action: ActionKind,
    pub service: ServiceId,
    /// None for suppress rules.
    pub gain: Option<Gain>,
    pub priority: i64,
    pub because: Option<String>,
    /// The whole declaration.
    pub span: Span,
    pub name_span: Span,
    /// Whether the rule is a row of a decision table (`TABLE[i]`), which
    /// the table analysis checks instead of the rule warnings.
    pub from_table: bool,
    /// Where the rule stands in file order: its own span, or its table's
    /// (a table's rows stand where the table is written, even when they
    /// are read from a spreadsheet).
    pub written_at: Span,
}

/// Everything the compiler needs, checked.
#[derive(Debug, Clone, Default)]
pub(crate) struct CheckedPackage {
    pub segments: Vec<Segment>,
    pub profiles: Vec<Profile>,
    pub rules: Vec<Rule>,
    pub graph: crate::lang::graph::SegmentGraph,
    /// The compiled rhai scripts of the package's `script` clauses.
    pub scripts: std::sync::Arc<crate::lang::script::Scripts>,
}
