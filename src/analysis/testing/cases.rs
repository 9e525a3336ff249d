//! The YAML format of test cases, and reading test files.
//!
//! In: one test file (`tests/*.yaml`), added to a [`SourceMap`] so that its
//! errors can be rendered with a snippet.
//! Out: its cases ([`LoadedCase`]: the parsed case, its file and the line of
//! its `name:`), or one [`FileError`] with file, line, column, key path and a
//! message in a business user's words.

use super::FileError;
use crate::base::diagnostic::Code;
use crate::base::source::{FileId, SourceFile, SourceMap};
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
    let bytes = read_bounded(path)
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
    let specs: Vec<CaseSpec> =
        crate::base::yaml::parse(text, "a test case").map_err(|e| yaml_error(name, file, e))?;
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

fn yaml_error(name: &str, file: FileId, error: crate::base::yaml::YamlError) -> FileError {
    let mut help = error.help;
    if error.path.is_none() && error.message.ends_with("expected a list") {
        help = Some("a test file is a list of cases, each starting with `- name:`".into());
    }
    let message = if error.message.contains("untagged enum GainSpec") {
        "wrong kind of value: expected a number, or `{ value: N, tolerance: N }`".to_string()
    } else {
        error.message
    };
    let located = error
        .path
        .as_ref()
        .map_or(String::new(), |p| format!(" at `{p}`"));
    FileError {
        file: name.to_string(),
        line: error.line,
        column: error.column,
        key_path: error.path,
        message: format!("{name}{located}: {message}"),
        help,
        code: Some(error.code),
        source: Some(file),
    }
}

/// A test file's bytes, refused past the limit rule files have, whatever
/// size the file reports.
fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let limit = crate::engine::load::MAX_FILE_BYTES;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::Error::other(format!(
            "the file is larger than {limit} bytes"
        )));
    }
    Ok(bytes)
}
