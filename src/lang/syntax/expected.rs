//! pest's parse failures, put into words a business user understands.
//! This is the one place that knows the grammar's rule names.

use super::Rule;
use crate::base::diagnostic::{Code, Diagnostic};
use crate::base::source::{FileId, SourceFile, Span};
use pest::error::{Error, ErrorVariant, InputLocation};

/// Where in the parsed text pest stopped.
pub(super) fn stop_position(error: &Error<Rule>) -> usize {
    match error.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((start, _)) => start,
    }
}

/// Builds the diagnostic for a failed parse.
pub(super) fn syntax_error(
    file: FileId,
    source: &SourceFile,
    base: usize,
    error: &Error<Rule>,
) -> Diagnostic {
    let position = base + stop_position(error);
    let found = describe_found(&source.text, position);
    let (expected, help) = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => expected_words(positives),
        ErrorVariant::CustomError { message } => (message.clone(), None),
    };
    let message = if expected.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {expected}, found {found}")
    };
    let end = source
        .text
        .get(position..)
        .unwrap_or("")
        .chars()
        .next()
        .map_or(position, |c| position + c.len_utf8());
    let mut diagnostic = Diagnostic::error(Code::Syntax, Span::new(file, position, end), message);
    if let Some(help) = help.or_else(|| hint_for_found(&source.text, position)) {
        diagnostic = diagnostic.with_help(help);
    }
    diagnostic
}

fn describe_found(text: &str, position: usize) -> String {
    let rest = text.get(position..).unwrap_or("");
    let Some(first) = rest.chars().next() else {
        return "the end of the file".into();
    };
    if first == '\n' || first == '\r' {
        return "the end of the line".into();
    }
    let word: String = if first.is_alphanumeric() || first == '_' {
        rest.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .take(40)
            .collect()
    } else {
        first.to_string()
    };
    format!("`{word}`")
}

/// Hints keyed on what was found rather than what was expected.
fn hint_for_found(text: &str, position: usize) -> Option<String> {
    let rest = text.get(position..).unwrap_or("");
    if rest.starts_with("&&") {
        return Some("write `and` instead of `&&`".into());
    }
    if rest.starts_with("||") {
        return Some("write `or` instead of `||`".into());
    }
    if rest.starts_with('=') && !rest.starts_with("==") {
        return Some("to compare, write `==`".into());
    }
    if rest.starts_with('"') && !rest.lines().next().unwrap_or("")[1..].contains('"') {
        return Some("this text has no closing `\"` on the same line".into());
    }
    if rest.starts_with('\'') {
        return Some("texts go in double quotes: \"like this\"".into());
    }
    if rest.starts_with('!') && !rest.starts_with("!=") {
        return Some("write `not` instead of `!`".into());
    }
    None
}

/// "a comparison such as >= or ==", "`when`", ... joined as a readable list.
fn expected_words(positives: &[Rule]) -> (String, Option<String>) {
    // In a table's cell only fixed values may stand.
    if positives.contains(&Rule::cell_number) {
        return (
            "a fixed value (a number, a text in double quotes, `true` or `false`)".into(),
            Some("a cell compares its column with fixed values; to test anything else, add `when CONDITION` after the row's `=>`".into()),
        );
    }
    let mut words: Vec<&'static str> = Vec::new();
    // Where a value may start, pest lists every way one can start: say it once.
    let value_expected = positives.contains(&Rule::number) || positives.contains(&Rule::expr);
    for positive in positives {
        let is_value_start = matches!(
            positive,
            Rule::number
                | Rule::string
                | Rule::name
                | Rule::boolean
                | Rule::list
                | Rule::preference
                | Rule::call
                | Rule::expr
                | Rule::op_neg
                | Rule::op_not
                | Rule::kw_not
                | Rule::kw_pref
                | Rule::kw_true
                | Rule::kw_false
        );
        let described = if value_expected && is_value_start {
            &["a value (a number, a text, a name, `pref.`...)"][..]
        } else {
            describe(*positive)
        };
        for word in described {
            if !words.contains(word) {
                words.push(word);
            }
        }
    }
    let help = if positives.contains(&Rule::name) && positives.len() == 1 {
        Some(
            "names use letters, digits and `_`, and cannot be a keyword such as `rule` or `when`"
                .into(),
        )
    } else {
        None
    };
    // A long list reads badly: fold operators and clause keywords into one phrase each.
    const OPERATORS: [&str; 7] = [
        "a comparison such as >= or ==",
        "an operator such as + or *",
        "`and`",
        "`or`",
        "`not`",
        "`in`",
        "`-`",
    ];
    const CLAUSES: [&str; 7] = [
        "`for`",
        "`when`",
        "`offer`",
        "`suppress`",
        "`gain`",
        "`priority`",
        "`because`",
    ];
    let operators = words.iter().filter(|w| OPERATORS.contains(w)).count();
    let clauses = words.iter().filter(|w| CLAUSES.contains(w)).count();
    if operators >= 3 {
        let first = words
            .iter()
            .position(|w| OPERATORS.contains(w))
            .unwrap_or(0);
        words.retain(|w| !OPERATORS.contains(w));
        words.insert(
            first.min(words.len()),
            "an operator (==, >=, +, and, or, in...)",
        );
    }
    if clauses >= 3 {
        let first = words
            .iter()
            .position(|w| CLAUSES.contains(w))
            .unwrap_or(words.len());
        words.retain(|w| !CLAUSES.contains(w));
        words.insert(
            first.min(words.len()),
            "the next clause (when, offer, gain, priority, because...)",
        );
    }
    (join_or(&words), help)
}

fn describe(expected: Rule) -> &'static [&'static str] {
    match expected {
        Rule::EOI => &["the end of the file"],
        Rule::segment | Rule::kw_segment => &["`segment`"],
        Rule::profile | Rule::kw_profile => &["`profile`"],
        Rule::rule | Rule::kw_rule => &["`rule`"],
        Rule::name => &["a name"],
        Rule::parents | Rule::kw_under => &["`under`"],
        Rule::label | Rule::string => &["a text in double quotes"],
        Rule::string_body | Rule::escape => &["the closing `\"`"],
        Rule::target | Rule::kw_for => &["`for`"],
        Rule::profile_ref => &["`profile`"],
        Rule::when_clause | Rule::kw_when => &["`when`"],
        Rule::offer | Rule::kw_offer => &["`offer`"],
        Rule::suppress | Rule::kw_suppress => &["`suppress`"],
        Rule::gain | Rule::kw_gain => &["`gain`"],
        Rule::priority | Rule::kw_priority => &["`priority`"],
        Rule::because | Rule::kw_because => &["`because`"],
        Rule::integer => &["a whole number"],
        Rule::number => &["a number"],
        Rule::expr | Rule::list | Rule::preference | Rule::call | Rule::boolean => {
            &["a value (a number, a text, a name, `pref.`...)"]
        }
        Rule::op_or | Rule::kw_or => &["`or`"],
        Rule::op_and | Rule::kw_and => &["`and`"],
        Rule::op_not | Rule::kw_not => &["`not`"],
        Rule::op_in | Rule::op_not_in | Rule::kw_in => &["`in`"],
        Rule::op_cmp => &["a comparison such as >= or =="],
        Rule::op_add | Rule::op_sub | Rule::op_mul | Rule::op_div | Rule::op_rem => {
            &["an operator such as + or *"]
        }
        Rule::op_neg => &["`-`"],
        Rule::kw_true | Rule::kw_false => &["`true` or `false`"],
        Rule::kw_pref => &["`pref`"],
        Rule::script | Rule::kw_script => &["`script`"],
        Rule::script_block => &["a script between `{` and `}`"],
        Rule::script_text | Rule::script_piece => &["the `}` that closes the script"],
        Rule::table | Rule::kw_table => &["`table`"],
        Rule::hit | Rule::kw_hit => &["`hit`"],
        Rule::hit_policy => &["a hit policy (`unique`, `first`, `priority` or `collect`)"],
        Rule::columns | Rule::kw_columns => &["`columns`"],
        Rule::column => &["a column (an attribute or `pref.NAME`)"],
        Rule::table_row | Rule::kw_row => &["`row`"],
        Rule::rows_from | Rule::kw_rows => &["`rows`"],
        Rule::kw_sheet => &["`sheet`"],
        Rule::sheet_cell => {
            &["a cell (`-`, a value, a comparison such as `< 12`, `in [...]` or a range `12..24`)"]
        }
        Rule::sheet_expr => &["a value (a number, a text, a name, `pref.`...)"],
        Rule::sheet_name => &["a service id"],
        Rule::sheet_int => &["a whole number"],
        Rule::cells | Rule::cell => {
            &["a cell (`-`, a value, a comparison such as `< 12`, `in [...]` or a range `12..24`)"]
        }
        Rule::cell_any => &["`-`"],
        Rule::cell_cmp => &["a comparison such as >= or =="],
        Rule::cell_in | Rule::cell_not_in => &["`in`"],
        Rule::cell_list => &["a list such as [\"a\", \"b\"]"],
        Rule::cell_range | Rule::cell_const | Rule::cell_number => &["a fixed value"],
        // pest names the outermost rule that failed where it started.
        Rule::file => &["`segment`", "`profile`", "`rule`", "`table`"],
        Rule::item
        | Rule::rule_clause
        | Rule::table_head
        | Rule::row_clause
        | Rule::cell_value
        | Rule::prefix
        | Rule::infix
        | Rule::primary
        | Rule::keyword
        | Rule::WHITESPACE
        | Rule::COMMENT => &[],
    }
}

fn join_or(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use crate::base::source::{FileId, SourceFile};

    fn error(text: &str) -> String {
        let source = SourceFile::new("t.vas", None, text);
        let limits = crate::package::catalog::Limits::default();
        let parsed = super::super::parse_file(FileId(0), &source, &limits);
        let d = &parsed.errors[0];
        format!("{} | {}", d.message, d.help.clone().unwrap_or_default())
    }

    #[test]
    fn messages_use_words_not_rule_names() {
        assert_eq!(
            error("segment a { when x >"),
            "expected a value (a number, a text, a name, `pref`...), found the end of the file | "
                .replace("`pref`...", "`pref.`...")
        );
        assert!(
            error("rule r { for s when a && b offer s }").contains("write `and` instead of `&&`")
        );
        assert!(error("rule r { for s when a = 1 offer s }").contains("to compare, write `==`"));
        let bogus = error("bogus");
        assert!(
            bogus.starts_with("expected `segment`, `profile`, `rule` or `table`, found `bogus`"),
            "{bogus}"
        );
    }
}
