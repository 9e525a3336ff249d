//! Where each key and value of a YAML text is, by key path.
//!
//! serde_yaml reads the catalog into types but forgets positions, so a check
//! that runs on the typed catalog (a duplicate id, an inconsistent AHP cell)
//! knows the path of the value at fault, `services[3].id`, and not where it
//! is. A second, read-only pass with yaml-rust2's event parser, which keeps a
//! mark for every event, maps each path to its key and value, so that every
//! catalog diagnostic can point at the exact key or value. The pass runs only
//! when there is something to report.
//!
//! In: the YAML text. Out: [`Positions`]: byte ranges by path, and the keys
//! that a mapping repeats.

use std::collections::HashMap;
use std::ops::Range;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// Byte ranges of a YAML text's keys and values, by key path.
#[derive(Debug, Default)]
pub(crate) struct Positions {
    places: HashMap<String, Place>,
    /// A key a mapping holds twice: its path, the first and the repeated key.
    pub duplicates: Vec<(String, Range<usize>, Range<usize>)>,
}

/// Where one value is, and the key that names it (none for list items and the root).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Place {
    pub key: Option<Range<usize>>,
    pub value: Range<usize>,
    /// A mapping or list: its value is one character (`-`, `{`, `[` or its
    /// first key), so a message about the whole is better placed at its key.
    pub container: bool,
}

impl Positions {
    /// Reads `text`; what follows a syntax error is simply not mapped.
    pub(crate) fn of(text: &str) -> Positions {
        let mut receiver = Receiver {
            text,
            bytes: text.char_indices().map(|(i, _)| i).collect(),
            frames: Vec::new(),
            found: Positions::default(),
        };
        let mut parser = Parser::new_from_str(text);
        let _ = parser.load(&mut receiver, false);
        receiver.found
    }

    /// The value at `path` (`services[3].cost`, `satisfaction.ahp[1][2]`).
    pub(crate) fn value(&self, path: &str) -> Option<Range<usize>> {
        self.places.get(path).map(|p| p.value.clone())
    }

    /// The value (or with `key`, the key) at `path`; for a path the text
    /// does not have (a default left out), its nearest written parent's value.
    pub(crate) fn nearest(&self, path: &str, key: bool) -> Option<Range<usize>> {
        let mut path = path;
        let mut key = key;
        loop {
            if let Some(place) = self.places.get(path) {
                return Some(match (&place.key, key || place.container) {
                    (Some(k), true) => k.clone(),
                    _ => place.value.clone(),
                });
            }
            path = &path[..path.rfind(['.', '['])?];
            key = false;
        }
    }

    /// The key of the value at `path`, or the value itself for a list item.
    pub(crate) fn key(&self, path: &str) -> Option<Range<usize>> {
        self.places
            .get(path)
            .map(|p| p.key.clone().unwrap_or_else(|| p.value.clone()))
    }
}

/// A mapping or sequence being read.
enum Frame {
    Map {
        path: String,
        /// The key just read, waiting for its value.
        key: Option<(String, Range<usize>)>,
        keys: HashMap<String, Range<usize>>,
    },
    Seq {
        path: String,
        next: usize,
    },
}

struct Receiver<'t> {
    text: &'t str,
    /// Byte offset of each character: the parser's marks count characters.
    bytes: Vec<usize>,
    frames: Vec<Frame>,
    found: Positions,
}

impl Receiver<'_> {
    fn byte(&self, mark: Marker) -> usize {
        self.bytes
            .get(mark.index())
            .copied()
            .unwrap_or(self.text.len())
    }

    /// The path and key of the value about to be read, and moves on past it.
    fn next_value(&mut self) -> (String, Option<Range<usize>>) {
        match self.frames.last_mut() {
            None => (String::new(), None),
            Some(Frame::Seq { path, next }) => {
                let child = format!("{path}[{next}]");
                *next += 1;
                (child, None)
            }
            Some(Frame::Map { path, key, .. }) => {
                let (name, range) = key.take().unwrap_or_default();
                let child = if path.is_empty() {
                    name
                } else {
                    format!("{path}.{name}")
                };
                (child, Some(range))
            }
        }
    }

    /// Whether the next scalar is a mapping's key (rather than a value).
    fn expects_key(&self) -> bool {
        matches!(self.frames.last(), Some(Frame::Map { key: None, .. }))
    }

    fn place(
        &mut self,
        path: String,
        key: Option<Range<usize>>,
        value: Range<usize>,
        container: bool,
    ) {
        self.found.places.entry(path).or_insert(Place {
            key,
            value,
            container,
        });
    }

    /// Where a scalar that starts at `start` ends: its closing quote, or the
    /// end of its plain text before a comment, a flow delimiter or the line's end.
    fn scalar_end(&self, start: usize) -> usize {
        let rest = self.text.get(start..).unwrap_or("");
        let mut chars = rest.char_indices();
        match chars.next() {
            Some((_, quote @ ('"' | '\''))) => {
                let mut escaped = false;
                for (i, c) in chars {
                    match c {
                        '\\' if quote == '"' && !escaped => escaped = true,
                        c if c == quote && !escaped => return start + i + 1,
                        '\n' => return start + i,
                        _ => escaped = false,
                    }
                }
                self.text.len()
            }
            Some(_) => {
                let line = rest.split('\n').next().unwrap_or("");
                let line = line.trim_end_matches('\r');
                let mut end = line.len();
                let flow = self.in_flow();
                for (i, c) in line.char_indices() {
                    let comment = c == '#' && line[..i].ends_with([' ', '\t']);
                    let flow_end = flow && matches!(c, ',' | ']' | '}');
                    let key_end =
                        c == ':' && (i + 1 == line.len() || line[i + 1..].starts_with([' ', '\t']));
                    if comment || flow_end || key_end {
                        end = i;
                        break;
                    }
                }
                start + line[..end].trim_end().len().max(1).min(line.len())
            }
            None => start,
        }
    }

    /// Whether the text at the innermost container is a flow (`[...]`, `{...}`).
    fn in_flow(&self) -> bool {
        let path = match self.frames.last() {
            Some(Frame::Map { path, .. } | Frame::Seq { path, .. }) => path,
            None => return false,
        };
        self.found
            .places
            .get(path)
            .and_then(|p| self.text.get(p.value.start..))
            .is_some_and(|t| t.starts_with(['[', '{']))
    }

    fn scalar(&mut self, start: usize) {
        let range = start..self.scalar_end(start);
        if self.expects_key() {
            let name = self.text.get(range.clone()).unwrap_or("");
            let name = name.trim_matches(['"', '\'']).to_string();
            self.place_block_mapping(range.start);
            if let Some(Frame::Map { path, key, keys }) = self.frames.last_mut() {
                if let Some(first) = keys.get(&name) {
                    let at = if path.is_empty() {
                        name.clone()
                    } else {
                        format!("{path}.{name}")
                    };
                    self.found
                        .duplicates
                        .push((at, first.clone(), range.clone()));
                } else {
                    keys.insert(name.clone(), range.clone());
                }
                *key = Some((name, range));
            }
            return;
        }
        let (path, key) = self.next_value();
        self.place(path, key, range, false);
    }

    /// A block mapping's mark lies past its first key: once that key is
    /// read, the mapping is placed at the key, or at the `-` of the list
    /// item it opens.
    fn place_block_mapping(&mut self, key_start: usize) {
        let Some(Frame::Map {
            path,
            key: None,
            keys,
        }) = self.frames.last()
        else {
            return;
        };
        if !keys.is_empty() {
            return;
        }
        let line_start = self.text[..key_start].rfind('\n').map_or(0, |i| i + 1);
        let before = self.text[line_start..key_start].trim_end();
        let at = if before.ends_with('-') {
            line_start + before.len() - 1
        } else {
            key_start
        };
        if let Some(place) = self.found.places.get_mut(path)
            && place.value.start > key_start
        {
            place.value = at..at + 1;
        }
    }

    fn open(&mut self, start: usize, map: bool) {
        let (path, key) = self.next_value();
        // A block mapping's mark is at its first key; a list item's `-` and
        // a flow's bracket are where the value starts.
        let value = start..start + 1;
        self.place(path.clone(), key, value, true);
        self.frames.push(if map {
            Frame::Map {
                path,
                key: None,
                keys: HashMap::new(),
            }
        } else {
            Frame::Seq { path, next: 0 }
        });
    }
}

impl MarkedEventReceiver for Receiver<'_> {
    fn on_event(&mut self, event: Event, mark: Marker) {
        let at = self.byte(mark);
        match event {
            Event::Scalar(..) | Event::Alias(_) => self.scalar(at),
            Event::MappingStart(..) => self.open(at, true),
            Event::SequenceStart(..) => self.open(at, false),
            Event::MappingEnd | Event::SequenceEnd => {
                self.frames.pop();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Positions;

    fn shown(text: &str, range: Option<std::ops::Range<usize>>) -> &str {
        range.and_then(|r| text.get(r)).unwrap_or("<none>")
    }

    #[test]
    fn keys_and_values_by_path_in_block_and_flow_style() {
        let text = "package: 演示\nservices:\n  - { id: a, name: \"中 文\", cost: 3 }  # one\n  - id: b\n    cost: 4.5 # two\nsatisfaction:\n  ahp:\n    - [1, \"1/3\"]\n    - [3, 1]\n";
        let p = Positions::of(text);
        assert_eq!(shown(text, p.value("package")), "演示");
        assert_eq!(shown(text, p.key("package")), "package");
        assert_eq!(shown(text, p.value("services[0].id")), "a");
        assert_eq!(shown(text, p.value("services[0].name")), "\"中 文\"");
        assert_eq!(shown(text, p.value("services[0].cost")), "3");
        assert_eq!(shown(text, p.value("services[1].id")), "b");
        assert_eq!(shown(text, p.value("services[1].cost")), "4.5");
        assert_eq!(shown(text, p.key("services[1].cost")), "cost");
        assert_eq!(shown(text, p.value("satisfaction.ahp[0][1]")), "\"1/3\"");
        assert_eq!(shown(text, p.value("satisfaction.ahp[1][0]")), "3");
        assert_eq!(p.value("services[2]"), None);
        assert_eq!(shown(text, p.nearest("services[1].stage", false)), "-");
        assert_eq!(
            shown(text, p.nearest("satisfaction.weights", false)),
            "satisfaction"
        );
        assert_eq!(shown(text, p.nearest("services[1].cost", true)), "cost");
        assert_eq!(p.nearest("nothing.here", false), None);
    }

    #[test]
    fn a_repeated_key_is_found_at_its_second_place() {
        let text = "a: 1\nb:\n  c: 2\n  c: 3\n";
        let p = Positions::of(text);
        assert_eq!(p.duplicates.len(), 1);
        let (path, first, again) = &p.duplicates[0];
        assert_eq!(path, "b.c");
        assert_eq!((first.start, again.start), (10, 17));
    }

    #[test]
    fn a_broken_text_maps_what_comes_before_the_break() {
        let text = "a: 1\nb: [1, 2\n";
        let p = Positions::of(text);
        assert_eq!(shown(text, p.value("a")), "1");
    }
}
