//! The printer behind [`super::format_file`]: walks pest's tree of a file
//! that parsed and writes every token in source order, deciding only the
//! white space between tokens.
//!
//! The grammar's comments and white space are silent, so pest's tree has no
//! comments. They are found by position instead: every `#` outside a text
//! and a `script { }` block starts one. Before each token is written, the
//! comments that came before it in the file are written: on a line of their
//! own, or at the end of the line so far when they followed code. Literal
//! punctuation (`{`, `,`, `(`) has no node in the tree either; its position
//! is found by skipping white space and comments from the previous token.

use super::MAX_WIDTH;
use crate::base::render::display_width;
use crate::lang::syntax::Rule;
use pest::iterators::Pair;

mod table;

/// A `#` comment: where it starts (the `#`), where its line ends, whether
/// it has a line of its own, and the white space written before it when not.
#[derive(Debug, Clone, Copy)]
pub(super) struct Comment {
    start: usize,
    end: usize,
    own_line: bool,
    gap: usize,
}

impl Comment {
    /// The comment as written, without trailing white space (or a CR).
    pub(super) fn text<'t>(&self, text: &'t str) -> &'t str {
        text.get(self.start..self.end).unwrap_or("").trim_end()
    }
}

/// The comments of a parsed file, in order: each `#` outside texts and
/// script blocks (the only tokens that may hold one) starts a comment.
pub(super) fn comments(text: &str, file: &Pair<'_, Rule>) -> Vec<Comment> {
    let opaque: Vec<(usize, usize)> = file
        .clone()
        .into_inner()
        .flatten()
        .filter(|p| matches!(p.as_rule(), Rule::string | Rule::script_block))
        .map(|p| (p.as_span().start(), p.as_span().end()))
        .collect();
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut next_opaque = 0;
    let mut i = 0;
    while i < bytes.len() {
        while opaque.get(next_opaque).is_some_and(|&(_, end)| end <= i) {
            next_opaque += 1;
        }
        if let Some(&(start, end)) = opaque.get(next_opaque)
            && start <= i
        {
            i = end;
            continue;
        }
        if bytes[i] != b'#' {
            i += 1;
            continue;
        }
        let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
        let before = &text[text[..i].rfind('\n').map_or(0, |n| n + 1)..i];
        let own_line = before.chars().all(char::is_whitespace);
        let gap = before
            .chars()
            .rev()
            .take_while(|c| c.is_whitespace())
            .count();
        found.push(Comment {
            start: i,
            end,
            own_line,
            gap: gap.max(1),
        });
        i = end;
    }
    found
}

/// What goes between the last token written and the next one.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Sep {
    Nothing,
    Space,
    /// A new line indented so far; `blank` allows one blank line before it
    /// when the file had one there.
    Line {
        indent: usize,
        blank: bool,
    },
}

pub(super) struct Printer<'a> {
    text: &'a str,
    comments: &'a [Comment],
    /// The next comment to write.
    next: usize,
    out: String,
    /// End of the last token read from the file.
    cursor: usize,
    /// End of the last token or comment written, for blank lines.
    last_end: usize,
    pending: Sep,
    /// Indentation of a line that a comment forces in the middle of a clause.
    cont: usize,
    /// Measuring only: everything on one line, no comments.
    flat: bool,
    /// Punctuation was not where the tree said: the result is refused.
    lost: bool,
}

impl<'a> Printer<'a> {
    pub(super) fn new(text: &'a str, comments: &'a [Comment]) -> Printer<'a> {
        Printer {
            text,
            comments,
            next: 0,
            out: String::with_capacity(text.len() + text.len() / 8),
            cursor: 0,
            last_end: 0,
            pending: Sep::Nothing,
            cont: 4,
            flat: false,
            lost: false,
        }
    }

    /// The text written, ending in one newline; `None` if the printer lost its place.
    pub(super) fn finish(mut self) -> Option<String> {
        self.pending = Sep::Line {
            indent: 0,
            blank: true,
        };
        self.flush(usize::MAX, Some(0));
        if !self.out.is_empty() {
            self.out.push('\n');
        }
        (!self.lost).then_some(self.out)
    }

    /// A printer that measures what follows from the same place.
    fn scratch(&self) -> Printer<'a> {
        Printer {
            out: String::new(),
            pending: Sep::Nothing,
            flat: true,
            ..*self
        }
    }

    // ---- placing tokens ----------------------------------------------------

    fn space(&mut self) {
        if self.pending == Sep::Nothing {
            self.pending = Sep::Space;
        }
    }

    fn line(&mut self, indent: usize, blank: bool) {
        self.pending = if self.flat {
            Sep::Space
        } else {
            Sep::Line { indent, blank }
        };
    }

    fn token(&mut self, text: &str, start: usize, end: usize) {
        if !self.flat {
            self.flush(start, None);
        }
        self.place(start);
        self.out.push_str(text);
        self.cursor = end;
        self.last_end = end;
    }

    fn pair(&mut self, pair: &Pair<'_, Rule>) {
        let span = pair.as_span();
        self.token(pair.as_str(), span.start(), span.end());
    }

    fn punct(&mut self, c: char) {
        let at = self.find();
        if self.text[at..].starts_with(c) {
            self.token(c.encode_utf8(&mut [0; 4]), at, at + c.len_utf8());
        } else {
            self.lost = true;
            self.token(c.encode_utf8(&mut [0; 4]), self.cursor, self.cursor);
        }
    }

    /// Skips a `c` that is next in the file without writing it.
    fn skip(&mut self, c: char) {
        let at = self.find();
        if self.text[at..].starts_with(c) {
            self.cursor = at + c.len_utf8();
        }
    }

    fn peek(&self) -> Option<char> {
        self.text[self.find()..].chars().next()
    }

    /// The position of the next character that is neither white space nor
    /// in a comment, from the cursor.
    fn find(&self) -> usize {
        let mut rest = self.text.get(self.cursor..).unwrap_or("").char_indices();
        let mut in_comment = false;
        for (i, c) in rest.by_ref() {
            match c {
                '\n' => in_comment = false,
                '#' => in_comment = true,
                _ if in_comment || c.is_whitespace() => {}
                _ => return self.cursor + i,
            }
        }
        self.text.len()
    }

    fn place(&mut self, start: usize) {
        match std::mem::replace(&mut self.pending, Sep::Nothing) {
            Sep::Nothing => {}
            Sep::Space => {
                if !self.out.is_empty() && !self.out.ends_with('\n') {
                    self.out.push(' ');
                }
            }
            Sep::Line { indent, blank } => {
                if !self.out.is_empty() {
                    self.out.push('\n');
                    let gap = self.text.get(self.last_end..start).unwrap_or("");
                    if blank && gap.matches('\n').count() >= 2 {
                        self.out.push('\n');
                    }
                }
                self.out.extend(std::iter::repeat_n(' ', indent));
            }
        }
    }

    /// Writes the comments that start before `before`; own-line ones at
    /// `indent` when given, else where the next token's line goes.
    fn flush(&mut self, before: usize, indent: Option<usize>) {
        while let Some(comment) = self.comments.get(self.next).copied()
            && comment.start < before
        {
            self.next += 1;
            let text = comment.text(self.text);
            if comment.own_line || self.out.is_empty() {
                let (line, blank) = match self.pending {
                    Sep::Line { indent, blank } => (indent, blank),
                    _ => (self.cont, false),
                };
                self.pending = Sep::Line {
                    indent: indent.unwrap_or(line),
                    blank,
                };
                self.place(comment.start);
                self.out.push_str(text);
                self.pending = Sep::Line {
                    indent: line,
                    blank: true,
                };
            } else {
                self.out.extend(std::iter::repeat_n(' ', comment.gap));
                self.out.push_str(text);
                if !matches!(self.pending, Sep::Line { .. }) {
                    self.pending = Sep::Line {
                        indent: self.cont,
                        blank: false,
                    };
                }
            }
            self.last_end = comment.end;
        }
    }

    /// Whether a comment starts in `start..end`.
    fn comment_within(&self, start: usize, end: usize) -> bool {
        let i = self.comments.partition_point(|c| c.start < start);
        self.comments.get(i).is_some_and(|c| c.start < end)
    }

    /// The column the next token would start at.
    fn column(&self) -> usize {
        let line = self.out.rsplit('\n').next().unwrap_or("");
        match self.pending {
            Sep::Line { indent, .. } => indent,
            Sep::Space if !line.is_empty() => display_width(line) + 1,
            _ => display_width(line),
        }
    }

    // ---- declarations ------------------------------------------------------

    pub(super) fn file(&mut self, file: Pair<'_, Rule>) {
        for item in file.into_inner() {
            match item.as_rule() {
                Rule::segment | Rule::profile => {
                    self.line(0, true);
                    self.predicate(item);
                }
                Rule::rule => {
                    self.line(0, true);
                    self.rule(item);
                }
                Rule::table => {
                    self.line(0, true);
                    self.table(item);
                }
                _ => {}
            }
        }
    }

    /// A segment or a profile: a header and at most a `when`.
    fn predicate(&mut self, decl: Pair<'_, Rule>) {
        let close = decl.as_span().end().saturating_sub(1);
        self.cont = 4;
        let mut when = None;
        for part in decl.into_inner() {
            match part.as_rule() {
                Rule::kw_segment | Rule::kw_profile => self.pair(&part),
                Rule::parents => {
                    for (i, parent) in part.into_inner().enumerate() {
                        if i > 1 {
                            self.punct(',');
                        }
                        self.space();
                        self.pair(&parent);
                    }
                }
                Rule::when_clause => when = Some(part),
                _ => {
                    self.space();
                    self.pair(&part);
                }
            }
        }
        self.space();
        let open = self.find();
        let inside = self.text.get(open..close).unwrap_or("");
        let one_line = self.flat
            || !self.comment_within(open, close) && (when.is_none() || !inside.contains('\n')) && {
                let mut s = self.scratch();
                s.braced_when(when.clone());
                self.column() + display_width(&s.out) <= MAX_WIDTH
            };
        if one_line {
            self.braced_when(when);
            return;
        }
        self.open_brace();
        if let Some(when) = when {
            self.line(2, false);
            self.clause(when, 2);
        }
        self.close(close);
    }

    /// `{ when ... }` on one line.
    fn braced_when(&mut self, when: Option<Pair<'_, Rule>>) {
        self.open_brace();
        if let Some(when) = when {
            self.space();
            self.clause(when, 0);
        }
        self.space();
        self.punct('}');
    }

    fn rule(&mut self, decl: Pair<'_, Rule>) {
        let close = decl.as_span().end().saturating_sub(1);
        self.cont = 4;
        let mut parts = decl.into_inner();
        for part in parts.by_ref().take(2) {
            if part.as_rule() == Rule::name {
                self.space();
            }
            self.pair(&part);
        }
        if self.peek() != Some('{')
            && let Some(target) = parts.next()
        {
            self.space();
            self.clause(target, 0);
            self.cont = 4;
        }
        self.space();
        self.open_brace();
        for (i, clause) in parts.enumerate() {
            self.line(2, i > 0);
            self.clause(clause, 2);
        }
        self.close(close);
    }

    /// The `{` of a declaration. Only a comment between the header and the
    /// brace can push it to a line of its own; it then starts in column 0,
    /// under the declaration it opens, not indented like a clause.
    fn open_brace(&mut self) {
        self.cont = 0;
        self.punct('{');
    }

    /// The `}` of a block whose clauses are indented by two, after the
    /// comments that end the block.
    fn close(&mut self, close: usize) {
        self.line(2, true);
        self.flush(close, Some(2));
        self.line(0, false);
        self.punct('}');
    }

    /// One clause: keyword, then its name, number, text, script or expression.
    fn clause(&mut self, clause: Pair<'_, Rule>, indent: usize) {
        self.cont = indent + 4;
        for (i, part) in clause.into_inner().enumerate() {
            if i > 0 && part.as_rule() != Rule::profile_ref {
                self.space();
            }
            match part.as_rule() {
                Rule::expr => self.condition(part, indent),
                Rule::profile_ref => {
                    self.punct(',');
                    for word in part.into_inner() {
                        self.space();
                        self.pair(&word);
                    }
                }
                Rule::script => {
                    for (j, word) in part.into_inner().enumerate() {
                        if j > 0 {
                            self.space();
                        }
                        self.pair(&word);
                    }
                }
                _ => self.pair(&part),
            }
        }
    }

    // ---- expressions -------------------------------------------------------

    /// A clause's expression, broken before its top-level `or`s (or `and`s)
    /// when it is too long, holds a comment, or was broken there already.
    fn condition(&mut self, expr: Pair<'_, Rule>, indent: usize) {
        let span = expr.as_span();
        let parts: Vec<Pair<'_, Rule>> = expr.into_inner().collect();
        let or = parts.iter().any(|p| p.as_rule() == Rule::op_or);
        let op = if or { Rule::op_or } else { Rule::op_and };
        let mut broken = false;
        if !self.flat && parts.iter().any(|p| p.as_rule() == op) {
            let mut s = self.scratch();
            s.sequence(&parts, None);
            let was_broken = parts.windows(2).any(|w| {
                w[1].as_rule() == op
                    && self
                        .text
                        .get(w[0].as_span().end()..w[1].as_span().start())
                        .is_some_and(|between| between.contains('\n'))
            });
            broken = was_broken
                || self.comment_within(span.start(), span.end())
                || self.column() + display_width(&s.out) > MAX_WIDTH;
        }
        self.sequence(&parts, broken.then_some((op, indent + 1)));
    }

    /// Prefix operators, operands and infix operators, as pest lists them.
    fn sequence(&mut self, parts: &[Pair<'_, Rule>], break_before: Option<(Rule, usize)>) {
        let mut gap = false;
        for part in parts {
            let kind = part.as_rule();
            match break_before {
                Some((op, indent)) if op == kind => self.line(indent, false),
                _ if gap || infix(kind) => self.space(),
                _ => {}
            }
            match kind {
                Rule::op_not_in => {
                    for (i, word) in part.clone().into_inner().enumerate() {
                        if i > 0 {
                            self.space();
                        }
                        self.pair(&word);
                    }
                }
                Rule::list => {
                    self.punct('[');
                    let mut any = false;
                    for (i, item) in part.clone().into_inner().enumerate() {
                        self.items_separator(i);
                        self.nested(item);
                        any = true;
                    }
                    if any {
                        self.skip(',');
                    }
                    self.punct(']');
                }
                Rule::call => {
                    let mut inner = part.clone().into_inner();
                    if let Some(function) = inner.next() {
                        self.pair(&function);
                    }
                    self.punct('(');
                    for (i, arg) in inner.enumerate() {
                        self.items_separator(i);
                        self.nested(arg);
                    }
                    self.punct(')');
                }
                Rule::expr => {
                    self.punct('(');
                    self.nested(part.clone());
                    self.punct(')');
                }
                _ => self.pair(part),
            }
            gap = kind != Rule::op_neg;
        }
    }

    fn items_separator(&mut self, index: usize) {
        if index > 0 {
            self.punct(',');
            self.space();
        }
    }

    /// An expression inside brackets: never broken.
    fn nested(&mut self, expr: Pair<'_, Rule>) {
        let parts: Vec<Pair<'_, Rule>> = expr.into_inner().collect();
        self.sequence(&parts, None);
    }
}

fn infix(kind: Rule) -> bool {
    matches!(
        kind,
        Rule::op_or
            | Rule::op_and
            | Rule::op_in
            | Rule::op_not_in
            | Rule::op_cmp
            | Rule::op_add
            | Rule::op_sub
            | Rule::op_mul
            | Rule::op_div
            | Rule::op_rem
    )
}
