//! Rule files: text in, syntax tree out.
//!
//! In: one `.vas` source file. Out: its declarations as an [`ast`] with spans,
//! and diagnostics for what could not be read. Parsing uses the pest grammar in
//! `grammar/vas.pest`; `expected` puts pest's failures into plain words.

pub(crate) mod ast;
mod expected;
mod lower;

use crate::diagnostic::{Code, Diagnostic};
use crate::source::{FileId, SourceFile, Span};
use pest::Parser as _;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/vas.pest"]
pub(crate) struct VasParser;

/// Deepest nesting of brackets accepted. pest recurses once per level, so a
/// pathological file must be refused before it reaches the parser.
pub(crate) const MAX_NESTING: usize = 64;

/// Parses one rule file into declarations; errors come back as diagnostics.
pub(crate) fn parse_file(file: FileId, source: &SourceFile) -> (Vec<ast::Item>, Vec<Diagnostic>) {
    if let Some(diagnostic) = check_nesting(file, &source.text) {
        return (Vec::new(), vec![diagnostic]);
    }
    match VasParser::parse(Rule::file, &source.text) {
        Ok(mut pairs) => {
            let Some(file_pair) = pairs.next() else {
                return (Vec::new(), Vec::new());
            };
            lower::lower_file(file, file_pair)
        }
        Err(error) => (Vec::new(), vec![expected::syntax_error(file, source, &error)]),
    }
}

/// Finds brackets nested deeper than [`MAX_NESTING`], outside strings and comments.
fn check_nesting(file: FileId, text: &str) -> Option<Diagnostic> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut in_comment = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if in_comment {
            in_comment = c != '\n';
            continue;
        }
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"' | '\n') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '#' => in_comment = true,
            '"' => in_string = true,
            '(' | '[' | '{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(
                        Diagnostic::error(
                            Code::TooDeep,
                            Span::new(file, i, i + 1),
                            format!("brackets are nested more than {MAX_NESTING} levels deep here"),
                        )
                        .with_help("split the condition into segments, profiles or simpler parts"),
                    );
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use ast::{ExprKind, Item};

    fn parse(text: &str) -> (Vec<Item>, Vec<Diagnostic>) {
        parse_file(FileId(0), &SourceFile::new("t.vas", None, text))
    }

    #[test]
    fn parses_every_declaration() {
        let (items, errors) = parse(
            "# comment\nsegment everyone { when true }\n\
             segment 高价值 under everyone \"高价值客户\" { when spend >= 5_000 }\n\
             profile fast { when pref.speed >= 0.7 }\n\
             rule r for 高价值, profile fast { offer s gain 1 + 2 * 3 priority -2 because \"why\" }\n",
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(items.len(), 4);
        let Item::Rule(rule) = &items[3] else { panic!() };
        assert_eq!(rule.segment.text, "高价值");
        assert_eq!(rule.profile.as_ref().unwrap().text, "fast");
        assert_eq!(rule.priority, -2);
        let gain = rule.gain.as_ref().unwrap();
        let ExprKind::Binary { op, .. } = &gain.kind else { panic!() };
        assert_eq!(*op, ast::BinaryOp::Add);
    }

    #[test]
    fn precedence_and_not_in() {
        let (items, errors) = parse(
            "rule r { for s when not a > 1 and b not in [\"x\"] or c offer s }",
        );
        assert!(errors.is_empty(), "{errors:?}");
        let Item::Rule(rule) = &items[0] else { panic!() };
        let ExprKind::Binary { op, lhs, .. } = &rule.when.as_ref().unwrap().kind else {
            panic!()
        };
        assert_eq!(*op, ast::BinaryOp::Or);
        let ExprKind::Binary { op, lhs, rhs } = &lhs.kind else { panic!() };
        assert_eq!(*op, ast::BinaryOp::And);
        assert!(matches!(lhs.kind, ExprKind::Unary { op: ast::UnaryOp::Not, .. }));
        assert!(matches!(rhs.kind, ExprKind::Binary { op: ast::BinaryOp::NotIn, .. }));
    }

    #[test]
    fn deep_nesting_is_refused_without_recursion() {
        let text = format!("rule r {{ for s when {}1{} offer s }}", "(".repeat(100_000), ")".repeat(100_000));
        let (_, errors) = parse(&text);
        assert_eq!(errors[0].code, Code::TooDeep);
    }

    #[test]
    fn keywords_are_not_names() {
        let (_, errors) = parse("segment rule { when true }");
        assert_eq!(errors[0].code, Code::Syntax);
    }
}
