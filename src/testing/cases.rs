//! The YAML format of test cases, and reading test files.
//!
//! In: one test file (`tests/*.yaml`), added to a [`SourceMap`] so that its
//! errors can be rendered with a snippet.
//! Out: its cases ([`LoadedCase`]: the parsed case, its file and the line of
//! its `name:`), or one [`FileError`] with file, line, column, key path and a
//! message in a business user's words.

use super::FileError;
use crate::diagnostic::{Code, did_you_mean};
use crate::source::{FileId, SourceFile, SourceMap};
use serde::Deserialize;
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CaseSpec {
    pub(super) name: String,
    #[serde(default)]
    pub(super) customer: Option<Map<String, Json>>,
    #[serde(default)]
    pub(super) sample: Option<Json>,
    #[serde(default, rename = "with")]
    pub(super) overrides: Option<Map<String, Json>>,
    pub(super) expect: Expect,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Expect {
    #[serde(default)]
    pub(super) offers: Option<Vec<String>>,
    #[serde(default)]
    pub(super) includes: Vec<String>,
    #[serde(default)]
    pub(super) excludes: Vec<String>,
    #[serde(default)]
    pub(super) top: Option<String>,
    #[serde(default)]
    pub(super) gain: BTreeMap<String, GainSpec>,
    #[serde(default)]
    pub(super) made_by: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) blocked: Vec<String>,
    #[serde(default)]
    pub(super) segments: Vec<String>,
    #[serde(default)]
    pub(super) not_segments: Vec<String>,
    #[serde(default)]
    pub(super) no_offers: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum GainSpec {
    Value(f64),
    Detailed(GainDetail),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct GainDetail {
    pub(super) value: f64,
    #[serde(default)]
    pub(super) tolerance: Option<f64>,
}

pub(super) struct LoadedCase {
    pub(super) spec: CaseSpec,
    pub(super) file: String,
    pub(super) line: Option<usize>,
}

pub(super) fn load_file(
    sources: &mut SourceMap,
    name: &str,
    path: &Path,
) -> Result<Vec<LoadedCase>, FileError> {
    let error = |code, message: String| FileError {
        file: name.to_string(),
        line: None,
        column: None,
        key_path: None,
        message,
        help: None,
        code: Some(code),
        source: None,
    };
    let bytes = std::fs::read(path)
        .map_err(|e| error(Code::ReadError, format!("{name}: cannot read: {e}")))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| error(Code::InvalidUtf8, format!("{name}: not UTF-8 text")))?;
    let file = sources.add(SourceFile::new(name, Some(path.to_path_buf()), text));
    let text = sources.get(file).map_or("", |f| f.text.as_str());
    if text
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Err(FileError {
            line: Some(1),
            column: Some(1),
            source: Some(file),
            ..error(
                Code::Yaml,
                format!(
                    "{name}: the file holds no test cases; expected a list of cases (`- name: ...`)"
                ),
            )
        });
    }
    let deserializer = serde_yaml::Deserializer::from_str(text);
    let specs: Vec<CaseSpec> =
        serde_path_to_error::deserialize(deserializer).map_err(|e| yaml_error(name, file, e))?;
    let mut from = 0;
    Ok(specs
        .into_iter()
        .map(|spec| {
            let line = find_name_line(text, &spec.name, from);
            if let Some(l) = line {
                from = l;
            }
            LoadedCase {
                spec,
                file: name.to_string(),
                line,
            }
        })
        .collect())
}

/// The line (1-based, at or after `from`) of a case's `name:` key.
fn find_name_line(text: &str, name: &str, from: usize) -> Option<usize> {
    text.lines()
        .enumerate()
        .skip(from)
        .find(|(_, l)| {
            let l = l.trim_start().trim_start_matches("- ").trim_start();
            l.strip_prefix("name:").is_some_and(|rest| {
                let rest = rest.trim();
                rest.trim_matches(|c| c == '"' || c == '\'') == name || rest.contains(name)
            })
        })
        .map(|(i, _)| i + 1)
}

fn yaml_error(
    name: &str,
    file: FileId,
    error: serde_path_to_error::Error<serde_yaml::Error>,
) -> FileError {
    let path = error.path().to_string();
    let path = (!path.contains('?') && path != ".").then_some(path);
    let inner = error.inner();
    let text = inner.to_string();
    let raw = text.split(" at line ").next().unwrap_or(&text);
    let raw = path
        .as_ref()
        .and_then(|p| raw.strip_prefix(&format!("{p}: ")))
        .unwrap_or(raw)
        .trim_end_matches('.');
    // serde_yaml may prefix its own form of the path (`.[0].expect: `).
    let raw = match raw.split_once(": ") {
        Some((prefix, rest)) if prefix.starts_with(['.', '[']) => rest,
        _ => raw,
    };
    let (code, message, mut help) = friendly(raw);
    if path.is_none() && message.ends_with("expected a list") {
        help = Some("a test file is a list of cases, each starting with `- name:`".into());
    }
    let located = path
        .as_ref()
        .map_or(String::new(), |p| format!(" at `{p}`"));
    FileError {
        file: name.to_string(),
        line: inner.location().map(|l| l.line()),
        column: inner.location().map(|l| l.column()),
        key_path: path,
        message: format!("{name}{located}: {message}"),
        help,
        code: Some(code),
        source: Some(file),
    }
}

/// serde's words into a business user's.
fn friendly(raw: &str) -> (Code, String, Option<String>) {
    if let Some(rest) = raw.strip_prefix("unknown field `") {
        let got = rest.split('`').next().unwrap_or("");
        let allowed: Vec<&str> = rest
            .split("expected ")
            .nth(1)
            .map(|l| l.split('`').skip(1).step_by(2).collect())
            .unwrap_or_default();
        let help = did_you_mean(got, allowed.iter().copied())
            .or_else(|| Some(format!("the keys allowed here are: {}", allowed.join(", "))));
        let message = format!("`{got}` is not a key a test case knows here");
        return (Code::UnknownKey, message, help);
    }
    if raw.contains("untagged enum GainSpec") {
        let message = "wrong kind of value: expected a number, or `{ value: N, tolerance: N }`";
        return (Code::Yaml, message.to_string(), None);
    }
    let message = if raw.starts_with("invalid type") {
        raw.replacen("invalid type", "wrong kind of value", 1)
            .replace("expected f64", "expected a number")
            .replace("expected a string", "expected a text")
            .replace("expected a sequence", "expected a list")
            .replace("expected a map", "expected keys and values")
    } else {
        raw.replace("missing field", "missing key")
    };
    (Code::Yaml, message, None)
}
