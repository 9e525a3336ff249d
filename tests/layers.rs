//! The library's module layering, checked from its source text.
//!
//! Rust lets any module name any other, so without a check the modules drift
//! into one tangle where nothing can be understood, tested or changed on its
//! own. This test keeps the library in layers, each a folder under `src/`: a
//! layer may use the layers below it, never those above, and no files may use
//! each other in a circle. The order, top to bottom:
//!
//! cli -> format -> analysis -> run/ide -> engine -> lang/model -> package -> base
//!
//! ```text
//! cli            the binary (src/main.rs, src/cli/): uses the library only as `vasrec::...`
//! format    6    text, HTML and diff output
//! analysis  5    reports, funnel, diff, trace, calibration, rule tests
//! run       4    batches, capacity, scoring
//! ide       4    what an editor asks of a package; run and ide never name each other
//! engine    3    compiling, evaluating, arbitrating
//! lang      2    syntax, resolve, ir, graph, scripts
//! model     2    the satisfaction model (ahp, loyalty); lang and model never name each other
//! package   1    catalog, schema, customer, input
//! base      0    source, diagnostics, rendering, yaml, tables, number formatting
//! ```
//!
//! `src/lib.rs`, the crate root, is exempt: it declares and re-exports. Each
//! rule is its own test:
//!
//! 1. every library file is inside one of the nine layer folders;
//! 2. a file names `crate::`, `super::` and `self::` paths only into its own
//!    layer or a lower one; test code aside (`#[cfg(test)]` modules and
//!    items, and files named `tests.rs`);
//! 3. no circle of files using each other. A file may use its parent module.
//!    A parent and its private children (`mod x;`) are one module split over
//!    files, so the parent's uses of them do not count; a visible child (`pub
//!    mod x;`, `pub(crate) mod x;`) is a module of its own, and only the
//!    parent re-exporting it (`pub use x::Y;`) does not count;
//! 4. at least 20 library files are found, so the rules cannot pass on an
//!    empty tree; and enough paths are found in them, so they cannot pass on
//!    a broken parser.
//!
//! And the binary (`src/main.rs`, `src/cli/`) names nothing of its own crate
//! but `crate::cli::...`, while the library never names `crate::cli`.
//!
//! How: comments and string and character literals are blanked out, then
//! every path starting with `crate`, `super`, `self` or a child module the
//! file declares is collected, with `use` trees (`use crate::{a::{b, c},
//! d};`) expanded and `super` resolved against the file's module (and inline
//! `mod` blocks). A path belongs to the longest module prefix that has a file:
//! `crate::engine::eval::Evaluator` is `src/engine/eval.rs` if it exists, else
//! `src/engine/mod.rs`. Names `lib.rs` re-exports (`crate::Engine`) are
//! followed to their module; re-exports further down and macro-generated
//! paths are not. The checks run on an in-memory map of file to text, so the
//! checker is tested on small made-up trees at the end of this file.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// The layer folders under `src/` and their ranks, lowest first.
const LAYERS: [(&str, u8); 9] = [
    ("base", 0),
    ("package", 1),
    ("lang", 2),
    ("model", 2),
    ("engine", 3),
    ("run", 4),
    ("ide", 4),
    ("analysis", 5),
    ("format", 6),
];

/// The layer folders as listed in messages.
const ALLOWED: &str = "base/, package/, lang/, model/, engine/, run/, ide/, analysis/, format/";

/// Fewer library files than this means the test looks in the wrong place.
const MIN_LIBRARY_FILES: usize = 20;

/// Fewer `crate::`/`super::` references than this means the parser is broken.
const MIN_REFERENCES: usize = 50;

/// Source files by path relative to `src/` (`engine/eval.rs`), and their text.
type Files = BTreeMap<String, String>;

// ---------------------------------------------------------------------------
// The real tree
// ---------------------------------------------------------------------------

/// Every `.rs` file under `src/`, read from disk; fails if there are too few.
fn real_files() -> Files {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Files::new();
    let mut folders = vec![src.clone()];
    while let Some(folder) = folders.pop() {
        let entries = fs::read_dir(&folder)
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", folder.display()));
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                let key = path
                    .strip_prefix(&src)
                    .unwrap()
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                let text = fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
                files.insert(key, text);
            }
        }
    }
    let library = files.keys().filter(|key| is_library(key)).count();
    assert!(
        library >= MIN_LIBRARY_FILES && files.contains_key("lib.rs"),
        "found only {library} library files (and lib.rs: {}) under {}; expected at least \
         {MIN_LIBRARY_FILES}. The layering checks would pass without checking anything: \
         fix where this test looks for the sources.",
        files.contains_key("lib.rs"),
        src.display(),
    );
    files
}

/// Fails with every problem found, or passes if there are none.
fn assert_none(rule: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{rule}: {} problem(s)\n\n{}\n",
        problems.len(),
        problems.join("\n\n")
    );
}

#[test]
fn the_library_sources_are_found() {
    let files = real_files();
    let krate = Crate::new(&files);
    let references: usize = krate
        .sources
        .values()
        .filter(|source| is_library(&source.key))
        .map(|source| source.scan.refs.len())
        .sum();
    assert!(
        references >= MIN_REFERENCES,
        "found only {references} `crate::`/`super::`/`self::` paths in the library; \
         expected at least {MIN_REFERENCES}. The path parser is probably broken, and \
         the layering checks would pass without checking anything."
    );
}

#[test]
fn every_library_file_is_in_a_layer() {
    assert_none(
        "rule 1, library files outside the layer folders",
        &misplaced_files(&real_files()),
    );
}

#[test]
fn no_file_uses_a_higher_layer() {
    assert_none(
        "rule 2, paths into a higher (or sibling) layer",
        &upward_references(&Crate::new(&real_files())),
    );
}

#[test]
fn the_binary_uses_the_library_only_through_vasrec() {
    assert_none(
        "binary boundary, paths across the binary/library crates",
        &binary_boundary(&Crate::new(&real_files())),
    );
}

#[test]
fn no_files_use_each_other_in_a_circle() {
    assert_none(
        "rule 3, circles of files using each other",
        &import_circles(&Crate::new(&real_files())),
    );
}

// ---------------------------------------------------------------------------
// Layers and module paths
// ---------------------------------------------------------------------------

fn rank(layer: &str) -> Option<u8> {
    LAYERS
        .iter()
        .find(|(name, _)| *name == layer)
        .map(|(_, rank)| *rank)
}

/// The layer a file is in: its first folder, if that is a layer folder.
fn layer_of(key: &str) -> Option<&'static str> {
    let (folder, _) = key.split_once('/')?;
    LAYERS
        .iter()
        .map(|(name, _)| *name)
        .find(|name| *name == folder)
}

/// `src/main.rs` and `src/cli/` make the binary crate.
fn is_binary(key: &str) -> bool {
    key == "main.rs" || key.starts_with("cli/")
}

/// A library file under the layering rules: not the binary, not `lib.rs`.
fn is_library(key: &str) -> bool {
    !is_binary(key) && key != "lib.rs"
}

/// The module path of a file: `engine/eval.rs` and `engine/eval/mod.rs` are
/// `engine::eval`; both crate roots are the empty path.
fn module_of(key: &str) -> Vec<String> {
    if key == "lib.rs" || key == "main.rs" {
        return Vec::new();
    }
    let mut parts: Vec<String> = key
        .strip_suffix(".rs")
        .unwrap_or(key)
        .split('/')
        .map(str::to_string)
        .collect();
    if parts.last().is_some_and(|last| last == "mod") {
        parts.pop();
    }
    parts
}

// ---------------------------------------------------------------------------
// Reading paths out of source text
// ---------------------------------------------------------------------------

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The text with comments and string and character literals replaced by
/// spaces, line breaks kept, so what remains is code on its original lines.
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |out: &mut String, c: char| out.push(if c == '\n' { '\n' } else { ' ' });
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                blank(&mut out, chars[i]);
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                let pair = (chars[i], chars.get(i + 1).copied());
                if pair == ('/', Some('*')) {
                    depth += 1;
                } else if pair == ('*', Some('/')) {
                    depth -= 1;
                } else {
                    blank(&mut out, chars[i]);
                    i += 1;
                    continue;
                }
                out.push_str("  ");
                i += 2;
                if depth == 0 {
                    break;
                }
            }
        } else if c == '"' {
            blank(&mut out, c);
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' && i + 1 < chars.len() {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
                blank(&mut out, chars[i]);
                i += 1;
            }
            if i < chars.len() {
                blank(&mut out, chars[i]);
                i += 1;
            }
        } else if c == '\'' {
            // A character literal ('x', '\n', '\''); otherwise a lifetime.
            let end = if next == Some('\\') {
                (i + 3..chars.len()).find(|&j| chars[j] == '\'')
            } else if next.is_some_and(|n| n != '\'') && chars.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            let end = end.unwrap_or(i);
            for &ch in &chars[i..=end] {
                if end == i {
                    out.push(ch);
                } else {
                    blank(&mut out, ch);
                }
            }
            i = end + 1;
        } else if is_ident_char(c) && (i == 0 || !is_ident_char(chars[i - 1])) {
            let start = i;
            while i < chars.len() && is_ident_char(chars[i]) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let hashes = chars[i..].iter().take_while(|&&h| h == '#').count();
            let raw =
                matches!(word.as_str(), "r" | "br" | "cr") && chars.get(i + hashes) == Some(&'"');
            if !raw {
                out.push_str(&word);
                continue;
            }
            // A raw string: ends at a quote followed by as many `#`s.
            let body = i + hashes + 1;
            let close = (body..chars.len())
                .find(|&j| {
                    chars[j] == '"'
                        && chars[j + 1..].iter().take_while(|&&h| h == '#').count() >= hashes
                })
                .map_or(chars.len(), |j| j + 1 + hashes);
            for &ch in &chars[start..close] {
                blank(&mut out, ch);
            }
            i = close;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// A token of code: an identifier (or number), `::`, or one other character.
#[derive(Debug)]
struct Tok {
    text: String,
    line: usize,
}

fn tokenize(code: &str) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut line = 1;
    let mut chars = code.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\n' {
            line += 1;
        } else if c.is_whitespace() {
        } else if is_ident_char(c) {
            let mut text = c.to_string();
            while let Some(&n) = chars.peek().filter(|&&n| is_ident_char(n)) {
                text.push(n);
                chars.next();
            }
            toks.push(Tok { text, line });
        } else if c == ':' && chars.peek() == Some(&':') {
            chars.next();
            toks.push(Tok {
                text: "::".to_string(),
                line,
            });
        } else {
            toks.push(Tok {
                text: c.to_string(),
                line,
            });
        }
    }
    toks
}

fn is_ident(tok: Option<&Tok>) -> bool {
    tok.is_some_and(|t| t.text.starts_with(is_ident_char))
}

fn text_at(toks: &[Tok], i: usize) -> &str {
    toks.get(i).map_or("", |t| t.text.as_str())
}

/// A path to somewhere in the same crate, as written in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PathRef {
    line: usize,
    /// As written, with `use` groups expanded: `crate::a::b`, `super::g`.
    written: String,
    /// From the crate root, with `super` and `self` resolved against the
    /// module the path is in; `None` if it climbs above the root.
    absolute: Option<Vec<String>>,
    /// Inside `#[cfg(test)]` code.
    in_test: bool,
    /// In a `pub use` item: a re-export.
    reexport: bool,
}

/// One leaf of a `use` tree.
#[derive(Debug)]
struct UseLeaf {
    segments: Vec<String>,
    /// The name it binds (`None` for a glob).
    name: Option<String>,
    line: usize,
}

/// What one file says about other modules.
#[derive(Debug, Default)]
struct Scan {
    /// Every `crate::`, `super::` and `self::` path.
    refs: Vec<PathRef>,
    /// Names bound by top-level `use` items, to their paths as written.
    bindings: Vec<(String, Vec<String>)>,
    /// Child modules declared `#[cfg(test)] mod name;`.
    test_children: BTreeSet<String>,
    /// Child modules declared private, `mod name;` (not `pub mod`, `pub(crate) mod`).
    private_children: BTreeSet<String>,
    /// The file is `#![cfg(test)]`.
    whole_file_test: bool,
}

/// Resolves a written path against the module it appears in.
fn absolute(base: &[String], segments: &[String]) -> Option<Vec<String>> {
    let (mut out, mut rest) = match segments.first().map(String::as_str) {
        Some("crate") => (Vec::new(), &segments[1..]),
        Some("self") => (base.to_vec(), &segments[1..]),
        _ => (base.to_vec(), segments),
    };
    while rest.first().is_some_and(|s| s == "super") {
        out.pop()?;
        rest = &rest[1..];
    }
    out.extend(rest.iter().cloned());
    Some(out)
}

/// Does a path start in this crate: `crate`, `super`, `self`, or (at file
/// scope) a child module the file declares?
fn is_internal(segments: &[String], children: &BTreeSet<String>) -> bool {
    segments
        .first()
        .is_some_and(|s| matches!(s.as_str(), "crate" | "super" | "self") || children.contains(s))
}

/// The child modules a file declares at its top level (`mod name;`), each
/// with whether it is visible (`pub mod`, `pub(crate) mod`, ...).
fn declared_children(toks: &[Tok]) -> BTreeMap<String, bool> {
    let mut children = BTreeMap::new();
    let mut depth = 0usize;
    for (i, tok) in toks.iter().enumerate() {
        match tok.text.as_str() {
            "{" => depth += 1,
            "}" => depth = depth.saturating_sub(1),
            "mod" if depth == 0 && is_ident(toks.get(i + 1)) && text_at(toks, i + 2) == ";" => {
                children.insert(toks[i + 1].text.clone(), is_pub(toks, i));
            }
            _ => {}
        }
    }
    children
}

/// Is the item whose keyword is `toks[at]` public (`pub`, `pub(crate)`, ...)?
fn is_pub(toks: &[Tok], at: usize) -> bool {
    let mut i = at;
    if i > 0 && text_at(toks, i - 1) == ")" {
        while i > 0 && text_at(toks, i - 1) != "(" {
            i -= 1;
        }
        i = i.saturating_sub(1);
    }
    i > 0 && text_at(toks, i - 1) == "pub"
}

/// Parses the `use` tree starting at `toks[i]` under `prefix`, adding its
/// leaves to `out`; returns the index after the tree.
fn parse_use_tree(toks: &[Tok], mut i: usize, prefix: &[String], out: &mut Vec<UseLeaf>) -> usize {
    let mut path = prefix.to_vec();
    if text_at(toks, i) == "::" {
        path.push("::".to_string()); // `::name`: an external crate
        i += 1;
    }
    loop {
        if text_at(toks, i) == "$" {
            i += 1; // `$crate` in a macro
        }
        match text_at(toks, i) {
            "{" => {
                i += 1;
                while i < toks.len() && text_at(toks, i) != "}" {
                    let after = parse_use_tree(toks, i, &path, out);
                    i = if after == i { i + 1 } else { after };
                    if text_at(toks, i) == "," {
                        i += 1;
                    }
                }
                return i + 1;
            }
            "*" => {
                out.push(UseLeaf {
                    segments: path,
                    name: None,
                    line: toks[i].line,
                });
                return i + 1;
            }
            _ if is_ident(toks.get(i)) => {
                let line = toks[i].line;
                path.push(toks[i].text.clone());
                i += 1;
                if text_at(toks, i) == "::" {
                    i += 1;
                    continue;
                }
                if path.last().is_some_and(|s| s == "self") && path.len() > 1 {
                    path.pop();
                }
                let mut name = path.last().cloned();
                if text_at(toks, i) == "as" {
                    name = toks.get(i + 1).map(|t| t.text.clone());
                    i += 2;
                }
                out.push(UseLeaf {
                    segments: path,
                    name,
                    line,
                });
                return i;
            }
            _ => return i,
        }
    }
}

/// Is `toks[at..]` the attribute `#[cfg(test)]` (or `#![cfg(test)]`)?
/// Returns whether it is an inner (`#!`) attribute.
fn cfg_test_at(toks: &[Tok], at: usize) -> Option<bool> {
    let inner = text_at(toks, at + 1) == "!";
    let start = at + 1 + usize::from(inner);
    let words: Vec<&str> = (start..start + 6).map(|i| text_at(toks, i)).collect();
    (words == ["[", "cfg", "(", "test", ")", "]"]).then_some(inner)
}

/// Reads every same-crate path out of the text of the file for `module`.
fn scan(module: &[String], text: &str) -> Scan {
    let toks = tokenize(&code_only(text));
    let declared = declared_children(&toks);
    let children: BTreeSet<String> = declared.keys().cloned().collect();
    let no_children = BTreeSet::new();
    let mut found = Scan {
        private_children: declared
            .iter()
            .filter(|(_, visible)| !**visible)
            .map(|(name, _)| name.clone())
            .collect(),
        ..Scan::default()
    };
    // Open blocks that matter: (inline module name, brace depth inside, test).
    let mut blocks: Vec<(Option<String>, usize, bool)> = Vec::new();
    let mut depth = 0;
    let mut cfg_test = false; // a `#[cfg(test)]` waits for its item
    let mut i = 0;
    while i < toks.len() {
        let in_test = found.whole_file_test || cfg_test || blocks.last().is_some_and(|b| b.2);
        let base: Vec<String> = module
            .iter()
            .cloned()
            .chain(blocks.iter().filter_map(|b| b.0.clone()))
            .collect();
        // Child module names start paths only outside inline modules.
        let children = if base.len() == module.len() {
            &children
        } else {
            &no_children
        };
        match toks[i].text.as_str() {
            "#" => match cfg_test_at(&toks, i) {
                Some(true) => found.whole_file_test = true,
                Some(false) => cfg_test = true,
                None => {}
            },
            "{" => {
                depth += 1;
                if cfg_test {
                    blocks.push((None, depth, true));
                }
                cfg_test = false;
            }
            "}" => {
                while blocks.last().is_some_and(|b| b.1 >= depth) {
                    blocks.pop();
                }
                depth = depth.saturating_sub(1);
                cfg_test = false;
            }
            ";" => cfg_test = false,
            "mod" if is_ident(toks.get(i + 1)) => {
                let name = toks[i + 1].text.clone();
                match text_at(&toks, i + 2) {
                    "{" => {
                        depth += 1;
                        blocks.push((Some(name), depth, in_test));
                        cfg_test = false;
                        i += 3;
                        continue;
                    }
                    ";" if cfg_test => {
                        found.test_children.insert(name);
                    }
                    _ => {}
                }
            }
            "use" => {
                let reexport = is_pub(&toks, i);
                let mut leaves = Vec::new();
                i = parse_use_tree(&toks, i + 1, &[], &mut leaves);
                for leaf in leaves {
                    if blocks.is_empty()
                        && let Some(name) = &leaf.name
                    {
                        found.bindings.push((name.clone(), leaf.segments.clone()));
                    }
                    if is_internal(&leaf.segments, children) {
                        found.refs.push(PathRef {
                            line: leaf.line,
                            written: leaf.segments.join("::"),
                            absolute: absolute(&base, &leaf.segments),
                            in_test,
                            reexport,
                        });
                    }
                }
                continue;
            }
            word if text_at(&toks, i + 1) == "::"
                && is_ident(toks.get(i + 2))
                && !matches!(text_at(&toks, i.wrapping_sub(1)), "::" | ".")
                && is_internal(&[word.to_string()], children) =>
            {
                let visibility = i >= 3
                    && text_at(&toks, i - 1) == "in"
                    && text_at(&toks, i - 2) == "("
                    && text_at(&toks, i - 3) == "pub";
                let line = toks[i].line;
                let mut segments = vec![toks[i].text.clone()];
                i += 1;
                while text_at(&toks, i) == "::" && is_ident(toks.get(i + 1)) {
                    segments.push(toks[i + 1].text.clone());
                    i += 2;
                }
                if !visibility {
                    found.refs.push(PathRef {
                        line,
                        written: segments.join("::"),
                        absolute: absolute(&base, &segments),
                        in_test,
                        reexport: false,
                    });
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    found
}

// ---------------------------------------------------------------------------
// The crate as a whole
// ---------------------------------------------------------------------------

struct Source {
    key: String,
    module: Vec<String>,
    scan: Scan,
    /// A test-only file: `tests.rs`, `#![cfg(test)]`, or `#[cfg(test)] mod x;`.
    test_file: bool,
}

struct Crate {
    sources: BTreeMap<String, Source>,
    /// Library modules that have a file, to that file.
    modules: BTreeMap<Vec<String>, String>,
    /// Names `lib.rs` binds with `use`, to the path they stand for.
    root_names: BTreeMap<String, Vec<String>>,
}

impl Crate {
    fn new(files: &Files) -> Crate {
        let mut sources: BTreeMap<String, Source> = files
            .iter()
            .map(|(key, text)| {
                let module = module_of(key);
                let scan = scan(&module, text);
                let source = Source {
                    key: key.clone(),
                    module,
                    scan,
                    test_file: key == "tests.rs" || key.ends_with("/tests.rs"),
                };
                (key.clone(), source)
            })
            .collect();
        let modules: BTreeMap<Vec<String>, String> = sources
            .values()
            .filter(|s| is_library(&s.key))
            .map(|s| (s.module.clone(), s.key.clone()))
            .collect();
        let root_names = sources
            .get("lib.rs")
            .map(|lib| {
                lib.scan
                    .bindings
                    .iter()
                    .map(|(name, path)| {
                        let path = match path.first().map(String::as_str) {
                            Some("crate" | "self") => path[1..].to_vec(),
                            _ => path.clone(),
                        };
                        (name.clone(), path)
                    })
                    .collect()
            })
            .unwrap_or_default();
        // Files declared `#[cfg(test)] mod name;` by their parent, and
        // files that are `#![cfg(test)]` throughout.
        let test_only: Vec<String> = sources
            .values()
            .filter(|s| is_library(&s.key))
            .filter(|s| {
                let Some((name, parent)) = s.module.split_last() else {
                    return false;
                };
                let parent_key = if parent.is_empty() {
                    Some("lib.rs")
                } else {
                    modules.get(parent).map(String::as_str)
                };
                let declared = parent_key
                    .and_then(|key| sources.get(key))
                    .is_some_and(|p| p.scan.test_children.contains(name));
                declared || s.scan.whole_file_test
            })
            .map(|s| s.key.clone())
            .collect();
        for key in test_only {
            if let Some(source) = sources.get_mut(&key) {
                source.test_file = true;
            }
        }
        Crate {
            sources,
            modules,
            root_names,
        }
    }

    /// The file a path from the crate root leads to (its longest module
    /// prefix with a file), following names `lib.rs` re-exports; with the
    /// path as resolved. `None` if it leads to no module file.
    fn resolve(&self, path: &[String]) -> Option<(String, Vec<String>)> {
        let mut path = path.to_vec();
        for _ in 0..8 {
            for len in (1..=path.len()).rev() {
                if let Some(file) = self.modules.get(&path[..len]) {
                    return Some((file.clone(), path));
                }
            }
            let target = self.root_names.get(path.first()?)?;
            path = target.iter().chain(&path[1..]).cloned().collect();
        }
        None
    }

    /// Library files that count for the layering: not `lib.rs`, not tests.
    fn library(&self) -> impl Iterator<Item = &Source> {
        self.sources
            .values()
            .filter(|s| is_library(&s.key) && !s.test_file)
    }
}

// ---------------------------------------------------------------------------
// The rules
// ---------------------------------------------------------------------------

/// Rule 1: every library file is inside a layer folder.
fn misplaced_files(files: &Files) -> Vec<String> {
    let mut problems = Vec::new();
    for key in files.keys().filter(|key| is_library(key)) {
        match key.split_once('/') {
            None => {
                let stem = key.trim_end_matches(".rs");
                let hint = if rank(stem).is_some() {
                    format!(" (a layer's root module is src/{stem}/mod.rs)")
                } else {
                    String::new()
                };
                problems.push(format!(
                    "src/{key}: a library file directly in src/.\n    Fix: move it into one \
                     of the layer folders {ALLOWED}{hint}; only lib.rs and main.rs stay in \
                     src/, and the binary's cli/ beside them."
                ));
            }
            Some((folder, rest)) if rank(folder).is_none() => problems.push(format!(
                "src/{key}: `{folder}/` is not a layer folder.\n    Fix: move it into one of \
                 {ALLOWED} (e.g. src/<layer>/{folder}/{rest})."
            )),
            Some(_) => {}
        }
    }
    problems
}

/// Rule 2: paths only into the file's own layer or lower ones.
fn upward_references(krate: &Crate) -> Vec<String> {
    let mut problems = Vec::new();
    for source in krate.library() {
        let Some(layer) = layer_of(&source.key) else {
            continue; // rule 1 reports it
        };
        let here = format!("src/{}", source.key);
        for r in source.scan.refs.iter().filter(|r| !r.in_test) {
            let Some(path) = &r.absolute else {
                problems.push(format!(
                    "{here}:{}: `{}` climbs above the crate root.\n    Fix: count the \
                     `super::`s, or write it as `crate::<layer>::...`.",
                    r.line, r.written
                ));
                continue;
            };
            if path.first().is_some_and(|s| s == "cli") {
                continue; // the binary boundary's test reports it
            }
            let Some((file, _)) = krate.resolve(path) else {
                problems.push(format!(
                    "{here}:{}: `{}` leads to no module file under src/ (an item of lib.rs, a \
                     glob of the crate root, or a re-export this check cannot follow), so its \
                     layer is unknown.\n    Fix: name it by the module it is defined in, \
                     `crate::<layer>::...`.",
                    r.line, r.written,
                ));
                continue;
            };
            let Some(target) = layer_of(&file) else {
                continue; // the target is misplaced; rule 1 reports it
            };
            let (from, to) = (rank(layer), rank(target));
            if target == layer || to < from {
                continue;
            }
            problems.push(if to == from {
                format!(
                    "{here}:{}: `{}` crosses from {layer}/ to {target}/ (src/{file}); they \
                     share rank {} but must not name each other.\n    Fix: move what both \
                     need down into package/ or base/, or add a method on a lower-layer type \
                     and let engine/ bring the two together.",
                    r.line,
                    r.written,
                    from.unwrap_or_default(),
                )
            } else {
                format!(
                    "{here}:{}: `{}` reaches up from {layer}/ (rank {}) to {target}/ (rank \
                     {}), into src/{file}.\n    Fix: move the type or function it needs down \
                     into {layer}/ or a layer below, or add a method (or trait) on a \
                     lower-layer type so that {target}/ calls down instead of {layer}/ naming \
                     {target}/.",
                    r.line,
                    r.written,
                    from.unwrap_or_default(),
                    to.unwrap_or_default(),
                )
            });
        }
    }
    problems
}

/// Rule 4: the binary names only `crate::cli` of its own crate; the library
/// never names `crate::cli`.
fn binary_boundary(krate: &Crate) -> Vec<String> {
    let mut problems = Vec::new();
    for source in krate.sources.values() {
        let here = format!("src/{}", source.key);
        for r in &source.scan.refs {
            if is_binary(&source.key) {
                let mut parts = r.written.split("::");
                if parts.next() == Some("crate") && parts.next() != Some("cli") {
                    problems.push(format!(
                        "{here}:{}: `{}` names a library module from the binary (its own \
                         crate holds only main.rs and cli/).\n    Fix: use it through the \
                         library, `vasrec::...`; if it is not public there, add a public \
                         method or re-export in the library.",
                        r.line, r.written
                    ));
                }
            } else if r
                .absolute
                .as_ref()
                .and_then(|path| path.first())
                .is_some_and(|first| first == "cli")
            {
                problems.push(format!(
                    "{here}:{}: `{}` names the binary's cli from the library.\n    Fix: the \
                     library must not know the command line: move what it needs into the \
                     library (or pass it in) and let cli/ call the library.",
                    r.line, r.written
                ));
            }
        }
    }
    problems
}

/// Where one file uses another: the paths, each with the lines it is on.
type Ties = BTreeMap<String, Vec<usize>>;

/// Rule 3: no circle of files using each other.
fn import_circles(krate: &Crate) -> Vec<String> {
    // file -> file -> the paths that tie them
    let mut edges: BTreeMap<&str, BTreeMap<String, Ties>> = BTreeMap::new();
    for source in krate.library() {
        let uses = edges.entry(source.key.as_str()).or_default();
        for r in source.scan.refs.iter().filter(|r| !r.in_test) {
            let Some((file, _)) = r.absolute.as_ref().and_then(|p| krate.resolve(p)) else {
                continue;
            };
            // A parent and its private children are one module split over
            // files; a visible child is a module of its own, but the parent
            // re-exporting its items is not a use.
            let child = module_of(&file);
            let own_child = child.len() == source.module.len() + 1
                && child.starts_with(&source.module)
                && (r.reexport
                    || source
                        .scan
                        .private_children
                        .contains(&child[child.len() - 1]));
            let test = krate.sources.get(&file).is_some_and(|s| s.test_file);
            if file == source.key || own_child || test {
                continue;
            }
            uses.entry(file)
                .or_default()
                .entry(r.written.clone())
                .or_default()
                .push(r.line);
        }
    }
    let nodes: Vec<&str> = edges.keys().copied().collect();
    let index: BTreeMap<&str, usize> = nodes.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let adjacent: Vec<Vec<usize>> = nodes
        .iter()
        .map(|n| {
            edges[n]
                .keys()
                .filter_map(|to| index.get(to.as_str()).copied())
                .collect()
        })
        .collect();
    let mut problems = Vec::new();
    for component in strongly_connected(&adjacent) {
        if component.len() < 2 {
            continue;
        }
        let members: BTreeSet<&str> = component.iter().map(|&i| nodes[i]).collect();
        let mut text = format!(
            "a circle of {} files: {}",
            members.len(),
            members
                .iter()
                .map(|m| format!("src/{m}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for member in &members {
            text.push_str(&format!("\n  src/{member} uses"));
            for (to, ties) in edges[member]
                .iter()
                .filter(|(to, _)| members.contains(to.as_str()))
            {
                let shown: Vec<String> = ties
                    .iter()
                    .take(4)
                    .map(|(path, lines)| {
                        let lines: Vec<String> = lines.iter().map(usize::to_string).collect();
                        format!("`{path}` (line {})", lines.join(", "))
                    })
                    .collect();
                let more = match ties.len().saturating_sub(shown.len()) {
                    0 => String::new(),
                    n => format!(" and {n} more"),
                };
                text.push_str(&format!(
                    "\n    src/{to} through {}{more}",
                    shown.join(", ")
                ));
            }
        }
        text.push_str(
            "\n  Fix: decide which of these files is the lower one and move what it takes \
             from the others down into it (or into a lower layer), or add a method on a \
             lower type so the lower file no longer names the upper ones. (A file may use \
             its parent module, and a parent its private children, `mod x;`.)",
        );
        problems.push(text);
    }
    problems.sort();
    problems
}

/// Tarjan's strongly connected components, without recursion.
fn strongly_connected(adjacent: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = adjacent.len();
    let mut order: Vec<Option<usize>> = vec![None; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut next = 0;
    let mut components = Vec::new();
    for root in 0..n {
        if order[root].is_some() {
            continue;
        }
        order[root] = Some(next);
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        let mut work = vec![(root, 0)];
        while let Some(&(v, edge)) = work.last() {
            if let Some(&w) = adjacent[v].get(edge) {
                if let Some(last) = work.last_mut() {
                    last.1 += 1;
                }
                match order[w] {
                    None => {
                        order[w] = Some(next);
                        low[w] = next;
                        next += 1;
                        stack.push(w);
                        on_stack[w] = true;
                        work.push((w, 0));
                    }
                    Some(seen) if on_stack[w] => low[v] = low[v].min(seen),
                    Some(_) => {}
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if order[v] == Some(low[v]) {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                components.push(component);
            }
        }
    }
    components
}

// ---------------------------------------------------------------------------
// The checker's own tests
// ---------------------------------------------------------------------------

fn strings(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| s.to_string()).collect()
}

fn tree(files: &[(&str, &str)]) -> Files {
    files
        .iter()
        .map(|(key, text)| (key.to_string(), text.to_string()))
        .collect()
}

/// (line, as written, resolved from the root, in test code)
fn summary(scan: &Scan) -> Vec<(usize, String, Option<String>, bool)> {
    scan.refs
        .iter()
        .map(|r| {
            (
                r.line,
                r.written.clone(),
                r.absolute.as_ref().map(|p| p.join("::")),
                r.in_test,
            )
        })
        .collect()
}

fn row(
    line: usize,
    written: &str,
    absolute: &str,
    in_test: bool,
) -> (usize, String, Option<String>, bool) {
    (
        line,
        written.to_string(),
        Some(absolute.to_string()),
        in_test,
    )
}

#[test]
fn parser_reads_use_trees_and_paths_and_skips_comments_and_literals() {
    let text = r####"//! See crate::engine::Engine: a doc comment, not a path.
use crate::{
    a::{b, c},
    d::e as f,
};
use super::g::{self, H};
/// Uses crate::z::Z in a doc comment.
fn run() { super::super::top::item(); crate::x::Y::<u8>::new(); } // crate::gone
pub(in crate::vis) fn hidden() {}
pub(crate) fn shown() {}
const S: &str = "crate::in_string \" crate::still_string";
const R: &str = r#"crate::in_raw " crate::still_raw"#;
const C: char = '"';
fn l<'a>(x: &'a str) -> &'a str { x } /* crate::block /* nested */ crate::still */
use std::fmt;
use self::inner::*;
mod child;
pub(crate) use child::Exported;
fn call() { child::run(); std::child::no(); x.child::<u8>(); }
"####;
    let found = scan(&strings(&["lang", "syntax", "lower"]), text);
    assert_eq!(
        summary(&found),
        vec![
            row(3, "crate::a::b", "a::b", false),
            row(3, "crate::a::c", "a::c", false),
            row(4, "crate::d::e", "d::e", false),
            row(6, "super::g", "lang::syntax::g", false),
            row(6, "super::g::H", "lang::syntax::g::H", false),
            row(8, "super::super::top::item", "lang::top::item", false),
            row(8, "crate::x::Y", "x::Y", false),
            row(16, "self::inner", "lang::syntax::lower::inner", false),
            row(
                18,
                "child::Exported",
                "lang::syntax::lower::child::Exported",
                false
            ),
            row(19, "child::run", "lang::syntax::lower::child::run", false),
        ]
    );
    let reexports: Vec<bool> = found.refs.iter().map(|r| r.reexport).collect();
    assert_eq!(reexports.iter().filter(|&&r| r).count(), 1);
    assert!(reexports[8]);
    let bound: Vec<&str> = found
        .bindings
        .iter()
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(bound, ["b", "c", "f", "g", "H", "fmt", "Exported"]);
    assert_eq!(
        found.private_children,
        BTreeSet::from(["child".to_string()])
    );
}

#[test]
fn parser_marks_test_code_and_resolves_super_in_inline_modules() {
    let text = "\
fn f() {}
#[cfg(test)]
mod tests {
    use super::f;
    fn t() { crate::format::page(); }
}
mod inner {
    fn g() { super::h(); }
}
#[cfg(test)]
fn helper() { crate::run::batch(); }
#[cfg(test)]
mod fixtures;
fn after() { crate::engine::eval(); }
";
    let found = scan(&strings(&["base", "x"]), text);
    assert_eq!(
        summary(&found),
        vec![
            row(4, "super::f", "base::x::f", true),
            row(5, "crate::format::page", "format::page", true),
            row(8, "super::h", "base::x::h", false),
            row(11, "crate::run::batch", "run::batch", true),
            row(14, "crate::engine::eval", "engine::eval", false),
        ]
    );
    assert!(found.test_children.contains("fixtures"));
    assert_eq!(found.test_children.len(), 1);
    // A path that climbs above the root is kept, unresolved.
    let above = scan(&strings(&["base"]), "use super::super::x;");
    assert_eq!(above.refs[0].absolute, None);
}

#[test]
fn rules_report_a_made_up_tree() {
    let files = tree(&[
        (
            "lib.rs",
            "pub mod base;\npub mod engine;\npub use engine::{Engine, eval::Offer};\n",
        ),
        ("main.rs", "mod cli;\nfn main() { cli::run() }\n"),
        (
            "cli/mod.rs",
            "use crate::cli::out;\nuse crate::engine::Engine;\nuse vasrec::Offer;\n",
        ),
        ("base/mod.rs", "pub mod text;\n"),
        (
            "base/text.rs",
            "use crate::engine::Engine;\n#[cfg(test)]\nmod tests {\n    use crate::format::X;\n}\n",
        ),
        ("base/tests.rs", "use crate::format::Y;\n"),
        ("package/mod.rs", "use crate::base::text;\n"),
        // A private child using its parent: one module over two files.
        (
            "lang/mod.rs",
            "mod ir;\nfn f() { ir::g() }\npub struct Token;\n",
        ),
        (
            "lang/ir.rs",
            "// crate::model::Nothing\nfn f() {\n    crate::model::weight();\n}\nuse super::Token;\n",
        ),
        // A visible child and its parent using each other: a circle.
        (
            "model/mod.rs",
            "pub fn weight() {}\nuse crate::Engine;\npub(crate) mod gain;\nfn f() -> gain::Compiled {}\n",
        ),
        ("model/gain.rs", "use super::weight;\n"),
        // A visible child re-exported by its parent, and using it: no circle.
        (
            "engine/mod.rs",
            "pub mod eval;\nmod plan;\npub use self::eval::Engine;\npub struct Limit;\n",
        ),
        (
            "engine/eval.rs",
            "use super::plan::Plan;\nuse super::Limit;\n",
        ),
        ("engine/plan.rs", "use crate::Offer;\n"),
        ("run/mod.rs", "use crate::Engine;\nuse crate::package;\n"),
        ("format/page.rs", "use crate::cli::Args;\nuse crate::run;\n"),
        ("stray.rs", "use crate::base::text;\n"),
        ("html/mod.rs", ""),
    ]);
    assert_eq!(
        misplaced_files(&files)
            .iter()
            .map(|p| p.lines().next().unwrap())
            .collect::<Vec<_>>(),
        [
            "src/html/mod.rs: `html/` is not a layer folder.",
            "src/stray.rs: a library file directly in src/.",
        ]
    );
    let krate = Crate::new(&files);
    let upward = upward_references(&krate);
    let firsts: Vec<&str> = upward.iter().map(|p| p.lines().next().unwrap()).collect();
    assert_eq!(
        firsts,
        [
            "src/base/text.rs:1: `crate::engine::Engine` reaches up from base/ (rank 0) to \
             engine/ (rank 3), into src/engine/mod.rs.",
            "src/lang/ir.rs:3: `crate::model::weight` crosses from lang/ to model/ \
             (src/model/mod.rs); they share rank 2 but must not name each other.",
            "src/model/mod.rs:2: `crate::Engine` reaches up from model/ (rank 2) to engine/ \
             (rank 3), into src/engine/mod.rs.",
        ]
    );
    assert!(upward.iter().all(|p| p.contains("Fix: ")));
    let boundary = binary_boundary(&krate);
    assert_eq!(boundary.len(), 2, "{boundary:#?}");
    assert!(boundary[0].starts_with("src/cli/mod.rs:2: `crate::engine::Engine` names a library"));
    assert!(boundary[1].starts_with("src/format/page.rs:1: `crate::cli::Args` names the binary"));
    let circles = import_circles(&krate);
    assert_eq!(circles.len(), 2, "{circles:#?}");
    assert!(circles[1].starts_with(
        "a circle of 2 files: src/model/gain.rs, src/model/mod.rs\n  \
         src/model/gain.rs uses\n    src/model/mod.rs through `super::weight` (line 1)\n  \
         src/model/mod.rs uses\n    src/model/gain.rs through `gain::Compiled` (line 4)\n"
    ));
    let circle = &circles[0];
    assert!(circle.starts_with("a circle of 2 files: src/engine/eval.rs, src/engine/plan.rs\n"));
    assert!(circle.contains(
        "\n  src/engine/eval.rs uses\n    src/engine/plan.rs through `super::plan::Plan` (line 1)"
    ));
    assert!(circle.contains(
        "\n  src/engine/plan.rs uses\n    src/engine/eval.rs through `crate::Offer` (line 1)"
    ));
    // eval.rs -> engine/mod.rs is kept, mod.rs -> eval.rs is not: no circle with mod.rs.
    assert!(!circle.contains("src/engine/mod.rs"));
}

#[test]
fn resolving_takes_the_longest_module_with_a_file() {
    let files = tree(&[
        ("lib.rs", "pub use engine::Engine as Core;\n"),
        ("engine/mod.rs", ""),
        ("engine/eval.rs", ""),
        ("engine/eval/step.rs", ""),
    ]);
    let krate = Crate::new(&files);
    let file = |path: &[&str]| krate.resolve(&strings(path)).map(|(file, _)| file);
    assert_eq!(
        file(&["engine", "eval", "Evaluator", "new"]).as_deref(),
        Some("engine/eval.rs")
    );
    assert_eq!(
        file(&["engine", "eval", "step", "go"]).as_deref(),
        Some("engine/eval/step.rs")
    );
    assert_eq!(
        file(&["engine", "Engine"]).as_deref(),
        Some("engine/mod.rs")
    );
    assert_eq!(file(&["Core", "new"]).as_deref(), Some("engine/mod.rs"));
    assert_eq!(file(&["Missing"]), None);
}

#[test]
fn strongly_connected_finds_separate_circles() {
    // 0 -> 1 -> 2 -> 0, 3 -> 4 -> 3, 5 alone, 2 -> 3 joins nothing.
    let adjacent = vec![vec![1], vec![2], vec![0, 3], vec![4], vec![3], vec![5]];
    let mut components: Vec<Vec<usize>> = strongly_connected(&adjacent)
        .into_iter()
        .map(|mut c| {
            c.sort_unstable();
            c
        })
        .collect();
    components.sort();
    assert_eq!(components, [vec![0, 1, 2], vec![3, 4], vec![5]]);
}
