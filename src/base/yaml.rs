//! YAML: the only module that touches serde_yaml (an unmaintained crate, so a
//! later swap must stay a one-file change).
//!
//! In: a YAML text and the serde type it should hold. Out: the value, or a
//! [`YamlError`] with the key path (`services[3].cost`), the line and column,
//! and serde's message put into a business user's words.

use crate::base::diagnostic::{Code, did_you_mean};
use serde::de::DeserializeOwned;

/// A YAML text that could not be read as the expected shape.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct YamlError {
    /// `UNKNOWN_KEY` for a key the type does not know, `YAML` otherwise.
    pub code: Code,
    /// Key path such as `services[3].cost`, when there is a meaningful one.
    pub path: Option<String>,
    /// What is wrong, in plain words (`what` names the kind of file).
    pub message: String,
    /// A suggestion, e.g. "did you mean `max_offers`?".
    pub help: Option<String>,
    /// 1-based line and column, when known.
    pub line: Option<usize>,
    pub column: Option<usize>,
}

/// Reads `text` as a `T`; `what` names the file's kind in messages ("the catalog").
pub(crate) fn parse<T: DeserializeOwned>(text: &str, what: &str) -> Result<T, YamlError> {
    let expanded = expanded_size(text);
    if expanded > MAX_EXPANDED_BYTES {
        return Err(YamlError {
            code: Code::Yaml,
            path: None,
            message: format!(
                "{what} repeats its anchors (`*name`) into more than {} MiB of text, or defines more than {MAX_ANCHORS} anchors",
                MAX_EXPANDED_BYTES >> 20
            ),
            help: Some("write the repeated values out, or repeat fewer of them".to_string()),
            line: None,
            column: None,
        });
    }
    let deserializer = serde_yaml::Deserializer::from_str(text);
    serde_path_to_error::deserialize(deserializer).map_err(|error| translate(error, what))
}

/// Most text a YAML file may stand for once its aliases are expanded. serde_yaml
/// refuses nested alias bombs itself, but one large value aliased thousands
/// of times is read in full, thousands of times.
const MAX_EXPANDED_BYTES: usize = 16 << 20;
/// Most anchors (`&name`) a YAML file may define.
const MAX_ANCHORS: usize = 100;

/// The size of `text` with every alias (`*name`) replaced by the node its
/// anchor (`&name`) names: a node runs from the anchor to the end of its
/// line, and on over the following lines indented deeper than that line.
/// Quoted texts and comments are skipped. An estimate on the safe side.
fn expanded_size(text: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    let indent = |line: &str| line.len() - line.trim_start().len();
    let mut anchors: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut total = text.len();
    for (i, line) in lines.iter().enumerate() {
        let mut quote = None;
        let bytes = line.as_bytes();
        let mut at = 0;
        while at < bytes.len() {
            let c = bytes[at];
            match (quote, c) {
                (Some(q), _) if c == q => quote = None,
                (Some(_), _) => {}
                (None, b'"' | b'\'') => quote = Some(c),
                (None, b'#') if at == 0 || bytes[at - 1] == b' ' => break,
                (None, b'&' | b'*') => {
                    let name_end = line[at + 1..]
                        .find(|ch: char| ch.is_whitespace() || ",[]{}".contains(ch))
                        .map_or(line.len(), |n| at + 1 + n);
                    let name = &line[at + 1..name_end];
                    if c == b'&' {
                        // Each anchor's node is measured by a scan of the
                        // lines below it; many anchors would make that slow.
                        if anchors.len() >= MAX_ANCHORS {
                            return usize::MAX;
                        }
                        let deeper: usize = lines[i + 1..]
                            .iter()
                            .take_while(|l| l.trim().is_empty() || indent(l) > indent(line))
                            .map(|l| l.len() + 1)
                            .sum();
                        anchors.insert(name, line.len() - at + deeper);
                    } else {
                        total = total.saturating_add(anchors.get(name).copied().unwrap_or(0));
                    }
                    at = name_end;
                    continue;
                }
                _ => {}
            }
            at += 1;
        }
    }
    total
}

fn translate(error: serde_path_to_error::Error<serde_yaml::Error>, what: &str) -> YamlError {
    let path = error.path().to_string();
    // A syntax error has no meaningful key path.
    let path = (!path.contains('?') && !path.is_empty() && path != ".").then_some(path);
    let inner = error.inner();
    let text = inner.to_string();
    // serde_yaml appends " at line L column C" and may prefix its own form of
    // the key path; both are shown separately.
    let raw = text.split(" at line ").next().unwrap_or(&text);
    let raw = path
        .as_ref()
        .and_then(|p| raw.strip_prefix(&format!("{p}: ")))
        .unwrap_or(raw);
    // A leading key path of serde_yaml's own (`satisfaction: `, `.[0].expect: `).
    let raw = match raw.split_once(": ") {
        Some((prefix, rest)) if !prefix.contains([' ', '`']) => rest,
        _ => raw,
    };
    let raw = raw.trim_end_matches('.');
    let (code, message, help) = friendly(raw, what);
    YamlError {
        code,
        path,
        message,
        help,
        line: inner.location().map(|l| l.line()),
        column: inner.location().map(|l| l.column()),
    }
}

/// serde's words into a business user's.
fn friendly(raw: &str, what: &str) -> (Code, String, Option<String>) {
    if let Some(rest) = raw.strip_prefix("unknown field `") {
        let got = rest.split('`').next().unwrap_or("");
        let allowed: Vec<&str> = rest
            .split("expected ")
            .nth(1)
            .map(|l| l.split('`').skip(1).step_by(2).collect())
            .unwrap_or_default();
        let help = did_you_mean(got, allowed.iter().copied()).or_else(|| {
            (!allowed.is_empty())
                .then(|| format!("the keys allowed here are: {}", allowed.join(", ")))
        });
        return (
            Code::UnknownKey,
            format!("`{got}` is not a key {what} knows here"),
            help,
        );
    }
    if let Some(rest) = raw.strip_prefix("unknown variant `") {
        let got = rest.split('`').next().unwrap_or("");
        let allowed = rest
            .split("expected ")
            .nth(1)
            .unwrap_or("")
            .replace("one of ", "");
        let words: Vec<&str> = allowed.split('`').skip(1).step_by(2).collect();
        return (
            Code::Yaml,
            format!("`{got}` is not allowed here; use {allowed}"),
            did_you_mean(got, words.iter().copied()),
        );
    }
    let message = if raw.starts_with("invalid type") {
        raw.replacen("invalid type", "wrong kind of value", 1)
            .replace("expected f64", "expected a number")
            .replace("expected u64", "expected a whole number of 0 or more")
            .replace("expected usize", "expected a whole number of 0 or more")
            .replace("expected a string", "expected a text")
            .replace("expected a sequence", "expected a list")
            .replace("expected a map", "expected keys and values")
    } else {
        raw.replace("missing field", "missing key")
    };
    (Code::Yaml, message, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Shape {
        name: String,
        items: Vec<Item>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        cost: f64,
    }

    #[test]
    fn errors_carry_path_position_and_plain_words() {
        let e = parse::<Shape>("name: x\nitems:\n  - cost: cheap\n", "the test").unwrap_err();
        assert_eq!(e.path.as_deref(), Some("items[0].cost"));
        assert_eq!(
            e.message,
            "wrong kind of value: string \"cheap\", expected a number"
        );
        assert_eq!((e.line, e.column), (Some(3), Some(11)));
        let e = parse::<Shape>("nme: x\nitems: []\n", "the test").unwrap_err();
        assert_eq!(e.code, Code::UnknownKey);
        assert_eq!(e.message, "`nme` is not a key the test knows here");
        assert_eq!(e.help.as_deref(), Some("did you mean `name`?"));
        let e =
            parse::<Shape>("name: x\nitems:\n  - cost: 1\n    size: 2\n", "the test").unwrap_err();
        assert_eq!(e.message, "`size` is not a key the test knows here");
        let e = parse::<Shape>("items: []\n", "the test").unwrap_err();
        assert_eq!(e.message, "missing key `name`");
    }

    #[test]
    fn one_large_value_aliased_many_times_is_refused_quickly() {
        let big = "x".repeat(1 << 20);
        let mut text = format!("anchor: &big \"{big}\"\nlist:\n");
        for _ in 0..5000 {
            text.push_str("  - *big\n");
        }
        let error = parse::<serde_yaml::Value>(&text, "the catalog").unwrap_err();
        assert!(
            error.message.contains("repeats its anchors"),
            "{}",
            error.message
        );
        // A few aliases of small values are fine, and so are `&` and `*` in
        // quoted texts and comments.
        let text = "a: &x {k: 1}\nb: *x\nc: *x\nd: \"*x *x &y\" # *x\n";
        assert!(parse::<serde_yaml::Value>(text, "the catalog").is_ok());
        assert!(expanded_size(text) < 200);
    }
}
