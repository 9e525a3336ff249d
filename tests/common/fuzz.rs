//! The fuzz corpus: the bundled files mutated by a seeded generator. The
//! repository keeps no stored corpus (there is no fuzz/ folder);
//! tests/fuzz.rs feeds these inputs to the parser and the loaders, and
//! tests/fmt_fuzz.rs the same ones, file for file, to the formatter.

use super::rng::Rng;

/// Tokens that tend to reach interesting corners of the grammar and the checker.
pub const DICTIONARY: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "\"",
    "\\",
    "#",
    ",",
    ".",
    "-",
    "not",
    "and",
    "or",
    "in",
    "==",
    ">=",
    "/",
    "%",
    "segment",
    "rule",
    "profile",
    "under",
    "for",
    "when",
    "offer",
    "suppress",
    "gain",
    "priority",
    "because",
    "pref.",
    "derived",
    "uses(",
    "value_or(",
    "1e400",
    "9223372036854775808",
    "0",
    "-0",
    "\u{feff}",
    "\r\n",
    "\t",
    "高价值",
    "\u{0}",
    "true",
    "false",
    ":",
    "- ",
    "&a",
    "*a",
    "!!",
    "~",
    "'",
    "\n  ",
];

/// One to four edits at random places: a cut, a dictionary token, a random
/// byte, or a repeated slice.
pub fn mutate(rng: &mut Rng, input: &str) -> String {
    let mut bytes = input.as_bytes().to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(5) {
            0 if !bytes.is_empty() => {
                let end = (at + rng.below(40)).min(bytes.len());
                bytes.drain(at.min(end)..end);
            }
            1 => {
                let token = DICTIONARY[rng.below(DICTIONARY.len())];
                bytes.splice(at..at, token.bytes());
            }
            2 if !bytes.is_empty() => {
                let i = at.min(bytes.len() - 1);
                bytes[i] = (rng.next() & 0xff) as u8;
            }
            3 if !bytes.is_empty() => {
                // Duplicate a slice: repeats declarations, keys and brackets.
                let start = at.min(bytes.len() - 1);
                let end = (start + rng.below(200)).min(bytes.len());
                let copy: Vec<u8> = bytes[start..end].to_vec();
                bytes.splice(start..start, copy);
            }
            _ => {}
        }
    }
    // The library takes text; invalid UTF-8 is tested through files elsewhere.
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Rounds of a fuzz test: `VASREC_FUZZ_ITERATIONS`, or 300.
pub fn iterations() -> usize {
    std::env::var("VASREC_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}
