//! Rule files: text in, syntax tree out.
//!
//! In: one `.vas` source file. Out: its declarations as an [`ast`] with spans,
//! and diagnostics for what could not be read. Parsing uses the pest grammar in
//! `grammar/vas.pest`; `expected` puts pest's failures into plain words.

pub(crate) mod ast;
mod delimiters;
mod expected;
mod lower;
pub(crate) mod sheet;

use crate::base::diagnostic::{Code, Diagnostic};
use crate::base::source::{FileId, SourceFile, Span};
use crate::package::catalog::Limits;
use pest::Parser as _;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/vas.pest"]
pub(crate) struct VasParser;

/// A parsed rule file.
#[derive(Debug, Default)]
pub(crate) struct ParsedFile {
    pub items: Vec<ast::Item>,
    pub errors: Vec<Diagnostic>,
    /// Names of declarations that could not be parsed, so that later phases
    /// do not add "unknown segment" errors on top of the syntax error.
    pub broken: Vec<String>,
}

/// Parses one rule file into declarations; errors come back as diagnostics.
pub(crate) fn parse_file(file: FileId, source: &SourceFile, limits: &Limits) -> ParsedFile {
    let whole = match check_nesting(file, 0, &source.text, limits) {
        Some(error) => Err(error),
        None => parse_part(file, source, 0, &source.text, limits),
    };
    let (items, errors) = match whole {
        Ok(result) => result,
        Err(_) => return parse_declarations(file, source, limits),
    };
    ParsedFile {
        items,
        errors,
        broken: Vec::new(),
    }
}

/// pest stops at the first syntax error. To report the errors of every
/// declaration in one run, parse each top-level declaration on its own.
fn parse_declarations(file: FileId, source: &SourceFile, limits: &Limits) -> ParsedFile {
    let mut parsed = ParsedFile::default();
    for (start, end) in split_declarations(&source.text) {
        let part = source.text.get(start..end).unwrap_or("");
        let result = match check_nesting(file, start, part, limits) {
            Some(error) => Err(error),
            None => parse_part(file, source, start, part, limits),
        };
        match result {
            Ok((items, errors)) => {
                parsed.items.extend(items);
                parsed.errors.extend(errors);
            }
            Err(error) => {
                parsed.errors.push(error);
                parsed.broken.extend(declared_name(part));
            }
        }
    }
    parsed
}

/// The name after the leading keyword of a declaration, if it looks like one.
fn declared_name(part: &str) -> Option<String> {
    let mut words = part
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))?
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty());
    let keyword = words.next()?;
    ["segment", "profile", "rule", "table"]
        .contains(&keyword)
        .then(|| words.next().map(str::to_string))?
}

fn parse_part(
    file: FileId,
    source: &SourceFile,
    base: usize,
    text: &str,
    limits: &Limits,
) -> Result<(Vec<ast::Item>, Vec<Diagnostic>), Diagnostic> {
    match VasParser::parse(Rule::file, text) {
        Ok(mut pairs) => Ok(pairs
            .next()
            .map(|pair| lower::lower_file(file, base, pair, limits.max_operators))
            .unwrap_or_default()),
        Err(error) => Err(delimiters::explain(
            file,
            &source.text,
            base,
            text,
            expected::stop_position(&error),
        )
        .unwrap_or_else(|| expected::syntax_error(file, source, base, &error))),
    }
}

/// Byte ranges of top-level declarations: each starts on a line whose first
/// word is `segment`, `profile` or `rule`, outside any braces, string or
/// comment, or at the very start of a line even inside braces, so that one
/// missing `}` does not swallow the declarations after it (unless the line
/// before ends with `,`: `for x,` continued by `profile y`).
fn split_declarations(text: &str) -> Vec<(usize, usize)> {
    let mut starts = vec![0];
    let mut depth = 0usize;
    let mut in_string = false;
    let mut line_start = true;
    let mut last_char = '\n';
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let unclosed_before = depth > 0 && !c.is_whitespace() && last_char != ',';
        if line_start && (depth == 0 || unclosed_before) && !in_string && i > 0 {
            let rest = &text[i..];
            let trimmed = rest.trim_start_matches([' ', '\t']);
            if ["segment", "profile", "rule", "table"].iter().any(|k| {
                trimmed.starts_with(k)
                    && trimmed[k.len()..].starts_with(|ch: char| ch.is_whitespace())
            }) {
                starts.push(i);
                depth = 0;
            }
        }
        line_start = c == '\n';
        if !c.is_whitespace() {
            last_char = c;
        }
        match c {
            '"' => in_string = !in_string,
            '\\' if in_string => {
                chars.next();
            }
            '\n' => in_string = false,
            '#' if !in_string => {
                while chars.peek().is_some_and(|(_, ch)| *ch != '\n') {
                    chars.next();
                }
            }
            '{' if !in_string => depth += 1,
            '}' if !in_string => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    starts.dedup();
    let mut ranges = Vec::with_capacity(starts.len());
    for (k, &start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(text.len());
        ranges.push((start, end));
    }
    ranges
}

/// Refuses what would make the parser recurse too deep (pest recurses once
/// per bracket), and names or texts too long to be meant, before pest sees
/// the text; the bounds are the catalog's `limits`.
fn check_nesting(file: FileId, base: usize, text: &str, limits: &Limits) -> Option<Diagnostic> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut in_comment = false;
    let mut escaped = false;
    let mut run_start: Option<usize> = None;
    let too_long = |start: usize, what: &str, limit: usize| {
        Some(
            Diagnostic::error(
                Code::TooLong,
                Span::new(file, base + start, base + start + 1),
                format!("this {what} is longer than {limit} bytes"),
            )
            .with_help(if what == "name" {
                "use a shorter name"
            } else {
                "keep texts short; long descriptions belong in documents, not in rules"
            }),
        )
    };
    for (i, c) in text.char_indices() {
        if in_comment {
            in_comment = c != '\n';
            continue;
        }
        if in_string {
            if let Some(start) = run_start
                && i - start > limits.max_text_bytes
            {
                return too_long(start, "text", limits.max_text_bytes);
            }
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"' | '\n') => {
                    in_string = false;
                    run_start = None;
                }
                _ => {}
            }
            continue;
        }
        if c.is_alphanumeric() || c == '_' {
            let start = *run_start.get_or_insert(i);
            if i - start >= limits.max_name_bytes {
                return too_long(start, "name", limits.max_name_bytes);
            }
            continue;
        }
        run_start = None;
        match c {
            '#' => in_comment = true,
            '"' => {
                in_string = true;
                run_start = Some(i);
            }
            '(' | '[' | '{' => {
                depth += 1;
                if depth > limits.max_nesting {
                    return Some(
                        Diagnostic::error(
                            Code::TooDeep,
                            Span::new(file, base + i, base + i + 1),
                            format!(
                                "brackets are nested more than {} levels deep here",
                                limits.max_nesting
                            ),
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
        let parsed = parse_file(
            FileId(0),
            &SourceFile::new("t.vas", None, text),
            &Limits::default(),
        );
        (parsed.items, parsed.errors)
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
        let Item::Rule(rule) = &items[3] else {
            panic!()
        };
        assert_eq!(rule.segment.text, "高价值");
        assert_eq!(rule.profile.as_ref().unwrap().text, "fast");
        assert_eq!(rule.priority, -2);
        let gain = rule.gain.as_ref().unwrap();
        let ExprKind::Binary { op, .. } = &gain.kind else {
            panic!()
        };
        assert_eq!(*op, ast::BinaryOp::Add);
    }

    #[test]
    fn precedence_and_not_in() {
        let (items, errors) =
            parse("rule r { for s when not a > 1 and b not in [\"x\"] or c offer s }");
        assert!(errors.is_empty(), "{errors:?}");
        let Item::Rule(rule) = &items[0] else {
            panic!()
        };
        let ExprKind::Binary { op, lhs, .. } = &rule.when.as_ref().unwrap().kind else {
            panic!()
        };
        assert_eq!(*op, ast::BinaryOp::Or);
        let ExprKind::Binary { op, lhs, rhs } = &lhs.kind else {
            panic!()
        };
        assert_eq!(*op, ast::BinaryOp::And);
        assert!(matches!(
            lhs.kind,
            ExprKind::Unary {
                op: ast::UnaryOp::Not,
                ..
            }
        ));
        assert!(matches!(
            rhs.kind,
            ExprKind::Binary {
                op: ast::BinaryOp::NotIn,
                ..
            }
        ));
    }

    #[test]
    fn deep_nesting_is_refused_without_recursion() {
        let text = format!(
            "rule r {{ for s when {}1{} offer s }}",
            "(".repeat(100_000),
            ")".repeat(100_000)
        );
        let (_, errors) = parse(&text);
        assert_eq!(errors[0].code, Code::TooDeep);
    }

    #[test]
    fn every_broken_declaration_is_reported() {
        let (items, errors) = parse(
            "segment a { when x = 1 }\nsegment b { when true }\nrule r { for a offer }\nrule q { for b offer s }\n",
        );
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(items.len(), 2);
        assert!(errors[1].primary.unwrap().start > 40);
    }

    #[test]
    fn keywords_are_not_names() {
        let (_, errors) = parse("segment rule { when true }");
        assert_eq!(errors[0].code, Code::Syntax);
    }
}
