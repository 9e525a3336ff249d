//! Why a parse stopped, when the cause is a delimiter: a block whose `{` is
//! missing, a `{` never closed, a `(` or `[` never closed.
//!
//! In: the text of one declaration and the position where pest stopped.
//! Out: a diagnostic that names the missing delimiter, points where it
//! belongs and labels where the open one started (rustc's "unclosed
//! delimiter"), or nothing, when the cause is something else and pest's own
//! words (`expected`) say it better.

use crate::base::diagnostic::{Code, Diagnostic};
use crate::base::source::{FileId, Span};

/// Words that start a clause inside a declaration's block.
const CLAUSES: [&str; 6] = ["when", "offer", "suppress", "gain", "priority", "because"];
/// Words that start a declaration.
const DECLARATIONS: [&str; 3] = ["segment", "profile", "rule"];

/// A token of the scan: a delimiter, or a word, with its byte offset.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Token<'t> {
    Open(char, usize),
    Close(char, usize),
    Word(&'t str, usize),
}

/// Delimiters and words of `text`, outside strings and comments.
fn tokens(text: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '#' => {
                while chars.peek().is_some_and(|(_, ch)| *ch != '\n') {
                    chars.next();
                }
            }
            '"' => {
                while let Some((_, ch)) = chars.next() {
                    match ch {
                        '\\' => {
                            chars.next();
                        }
                        '"' | '\n' => break,
                        _ => {}
                    }
                }
            }
            '{' | '(' | '[' => out.push(Token::Open(c, i)),
            '}' | ')' | ']' => out.push(Token::Close(c, i)),
            c if c.is_alphanumeric() || c == '_' => {
                let mut end = i + c.len_utf8();
                while let Some(&(j, ch)) = chars.peek() {
                    if !(ch.is_alphanumeric() || ch == '_') {
                        break;
                    }
                    end = j + ch.len_utf8();
                    chars.next();
                }
                out.push(Token::Word(&text[i..end], i));
            }
            _ => {}
        }
    }
    out
}

fn closer(open: char) -> char {
    match open {
        '{' => '}',
        '(' => ')',
        _ => ']',
    }
}

/// Explains a parse that stopped at `stop` (an offset in `text`) when a
/// delimiter is the cause. `text` is the part of the file `whole` that
/// starts at `base`.
pub(super) fn explain(
    file: FileId,
    whole: &str,
    base: usize,
    text: &str,
    stop: usize,
) -> Option<Diagnostic> {
    let tokens = tokens(text);
    // Lines are counted in the whole file, as the reader sees them.
    let line_of = |offset: usize| line_col(whole, base + offset).0 + 1;
    let span = |start: usize, end: usize| Span::new(file, base + start, base + end);
    let (keyword, name) = header(&tokens)?;

    if let Some(d) = missing_block_start(&tokens, text, keyword, name, &span, &line_of) {
        return Some(d);
    }

    // The delimiters still open where pest stopped.
    let mut stack: Vec<(char, usize)> = Vec::new();
    for token in tokens.iter().take_while(|t| position(t) < stop) {
        match *token {
            Token::Open(c, at) => stack.push((c, at)),
            Token::Close(c, _) => {
                if stack.last().is_some_and(|(open, _)| closer(*open) == c) {
                    stack.pop();
                } else {
                    // A closer of another kind: pest reports that one itself.
                    return None;
                }
            }
            Token::Word(..) => {}
        }
    }
    let &(open, opened_at) = stack.last()?;
    let next = tokens.iter().find(|t| position(t) >= stop);
    // The part may end where the next declaration of the file begins.
    let after_part = whole.get(base + text.len()..).unwrap_or("");
    let following = tokens_after(after_part);
    let found = match next {
        None => match following {
            Some(word) => format!("the next {word}"),
            None => "the end of the file".to_string(),
        },
        Some(Token::Word(w, _)) if DECLARATIONS.contains(w) => format!("the next {w}"),
        Some(Token::Word(w, _)) if open != '{' && CLAUSES.contains(w) => format!("`{w}`"),
        Some(Token::Close(c, _)) if *c != closer(open) => format!("`{c}`"),
        // Something else stopped the parse; the open delimiter is not the cause.
        _ => return None,
    };
    let last = last_text_before(text, stop);
    if unfinished(text, last) {
        // `when x >` at the end: the missing value is the mistake, not the brace.
        return None;
    }
    let after = describe_token_at(text, last);
    let what = if open == '{' {
        format!("{keyword} `{name}`")
    } else {
        format!("the `{open}` on line {}", line_of(opened_at))
    };
    let at = match (next, following) {
        (Some(token), _) => position(token),
        (None, Some(_)) => text.len() + (after_part.len() - after_part.trim_start().len()),
        // The end of the file: point just after the last text, where the closer belongs.
        (None, None) => {
            last + text
                .get(last..)
                .and_then(|t| t.chars().next())
                .map_or(0, char::len_utf8)
        }
    };
    let message = format!("expected `{}` to close {what}, found {found}", closer(open));
    let diagnostic = Diagnostic::error(Code::Syntax, span(at, at + 1), message)
        .with_label(
            span(opened_at, opened_at + 1),
            format!("this `{open}` is never closed"),
        )
        .with_help(format!(
            "add `{}` after {after} (line {}); every `{open}` needs its `{}`",
            closer(open),
            line_of(last),
            closer(open),
        ));
    Some(diagnostic)
}

/// Whether the text up to `last` ends in the middle of something: an
/// operator, a comma, or a word that must be followed by more.
fn unfinished(text: &str, last: usize) -> bool {
    let Some(c) = text.get(last..).and_then(|t| t.chars().next()) else {
        return false;
    };
    if "=<>+-*/%,!".contains(c) {
        return true;
    }
    let before = text.get(..last + c.len_utf8()).unwrap_or("");
    let word = before
        .rsplit(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
        .next()
        .unwrap_or("");
    ["and", "or", "not", "in", "under", "for", "profile"]
        .iter()
        .chain(CLAUSES.iter())
        .any(|w| *w == word)
}

/// The declaration keyword that starts `rest`, if one does.
fn tokens_after(rest: &str) -> Option<&'static str> {
    let first = tokens(rest).into_iter().next()?;
    match first {
        Token::Word(word, _) => DECLARATIONS.into_iter().find(|d| *d == word),
        _ => None,
    }
}

/// The declaration keyword and name the text starts with.
fn header<'t>(tokens: &[Token<'t>]) -> Option<(&'t str, &'t str)> {
    match tokens {
        [Token::Word(keyword, _), Token::Word(name, _), ..] if DECLARATIONS.contains(keyword) => {
            Some((keyword, name))
        }
        _ => None,
    }
}

/// `rule x for y  when ...` with no `{`: a clause word at the top level
/// before any `{`.
fn missing_block_start(
    tokens: &[Token<'_>],
    text: &str,
    keyword: &str,
    name: &str,
    span: &dyn Fn(usize, usize) -> Span,
    line_of: &dyn Fn(usize) -> usize,
) -> Option<Diagnostic> {
    let mut depth = 0usize;
    for token in tokens.iter().skip(2) {
        match *token {
            Token::Open('{', _) if depth == 0 => return None,
            Token::Open(..) => depth += 1,
            Token::Close(..) => depth = depth.saturating_sub(1),
            Token::Word(word, at) if depth == 0 && CLAUSES.contains(&word) => {
                let last = last_text_before(text, at);
                let header_start = position(&tokens[0]);
                return Some(
                    Diagnostic::error(
                        Code::Syntax,
                        span(at, at + word.len()),
                        format!("expected `{{` before `{word}`: the clauses of {keyword} `{name}` go between `{{` and `}}`"),
                    )
                    .with_label(
                        span(header_start, header_start + keyword.len()),
                        format!("{keyword} `{name}` starts here"),
                    )
                    .with_help(format!(
                        "add `{{` after {} (line {})",
                        describe_token_at(text, last),
                        line_of(last)
                    )),
                );
            }
            Token::Word(..) => {}
        }
    }
    None
}

fn position(token: &Token<'_>) -> usize {
    match *token {
        Token::Open(_, at) | Token::Close(_, at) | Token::Word(_, at) => at,
    }
}

/// The offset of the last character before `end` that is not blank or in a comment.
fn last_text_before(text: &str, end: usize) -> usize {
    let mut last = 0;
    let mut in_comment = false;
    let mut in_string = false;
    for (i, c) in text.char_indices() {
        if i >= end {
            break;
        }
        match c {
            '\n' => {
                in_comment = false;
                in_string = false;
            }
            '"' if !in_comment => {
                in_string = !in_string;
                last = i;
            }
            '#' if !in_string => in_comment = true,
            c if !in_comment && !c.is_whitespace() => last = i,
            _ => {}
        }
    }
    last
}

/// Zero-based line and column of `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count();
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1);
    (line, col)
}

/// "`1`", "`\"...\"`", "`personal_touch`": the token that ends at `last`.
fn describe_token_at(text: &str, last: usize) -> String {
    let line_start = text
        .get(..=last)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1);
    let line = text.get(line_start..).unwrap_or("");
    let upto = text.get(line_start..).map_or("", |l| {
        l.get(..(last + 1 - line_start).min(line.len()))
            .unwrap_or(l)
    });
    let word: String = upto
        .chars()
        .rev()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '.')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if !word.is_empty() {
        format!("`{word}`")
    } else if upto.ends_with('"') {
        "the text".to_string()
    } else {
        upto.chars()
            .last()
            .map_or("the header".to_string(), |c| format!("`{c}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn explained(text: &str, stop: usize) -> Option<String> {
        explain(FileId::default(), text, 0, text, stop).map(|d| d.message)
    }

    #[test]
    fn a_block_without_its_opening_brace() {
        let text = "rule r for everyone\n  when senior\n  offer callback\n}\n";
        let message = explained(text, 0).unwrap();
        assert!(
            message.starts_with("expected `{` before `when`"),
            "{message}"
        );
    }

    #[test]
    fn a_block_never_closed() {
        let text = "rule r for everyone {\n  offer callback\n\n";
        let message = explained(text, text.len()).unwrap();
        assert_eq!(
            message,
            "expected `}` to close rule `r`, found the end of the file"
        );
    }

    #[test]
    fn a_parenthesis_never_closed() {
        let text = "rule r for everyone {\n  gain max(1, 2\n  offer callback\n}\n";
        let stop = text.find("offer").unwrap();
        let message = explained(text, stop).unwrap();
        assert_eq!(
            message,
            "expected `)` to close the `(` on line 2, found `offer`"
        );
    }

    #[test]
    fn other_mistakes_are_left_to_the_parser() {
        let text = "rule r for everyone { when a >> 3 offer x }";
        assert_eq!(explained(text, text.find(">>").unwrap() + 1), None);
        // Braces in texts and comments do not count.
        let text = "rule r for everyone { because \"{\" # (\n offer x }";
        assert_eq!(explained(text, text.len()), None);
    }
}
