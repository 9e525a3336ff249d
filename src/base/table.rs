//! Plain-text tables whose columns line up, also with Chinese text.

use crate::base::render::display_width;

/// A table: a header and rows of cells; numbers are right-aligned.
pub(crate) struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    right: Vec<bool>,
}

impl Table {
    pub(crate) fn new(header: &[&str], right: &[bool]) -> Table {
        Table {
            header: header.iter().map(|h| (*h).to_string()).collect(),
            rows: Vec::new(),
            right: right.to_vec(),
        }
    }

    pub(crate) fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub(crate) fn render(&self) -> String {
        let columns = self.header.len();
        let mut widths = vec![0; columns];
        for row in std::iter::once(&self.header).chain(&self.rows) {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(display_width(cell));
            }
        }
        let mut out = String::new();
        let line = |out: &mut String, row: &[String]| {
            let mut text = String::new();
            for (i, (cell, width)) in row.iter().zip(&widths).enumerate() {
                let pad = " ".repeat(width.saturating_sub(display_width(cell)));
                if i > 0 {
                    text.push_str("  ");
                }
                if self.right.get(i).copied().unwrap_or(false) {
                    text.push_str(&pad);
                    text.push_str(cell);
                } else {
                    text.push_str(cell);
                    text.push_str(&pad);
                }
            }
            out.push_str(text.trim_end());
            out.push('\n');
        };
        line(&mut out, &self.header);
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        line(&mut out, &rule);
        for row in &self.rows {
            line(&mut out, row);
        }
        out
    }
}

/// The width the text is wrapped to: a terminal of 100 columns.
pub(crate) const WIDTH: usize = 100;

/// Writes `text` after `lead`, wrapped at spaces to [`WIDTH`], the
/// following lines indented as far as `lead`.
pub(crate) fn wrapped(out: &mut String, lead: &str, text: &str) {
    let indent = " ".repeat(display_width(lead));
    let mut line = lead.to_string();
    let mut empty = true;
    for word in text.split(' ') {
        if !empty && display_width(&line) + 1 + display_width(word) > WIDTH {
            out.push_str(line.trim_end());
            out.push('\n');
            line.clone_from(&indent);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_with_wide_text() {
        let mut t = Table::new(&["name", "n"], &[false, true]);
        t.row(vec!["优先支持".into(), "5".into()]);
        t.row(vec!["ab".into(), "1,000".into()]);
        assert_eq!(
            t.render(),
            "name          n\n--------  -----\n优先支持      5\nab        1,000\n"
        );
    }
}
