//! The syntax tree of rule files: what was written, with a span on every node.
//! Names are still text here; `resolve` turns them into ids.

use crate::base::source::Span;

/// A name as written, with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Name {
    pub text: String,
    pub span: Span,
}

/// One top-level declaration.
#[derive(Debug, Clone)]
pub(crate) enum Item {
    Segment(SegmentDecl),
    Profile(ProfileDecl),
    Rule(RuleDecl),
    Table(TableDecl),
}

#[derive(Debug, Clone)]
pub(crate) struct SegmentDecl {
    pub name: Name,
    pub parents: Vec<Name>,
    pub label: Option<String>,
    pub when: Option<Expr>,
    /// The whole declaration, for comparing package versions by content.
    pub span: Span,
}

#[derive(Debug, Clone)]
pub(crate) struct ProfileDecl {
    pub name: Name,
    pub when: Option<Expr>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ActionKind {
    Offer,
    Suppress,
}

#[derive(Debug, Clone)]
pub(crate) struct RuleDecl {
    pub name: Name,
    pub segment: Name,
    pub profile: Option<Name>,
    pub when: Option<Expr>,
    pub action: ActionKind,
    pub service: Name,
    pub gain: Option<Expr>,
    pub priority: i64,
    pub because: Option<String>,
    pub span: Span,
}

/// How a decision table's matching rows become offers (DMN's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HitPolicy {
    /// Rows must not overlap (checked); every matching row offers.
    Unique,
    /// Only the first matching row offers.
    First,
    /// Only the matching row with the highest `priority` offers (ties: the earlier row).
    Priority,
    /// Every matching row offers.
    Collect,
}

/// `table NAME for SEGMENT { hit ... columns ... row ... }`.
#[derive(Debug, Clone)]
pub(crate) struct TableDecl {
    pub name: Name,
    pub segment: Name,
    pub profile: Option<Name>,
    pub hit: HitPolicy,
    /// Each column is an attribute (`ExprKind::Name`) or a preference.
    pub columns: Vec<Expr>,
    pub rows: Vec<RowDecl>,
    /// `rows "offers.csv"`: the rows come from a spreadsheet in the
    /// package; `rows` is filled in when the file has been read.
    pub rows_from: Option<RowsFrom>,
    pub span: Span,
}

/// `rows "FILE"` or `rows "FILE" sheet "SHEET"` in a table's header.
#[derive(Debug, Clone)]
pub(crate) struct RowsFrom {
    /// The file's path inside the package, as written.
    pub path: String,
    /// The worksheet of a workbook (the first when left out).
    pub sheet: Option<String>,
    /// The whole clause.
    pub span: Span,
}

/// One row: a cell per column, then the clauses of a rule body.
#[derive(Debug, Clone)]
pub(crate) struct RowDecl {
    pub cells: Vec<Cell>,
    pub when: Option<Expr>,
    pub action: ActionKind,
    pub service: Name,
    pub gain: Option<Expr>,
    pub priority: i64,
    pub because: Option<String>,
    /// The whole row, from `row` to its last clause.
    pub span: Span,
    /// The `row` keyword.
    pub keyword: Span,
    /// From the first cell to the last.
    pub cells_span: Span,
}

/// One cell of a row. Constants are `Number`, `Text` or `Bool` expressions.
#[derive(Debug, Clone)]
pub(crate) struct Cell {
    pub kind: CellKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub(crate) enum CellKind {
    /// `-`: any value, even a missing one.
    Any,
    /// A constant: equal to it.
    Equal(Expr),
    /// `< 12`, `!= "x"`: the column compared with a constant.
    Compare(BinaryOp, Expr),
    /// `in [..]`, `not in [..]`.
    In { negated: bool, values: Vec<Expr> },
    /// `low..high`: low <= value < high.
    Range(Expr, Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnaryOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinaryOp {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::In => "in",
            BinaryOp::NotIn => "not in",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ExprKind {
    Number(f64),
    Text(String),
    Bool(bool),
    List(Vec<Expr>),
    /// A bare name: an attribute (or a service, inside `uses(...)`).
    Name(String),
    Preference(Name),
    Call {
        function: Name,
        args: Vec<Expr>,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// A rhai script: its text, and the byte offset in the file where the
    /// text starts (for mapping rhai's positions back to the rule file).
    Script {
        text: String,
        start: u32,
    },
}
