//! Decision tables in the layout: the header as a rule's, `hit`, `for` and
//! `columns` one per line, and one line per row with its cells aligned in
//! columns (each cell padded to the widest cell of its column, and `=>`
//! aligned after the last), then the row's clauses separated by spaces.

use super::{Printer, Sep};
use crate::base::render::display_width;
use crate::lang::syntax::Rule;
use pest::iterators::Pair;

impl Printer<'_> {
    pub(in crate::lang::layout) fn table(&mut self, decl: Pair<'_, Rule>) {
        let close = decl.as_span().end().saturating_sub(1);
        self.cont = 4;
        let mut parts = decl.into_inner().peekable();
        // `table NAME`, then what stands before `{`: a target, a label.
        for part in parts.by_ref().take(2) {
            if part.as_rule() == Rule::name {
                self.space();
            }
            self.pair(&part);
        }
        while self.peek() != Some('{') {
            let Some(part) = parts.next() else { break };
            self.space();
            if part.as_rule() == Rule::target {
                self.clause(part, 0);
                self.cont = 4;
            } else {
                self.pair(&part);
            }
        }
        self.space();
        self.open_brace();
        let body: Vec<Pair<'_, Rule>> = parts.collect();
        let rows: Vec<&Pair<'_, Rule>> = body
            .iter()
            .filter(|p| p.as_rule() == Rule::table_row)
            .collect();
        let widths = self.cell_widths(&rows);
        for (i, part) in body.iter().enumerate() {
            self.line(2, i > 0);
            match part.as_rule() {
                Rule::columns => {
                    self.cont = 6;
                    for (j, word) in part.clone().into_inner().enumerate() {
                        if j > 1 {
                            self.punct(',');
                        }
                        if j > 0 {
                            self.space();
                        }
                        self.pair(&word);
                    }
                }
                Rule::table_row => self.row(part.clone(), &widths),
                _ => self.clause(part.clone(), 2),
            }
        }
        self.close(close);
    }

    /// The widest laid-out cell of each column, over the table's rows.
    fn cell_widths(&self, rows: &[&Pair<'_, Rule>]) -> Vec<usize> {
        let mut widths: Vec<usize> = Vec::new();
        for row in rows {
            for (k, cell) in cells(row).into_iter().enumerate() {
                let width = self.cell_width(cell);
                match widths.get_mut(k) {
                    Some(w) => *w = (*w).max(width),
                    None => widths.push(width),
                }
            }
        }
        widths
    }

    fn cell_width(&self, cell: Pair<'_, Rule>) -> usize {
        let mut s = self.scratch();
        s.cursor = cell.as_span().start();
        s.cell(cell);
        display_width(&s.out)
    }

    fn row(&mut self, row: Pair<'_, Rule>, widths: &[usize]) {
        self.cont = 6;
        let mut parts = row.clone().into_inner();
        if let Some(keyword) = parts.next() {
            self.pair(&keyword);
        }
        let cells = cells(&row);
        let count = cells.len();
        for (k, cell) in cells.into_iter().enumerate() {
            let width = self.cell_width(cell.clone());
            self.space();
            self.cell(cell);
            if k + 1 < count {
                self.punct(',');
            }
            let pad = widths
                .get(k)
                .copied()
                .unwrap_or(width)
                .saturating_sub(width);
            if pad > 0 && self.pending == Sep::Nothing {
                self.out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        self.space();
        self.punct('=');
        self.punct('>');
        for clause in parts.filter(|p| p.as_rule() != Rule::cells) {
            self.space();
            self.clause(clause, 2);
            self.cont = 6;
        }
    }

    /// One cell: `-`, a value, `< 12`, `in [a, b]`, `not in [a]`, `12..24`.
    fn cell(&mut self, cell: Pair<'_, Rule>) {
        let Some(inner) = cell.into_inner().next() else {
            return;
        };
        match inner.as_rule() {
            Rule::cell_any => self.pair(&inner),
            Rule::cell_range => {
                let mut ends = inner.into_inner();
                if let Some(low) = ends.next() {
                    self.pair(&low);
                }
                self.punct('.');
                self.punct('.');
                if let Some(high) = ends.next() {
                    self.pair(&high);
                }
            }
            _ => {
                for (i, part) in inner.into_inner().enumerate() {
                    if i > 0 {
                        self.space();
                    }
                    if part.as_rule() == Rule::cell_list {
                        self.punct('[');
                        let mut any = false;
                        for (j, value) in part.into_inner().enumerate() {
                            if j > 0 {
                                self.punct(',');
                                self.space();
                            }
                            self.pair(&value);
                            any = true;
                        }
                        if any {
                            self.skip(',');
                        }
                        self.punct(']');
                    } else {
                        self.pair(&part);
                    }
                }
            }
        }
    }
}

fn cells<'i>(row: &Pair<'i, Rule>) -> Vec<Pair<'i, Rule>> {
    row.clone()
        .into_inner()
        .filter(|p| p.as_rule() == Rule::cells)
        .flat_map(|c| c.into_inner().filter(|p| p.as_rule() == Rule::cell))
        .collect()
}
