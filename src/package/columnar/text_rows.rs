//! A Parquet or Arrow file read row by row as the texts a CSV export of it
//! would hold, for readers that find their columns by name after opening
//! (a survey: its outcome may be any column, not only the schema's). Each
//! chunk's cells are turned into text once; errors name the row group (or
//! record batch) and row, as the customer reader's do.

use super::cells::{Cells, cell_text};
use super::{ColumnChunk, ColumnarReader, Wanted};
use crate::package::file_format::{CHUNK_ROWS, Columnar, DataError, InputFormat, Place};

pub(crate) struct TextRows {
    name: String,
    reader: ColumnarReader,
    header: Vec<String>,
    /// The chunk being read, and its cells as text, column by column.
    chunk: Option<ColumnChunk>,
    texts: Vec<Vec<String>>,
    /// Which columns are turned into text (the others are never asked for).
    used: Vec<bool>,
    /// The current row in the chunk.
    row: usize,
    rows: usize,
}

impl TextRows {
    /// Opens the file; every column is read (a survey is narrow).
    pub(crate) fn open(
        name: &str,
        input: Columnar,
        format: InputFormat,
    ) -> Result<TextRows, DataError> {
        let (reader, _, _) = ColumnarReader::open_wanted(Wanted::All, name, input, format)?;
        let header: Vec<String> = reader
            .schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        Ok(TextRows {
            name: name.to_string(),
            reader,
            texts: vec![Vec::new(); header.len()],
            used: vec![false; header.len()],
            header,
            chunk: None,
            row: 0,
            rows: 0,
        })
    }

    /// The column names, in the file's order.
    pub(crate) fn header(&self) -> &[String] {
        &self.header
    }

    /// Marks column `index` as read, refusing one whose type has no text
    /// value (a list, a struct, a binary, a date): it would read as "not
    /// given" on every row.
    pub(crate) fn use_column(&mut self, index: usize) -> Result<(), DataError> {
        let field = self.reader.schema.fields().get(index).cloned();
        if let Some(field) = field {
            let empty = arrow_array::new_empty_array(field.data_type());
            if !Cells::readable(&empty) {
                return Err(DataError {
                    file: self.name.clone(),
                    line: 0,
                    column: Some(index + 1),
                    message: format!(
                        "column `{}` holds {}, which has no value to read: export it as numbers or text",
                        field.name(),
                        field.data_type()
                    ),
                    place: Place::File,
                });
            }
        }
        if let Some(used) = self.used.get_mut(index) {
            *used = true;
        }
        Ok(())
    }

    /// Moves to the next row: its 1-based number in the file, or `None` at
    /// the end.
    pub(crate) fn next_row(&mut self) -> Result<Option<u64>, DataError> {
        if self.chunk.is_some() && self.row + 1 < self.rows {
            self.row += 1;
        } else {
            let chunk = self.reader.read_chunk(CHUNK_ROWS)?;
            if chunk.len() == 0 {
                self.chunk = None;
                return match self.reader.take_failed() {
                    Some(error) => Err(error),
                    None => Ok(None),
                };
            }
            self.load(chunk);
        }
        Ok(self
            .chunk
            .as_ref()
            .map(|c| c.first_row + self.row as u64 + 1))
    }

    fn load(&mut self, chunk: ColumnChunk) {
        let mut buffer = String::new();
        for ((texts, array), &used) in self
            .texts
            .iter_mut()
            .zip(chunk.batch.columns())
            .zip(&self.used)
        {
            texts.clear();
            if !used {
                continue;
            }
            let cells = Cells::new(array);
            texts.extend((0..chunk.len()).map(|i| {
                if cells.is_null(i) {
                    String::new()
                } else {
                    cell_text(cells.get(i), &mut buffer).to_string()
                }
            }));
        }
        self.rows = chunk.len();
        self.row = 0;
        self.chunk = Some(chunk);
    }

    /// The current row's text in column `index` (empty when null, or when
    /// the column was not marked used).
    pub(crate) fn cell(&self, index: usize) -> &str {
        self.texts
            .get(index)
            .and_then(|t| t.get(self.row))
            .map_or("", String::as_str)
    }

    /// An error about the current row, in column `index` when given.
    pub(crate) fn error(&self, column: Option<usize>, message: String) -> DataError {
        let (line, place) = match &self.chunk {
            Some(chunk) => (chunk.first_row + self.row as u64 + 1, chunk.place(self.row)),
            None => (0, Place::File),
        };
        DataError {
            file: self.name.clone(),
            line,
            column: column.map(|c| c + 1),
            message,
            place,
        }
    }
}
