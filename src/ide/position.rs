//! Byte offsets and editor positions.
//!
//! In: a file's text. Out: conversions between the byte offsets the rest of
//! vasrec uses and the (line, column) pairs editors send, where the column
//! counts UTF-16 code units, as the Language Server Protocol says. A Chinese
//! character is three bytes in UTF-8 but one UTF-16 unit, and a character
//! outside the Basic Multilingual Plane is four bytes but two units: getting
//! this wrong puts every squiggle after a Chinese label in the wrong place.

/// A position as an editor counts it: a 0-based line and a 0-based column
/// in UTF-16 code units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct LinePosition {
    /// 0-based line.
    pub line: u32,
    /// 0-based column, in UTF-16 code units.
    pub character: u32,
}

/// Where each line of a text starts, to convert offsets both ways without
/// scanning the whole text every time.
#[derive(Debug, Clone)]
pub struct LineIndex {
    text: String,
    line_starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes a text (a copy is kept, so the index answers on its own).
    pub fn new(text: &str) -> LineIndex {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex {
            text: text.to_string(),
            line_starts,
        }
    }

    /// The editor position of a byte offset. An offset past the end is the
    /// end; one inside a character is that character's start.
    pub fn position(&self, offset: usize) -> LinePosition {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let line = self
            .line_starts
            .partition_point(|&start| start <= offset)
            .saturating_sub(1);
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let character: usize = self
            .text
            .get(start..offset)
            .map_or(0, |prefix| prefix.chars().map(char::len_utf16).sum());
        LinePosition {
            line: to_u32(line),
            character: to_u32(character),
        }
    }

    /// The byte offset of an editor position. A line past the end is the
    /// end of the text; a column past the end of its line is the line's end
    /// (before its line break), and one inside a surrogate pair is the start
    /// of that character: editors may send any of these while typing.
    pub fn offset(&self, position: LinePosition) -> usize {
        let Some(&start) = self.line_starts.get(position.line as usize) else {
            return self.text.len();
        };
        let end = self
            .line_starts
            .get(position.line as usize + 1)
            .map_or(self.text.len(), |next| next - 1);
        let line = self.text.get(start..end).unwrap_or("");
        let line = line.strip_suffix('\r').unwrap_or(line);
        let mut units = 0usize;
        for (i, c) in line.char_indices() {
            if units + c.len_utf16() > position.character as usize {
                return start + i;
            }
            units += c.len_utf16();
        }
        start + line.len()
    }

    /// The text indexed.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// The largest character boundary at or before `offset`.
pub(crate) fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_text_counts_one_unit_per_character() {
        let text = "segment a \"高价值\" {\n  when x\n}";
        let index = LineIndex::new(text);
        let brace = text.find('{').unwrap();
        // `segment a "` is 11 units, 高价值 3, `" ` 2: the brace is at 16.
        assert_eq!(
            index.position(brace),
            LinePosition {
                line: 0,
                character: 16
            }
        );
        assert_eq!(
            index.offset(LinePosition {
                line: 0,
                character: 16
            }),
            brace
        );
        let x = text.find('x').unwrap();
        assert_eq!(
            index.position(x),
            LinePosition {
                line: 1,
                character: 7
            }
        );
        assert_eq!(
            index.offset(LinePosition {
                line: 1,
                character: 7
            }),
            x
        );
    }

    #[test]
    fn characters_outside_the_basic_plane_count_two_units() {
        let text = "a😀b";
        let index = LineIndex::new(text);
        let b = text.find('b').unwrap();
        assert_eq!(index.position(b).character, 3);
        assert_eq!(
            index.offset(LinePosition {
                line: 0,
                character: 3
            }),
            b
        );
        // Inside the surrogate pair: the emoji's start.
        assert_eq!(
            index.offset(LinePosition {
                line: 0,
                character: 2
            }),
            1
        );
    }

    #[test]
    fn positions_past_the_end_are_clamped() {
        let text = "ab\r\ncd";
        let index = LineIndex::new(text);
        assert_eq!(
            index.offset(LinePosition {
                line: 0,
                character: 99
            }),
            2
        );
        assert_eq!(
            index.offset(LinePosition {
                line: 9,
                character: 0
            }),
            text.len()
        );
        assert_eq!(index.position(999), index.position(text.len()));
        // An offset inside a character is that character's start.
        let index = LineIndex::new("高x");
        assert_eq!(index.position(1).character, 0);
    }
}
