//! Where keys and values are written in a YAML file, by line.
//!
//! In: the text of `catalog.yaml` or of a test case file. Out: each
//! `key: value` pair and each list item, with the path of block keys above
//! it and the byte offset of what is written, for the catalog and case
//! scanners to pick the names out of.
//!
//! serde_yaml gives values, not positions, so this is a small line scanner,
//! honest about what it is: it follows block keys by indentation and reads
//! pairs written in block style (`- id: x`) or flow style (`- { id: x,
//! name: y }`, also over several lines), and list items written `- x` or
//! `[x, y]`. It understands the shapes these files are written in, not all
//! of YAML: anchors, multi-line strings and keys in quotes are not
//! followed. A name it misses only means that a rename or "find references"
//! misses that place.

/// Something written in the file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Written<'a> {
    /// `key: value`; the value is empty when it is nested below or in
    /// braces (those pairs come on their own, with the key in the path).
    Pair {
        /// The keys above, outermost first.
        path: &'a [String],
        /// The key, and where it starts.
        key: (&'a str, usize),
        /// The value as written (quotes kept, comment dropped), and where
        /// it starts.
        value: (&'a str, usize),
    },
    /// One item of a list (`- x` or `[x, y]`) under the key at the end of
    /// `path`, and where it starts (quotes kept).
    Item {
        /// The keys above, the list's own key last.
        path: &'a [String],
        /// The item as written, and where it starts.
        value: (&'a str, usize),
    },
}

/// Calls `found` with every pair and list item of `text`, in text order.
pub(crate) fn scan(text: &str, found: &mut dyn FnMut(Written<'_>)) {
    // Block keys whose value is nested below them: (column, key).
    let mut stack: Vec<(usize, String)> = Vec::new();
    // Inside a flow map `{ ... }` that goes on to the next line: its path.
    let mut open_flow: Option<Vec<String>> = None;
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let line_start = start;
        start += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        let indent = body.len() - body.trim_start_matches(' ').len();
        let content = &body[indent..];
        if let Some(path) = open_flow.take() {
            if !flow_map(content, line_start + indent, &path, found) {
                open_flow = Some(path);
            }
            continue;
        }
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let item = content == "-" || content.starts_with("- ");
        while stack
            .last()
            .is_some_and(|(col, _)| *col > indent || (*col == indent && !item))
        {
            stack.pop();
        }
        let mut column = indent;
        if item {
            let after_dash = &content[1..];
            column += 1 + after_dash.len() - after_dash.trim_start().len();
        }
        let rest = &body[column..];
        let path: Vec<String> = stack.iter().map(|(_, key)| key.clone()).collect();
        if let Some(inner) = rest.strip_prefix('{') {
            if !flow_map(inner, line_start + column + 1, &path, found) {
                open_flow = Some(path);
            }
            continue;
        }
        let Some((key, value, value_at)) = block_pair(rest) else {
            if item {
                let value = without_comment(rest).trim_end();
                if !value.is_empty() {
                    found(Written::Item {
                        path: &path,
                        value: (value, line_start + column),
                    });
                }
            }
            continue;
        };
        let key_at = line_start + column;
        let value_start = line_start + column + value_at;
        let nested = value.starts_with(['{', '[']);
        found(Written::Pair {
            path: &path,
            key: (key, key_at),
            value: (if nested { "" } else { value }, value_start),
        });
        if value.is_empty() {
            stack.push((column, key.to_string()));
            continue;
        }
        let mut inner_path = path.clone();
        inner_path.push(key.to_string());
        if let Some(inner) = value.strip_prefix('{') {
            if !flow_map(inner, value_start + 1, &inner_path, found) {
                open_flow = Some(inner_path);
            }
        } else if let Some(inner) = value.strip_prefix('[') {
            flow_list(inner, value_start + 1, &inner_path, found);
        }
    }
}

/// `key: value # comment` -> the key, the value without comment and quotes
/// kept, and where the value starts in `rest`.
fn block_pair(rest: &str) -> Option<(&str, &str, usize)> {
    let colon = rest
        .find(": ")
        .or_else(|| rest.strip_suffix(':').map(str::len))?;
    let key = rest[..colon].trim();
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
    {
        return None;
    }
    let after = rest.get(colon + 1..).unwrap_or("");
    let value_at = colon + 1 + (after.len() - after.trim_start().len());
    let value = without_comment(&rest[value_at..]).trim_end();
    Some((key, value, value_at))
}

/// The text before a ` #` comment outside quotes.
fn without_comment(text: &str) -> &str {
    let mut quote = None;
    let mut previous = ' ';
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), _) if q == c => quote = None,
            (None, '#') if previous == ' ' => return &text[..i],
            _ => {}
        }
        previous = c;
    }
    text
}

/// The pieces of a flow collection up to its closing bracket, split at
/// commas outside quotes and nested brackets: each piece with where it
/// starts, and whether the collection closed on this line.
fn flow_pieces(text: &str, at: usize, close: char) -> (Vec<(&str, usize)>, bool) {
    let mut depth = 0usize;
    let mut quote = None;
    let mut piece_start = 0;
    let mut pieces = Vec::new();
    let text = without_comment(text);
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), _) if q == c => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') if depth > 0 => depth -= 1,
            (None, ',') if depth == 0 => {
                pieces.push((&text[piece_start..i], at + piece_start));
                piece_start = i + 1;
            }
            (None, c) if c == close && depth == 0 => {
                pieces.push((&text[piece_start..i], at + piece_start));
                return (pieces, true);
            }
            _ => {}
        }
    }
    pieces.push((&text[piece_start..], at + piece_start));
    (pieces, false)
}

/// Reads `key: value` pairs of a flow map up to its closing `}`; true when
/// the map closed on this line. A nested map or list is read with the key
/// added to the path (`effects: { price: 6 }`).
fn flow_map(text: &str, at: usize, path: &[String], found: &mut dyn FnMut(Written<'_>)) -> bool {
    let (pieces, closed) = flow_pieces(text, at, '}');
    for (piece, at) in pieces {
        let lead = piece.len() - piece.trim_start().len();
        let Some((key, value, value_at)) = block_pair(piece.trim_start()) else {
            continue;
        };
        let value_start = at + lead + value_at;
        let nested = value.starts_with(['{', '[']);
        found(Written::Pair {
            path,
            key: (key, at + lead),
            value: (if nested { "" } else { value }, value_start),
        });
        let mut inner_path = path.to_vec();
        inner_path.push(key.to_string());
        if let Some(inner) = value.strip_prefix('{') {
            flow_map(inner, value_start + 1, &inner_path, found);
        } else if let Some(inner) = value.strip_prefix('[') {
            flow_list(inner, value_start + 1, &inner_path, found);
        }
    }
    closed
}

/// Reads the items of a flow list `[a, "b"]` written on one line.
fn flow_list(text: &str, at: usize, path: &[String], found: &mut dyn FnMut(Written<'_>)) {
    let (pieces, _) = flow_pieces(text, at, ']');
    for (piece, at) in pieces {
        let lead = piece.len() - piece.trim_start().len();
        let value = piece.trim();
        if !value.is_empty() && !value.starts_with(['{', '[']) {
            found(Written::Item {
                path,
                value: (value, at + lead),
            });
        }
    }
}

/// A scalar without its quotes, and where the text inside starts.
pub(crate) fn unquote((value, at): (&str, usize)) -> (&str, usize) {
    match value.chars().next() {
        Some(q @ ('"' | '\'')) if value.len() >= 2 && value.ends_with(q) => {
            (&value[1..value.len() - 1], at + 1)
        }
        _ => (value, at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pair and item as `path key=value` or `path - value`, each
    /// checked against the text at its offset.
    fn written(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        scan(text, &mut |w| match w {
            Written::Pair { path, key, value } => {
                assert_eq!(&text[key.1..key.1 + key.0.len()], key.0);
                assert_eq!(&text[value.1..value.1 + value.0.len()], value.0);
                out.push(format!("{} {}={}", path.join("."), key.0, value.0));
            }
            Written::Item { path, value } => {
                assert_eq!(&text[value.1..value.1 + value.0.len()], value.0);
                out.push(format!("{} - {}", path.join("."), value.0));
            }
        });
        out
    }

    #[test]
    fn block_and_flow_styles_are_both_read() {
        let text = "\
a:
  - id: x   # comment
    e: { p: 4, q: [1, \"2\"] }
  - { id: \"y\", name: 云备份,
      more: z }
b:
  list:
    - one
    - \"two\" # comment
  flow: [三, 'four']
";
        assert_eq!(
            written(text),
            [
                " a=",
                "a id=x",
                "a e=",
                "a.e p=4",
                "a.e q=",
                "a.e.q - 1",
                "a.e.q - \"2\"",
                "a id=\"y\"",
                "a name=云备份",
                "a more=z",
                " b=",
                "b list=",
                "b.list - one",
                "b.list - \"two\"",
                "b flow=",
                "b.flow - 三",
                "b.flow - 'four'",
            ]
        );
        assert_eq!(unquote(("\"y\"", 3)), ("y", 4));
        assert_eq!(unquote(("\"", 3)), ("\"", 3));
    }
}
