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
