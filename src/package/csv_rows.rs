//! CSV records: framed from the stream on the reading thread, parsed on
//! the working threads.
//!
//! Parsing a record (the `csv` crate's state machine, copying its fields)
//! costs far more than finding where it ends, and the reader is shared by
//! the threads under a lock. So the reading thread only frames: it hands out
//! blocks of whole records, found with a byte search where a record has no
//! quote (`csv_core` settles the ones that do, exactly as the parser will),
//! and each working thread parses its block with [`CsvRows`], outside the lock.

use std::io::{self, Read};

/// Bytes the CSV reader asks for at a time (its buffer).
pub(crate) const CSV_CHUNK: usize = 1 << 16;

/// A CSV reader over a block of whole records in memory, that finds the
/// line each record starts on (for LF and CRLF files alike: the line feeds
/// it skips before a record, a CRLF's `\n` or empty lines, are counted).
pub(crate) struct CsvRows<'a> {
    bytes: &'a [u8],
    /// None for a block without a quote, read by [`CsvRows::read_plain`].
    reader: Option<csv::Reader<io::Cursor<&'a [u8]>>>,
    /// The record the `csv` crate reads into.
    parsed: csv::ByteRecord,
    max_row_bytes: usize,
    /// Where the plain reading goes on, and the line of `counted`.
    at: usize,
    counted: usize,
    line: u64,
}

/// One CSV record's fields: the bytes they are in and where each is. A
/// record without a quote keeps its bytes as in the file, commas and all,
/// so reading it is one copy and a search for commas; a quoted one holds
/// its fields unquoted, end to end, as the `csv` crate gives them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Fields {
    bytes: Vec<u8>,
    /// Per field, its start and end in `bytes`.
    ranges: Vec<(usize, usize)>,
}

impl Fields {
    pub(crate) fn len(&self) -> usize {
        self.ranges.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The bytes the fields are in (with whatever is between them).
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Where field `index` is in [`Fields::as_bytes`].
    pub(crate) fn range(&self, index: usize) -> Option<std::ops::Range<usize>> {
        self.ranges.get(index).map(|&(start, end)| start..end)
    }

    pub(crate) fn get(&self, index: usize) -> Option<&[u8]> {
        self.bytes.get(self.range(index)?)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.ranges
            .iter()
            .map(|&(start, end)| &self.bytes[start..end])
    }

    /// The bytes of the fields alone: what the row limit counts.
    fn field_bytes(&self) -> usize {
        self.ranges.iter().map(|&(start, end)| end - start).sum()
    }

    /// The record as the `csv` crate holds it, to write it back out.
    pub(crate) fn to_byte_record(&self) -> csv::ByteRecord {
        self.iter().collect()
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.ranges.clear();
    }

    /// Takes a record the `csv` crate read.
    fn set_from(&mut self, record: &csv::ByteRecord) {
        self.bytes.clear();
        self.bytes.extend_from_slice(record.as_slice());
        self.ranges.clear();
        self.ranges
            .extend((0..record.len()).filter_map(|i| record.range(i).map(|r| (r.start, r.end))));
    }

    /// Takes a record without a quote as it is in the file.
    fn set_plain(&mut self, record: &[u8]) {
        self.bytes.clear();
        self.bytes.extend_from_slice(record);
        self.ranges.clear();
        let mut start = 0;
        // Fields are a few bytes long: a byte loop beats a search call per
        // field.
        for (at, &b) in record.iter().enumerate() {
            if b == b',' {
                self.ranges.push((start, at));
                start = at + 1;
            }
        }
        self.ranges.push((start, record.len()));
    }
}

impl PartialEq for Fields {
    /// The same fields, however they are held.
    fn eq(&self, other: &Fields) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

/// The `csv` crate's reader as every block is read: records of any length,
/// no header (the framer has taken it).
fn csv_reader(bytes: &[u8], buffer: usize) -> csv::Reader<io::Cursor<&[u8]>> {
    csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .buffer_capacity(buffer)
        .from_reader(io::Cursor::new(bytes))
}

/// What went wrong reading a CSV record.
pub(crate) enum CsvReadError {
    /// Longer than the limit; the line it starts on.
    TooLong(u64),
    /// Anything else, from the CSV reader.
    Csv(csv::Error),
}

impl<'a> CsvRows<'a> {
    pub(crate) fn new(bytes: &'a [u8], max_row_bytes: usize) -> CsvRows<'a> {
        // Room for the block (blocks are small at the end and in tests).
        CsvRows::with_buffer(bytes, max_row_bytes, bytes.len().clamp(64, CSV_CHUNK))
    }

    /// With a buffer of `buffer` bytes: small for [`CsvRows::read_at`],
    /// which fills it again at each record.
    pub(crate) fn with_buffer(bytes: &'a [u8], max_row_bytes: usize, buffer: usize) -> CsvRows<'a> {
        let plain = memchr::memchr(b'"', bytes).is_none();
        let reader = (!plain).then(|| csv_reader(bytes, buffer));
        CsvRows {
            bytes,
            reader,
            parsed: csv::ByteRecord::new(),
            max_row_bytes,
            at: 0,
            counted: 0,
            line: 1,
        }
    }

    /// Reads the next record into `record`; returns the line it starts on
    /// (the block's first line is 1), or None at the end of the block.
    pub(crate) fn read(&mut self, record: &mut Fields) -> Result<Option<u64>, CsvReadError> {
        let Some(reader) = &mut self.reader else {
            return self.read_plain(record);
        };
        let start = reader.position();
        let rest = usize::try_from(start.byte())
            .ok()
            .and_then(|at| self.bytes.get(at..))
            .unwrap_or_default();
        let skipped = rest
            .iter()
            .position(|&b| b != b'\r' && b != b'\n')
            .unwrap_or(rest.len());
        let line = start.line() + memchr::memchr_iter(b'\n', &rest[..skipped]).count() as u64;
        match reader.read_byte_record(&mut self.parsed) {
            Ok(false) => {
                record.set_from(&self.parsed);
                Ok(None)
            }
            Ok(true) if self.parsed.as_slice().len() > self.max_row_bytes => {
                Err(CsvReadError::TooLong(line))
            }
            Ok(true) => {
                record.set_from(&self.parsed);
                Ok(Some(line))
            }
            Err(e) => Err(CsvReadError::Csv(e)),
        }
    }

    /// [`CsvRows::read`] for a block without a quote, where the `csv`
    /// crate's state machine (about 19 instructions a byte, the largest
    /// cost of reading a row) has nothing to settle: a record is the bytes
    /// up to the next line end, empty lines are skipped, and its fields are
    /// split at each comma, as that machine reads them (the tests compare
    /// the two on random texts).
    fn read_plain(&mut self, record: &mut Fields) -> Result<Option<u64>, CsvReadError> {
        let bytes = self.bytes;
        let rest = bytes.get(self.at..).unwrap_or_default();
        let Some(skipped) = rest.iter().position(|&b| b != b'\r' && b != b'\n') else {
            self.at = bytes.len();
            record.clear();
            return Ok(None);
        };
        let start = self.at + skipped;
        // A line end or two: counted in place, a search costs more.
        let before = &bytes[self.counted..start];
        self.line += before.iter().filter(|&&b| b == b'\n').count() as u64;
        self.counted = start;
        let end = memchr::memchr2(b'\r', b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        // The record has no line feed: counting goes on after it.
        self.at = end;
        self.counted = end;
        record.set_plain(&bytes[start..end]);
        if record.field_bytes() > self.max_row_bytes {
            return Err(CsvReadError::TooLong(self.line));
        }
        Ok(Some(self.line))
    }

    /// Reads the record whose first byte is at `start` (found by
    /// [`RecordEnds::records`]) into `record`, skipping the ones before it.
    /// Its `line` is only for the error.
    pub(crate) fn read_at(
        &mut self,
        start: usize,
        line: u64,
        record: &mut Fields,
    ) -> Result<(), CsvReadError> {
        let Some(reader) = &mut self.reader else {
            // The plain reading from the record's first byte.
            self.at = start;
            self.counted = start;
            self.line = line;
            return self.read_plain(record).map(|_| ());
        };
        let mut at = csv::Position::new();
        at.set_byte(start as u64).set_line(line);
        reader.seek(at).map_err(CsvReadError::Csv)?;
        match reader.read_byte_record(&mut self.parsed) {
            Ok(true) if self.parsed.as_slice().len() > self.max_row_bytes => {
                Err(CsvReadError::TooLong(line))
            }
            Ok(_) => {
                record.set_from(&self.parsed);
                Ok(())
            }
            Err(e) => Err(CsvReadError::Csv(e)),
        }
    }
}

/// Why framing stopped before the records asked for.
#[derive(Debug)]
pub(crate) enum FrameError {
    /// A record (starting on this line) runs past `max_row_bytes` and one
    /// buffer more without ending.
    TooLong(u64),
    /// The input could not be read, at the record starting on this line.
    Io(io::Error, u64),
}

/// Whole records framed by [`CsvFramer::frame`]: how many, and the line
/// their block's first byte is on (a block starts where the record before
/// it ends, so it may start with that record's line end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Framed {
    pub records: usize,
    pub first_line: u64,
}

/// Where the record from a place in the buffer is.
enum Step {
    /// The record's first byte (past the line ends before it), and where it
    /// ends (at its line end, or past it).
    Record { start: usize, end: usize },
    /// Nothing but line ends before the end of the input.
    NoMore,
    /// The buffer ends inside the record (or before it starts).
    NeedMore,
}

/// Finds where records end, in bytes that start between two records.
///
/// A record has the `csv` crate's defaults: it ends at `\r` or `\n` outside
/// quotes, line ends between records make no record, and a quote opens a
/// quoted value only at a value's start. Where no quote comes before the
/// line end, the line end ends the record; else `csv_core` reads the record
/// to find its end, so the records found are exactly the ones the parser finds.
pub(crate) struct RecordEnds {
    /// Reads a record with a quote in it.
    quoted: csv_core::Reader,
    /// Where `quoted` writes the fields nobody reads.
    scratch: Vec<u8>,
    scratch_ends: Vec<usize>,
}

impl RecordEnds {
    pub(crate) fn new() -> RecordEnds {
        RecordEnds {
            quoted: csv_core::Reader::new(),
            scratch: vec![0; 4096],
            scratch_ends: vec![0; 64],
        }
    }

    /// The record at or after `from` in `bytes`; `ended` says whether the
    /// input ends with `bytes` (else a record may go on past them).
    fn find(&mut self, bytes: &[u8], from: usize, ended: bool) -> Step {
        let rest = &bytes[from..];
        let Some(skip) = rest.iter().position(|&b| b != b'\r' && b != b'\n') else {
            return if ended { Step::NoMore } else { Step::NeedMore };
        };
        let start = from + skip;
        match memchr::memchr3(b'\r', b'\n', b'"', &bytes[start..]) {
            Some(at) if bytes[start + at] != b'"' => Step::Record {
                start,
                end: start + at,
            },
            Some(_) => match quoted_end_by_parity(bytes, start, ended) {
                Some(step) => step,
                None => self.quoted_end(bytes, start, ended),
            },
            None if ended => Step::Record {
                start,
                end: bytes.len(),
            },
            None => Step::NeedMore,
        }
    }

    /// The record starting at `start`, which has a quote before its first
    /// line end and a quote inside an unquoted value: read by `csv_core` as
    /// the parser will.
    fn quoted_end(&mut self, bytes: &[u8], start: usize, ended: bool) -> Step {
        use csv_core::ReadRecordResult;
        self.quoted.reset();
        let mut at = start;
        loop {
            let input = &bytes[at..];
            if input.is_empty() && !ended {
                return Step::NeedMore;
            }
            let (result, read, _, _) =
                self.quoted
                    .read_record(input, &mut self.scratch, &mut self.scratch_ends);
            at += read;
            match result {
                ReadRecordResult::Record => return Step::Record { start, end: at },
                ReadRecordResult::End => return Step::NoMore,
                ReadRecordResult::InputEmpty
                | ReadRecordResult::OutputFull
                | ReadRecordResult::OutputEndsFull => {}
            }
        }
    }

    /// The place of each of a block's records (the block ends where its
    /// last record does), in order: its first byte and its end.
    pub(crate) fn records<'a>(
        &'a mut self,
        block: &'a [u8],
    ) -> impl Iterator<Item = (usize, usize)> + 'a {
        let mut from = 0;
        std::iter::from_fn(move || match self.find(block, from, true) {
            Step::Record { start, end } => {
                from = end;
                Some((start, end))
            }
            Step::NoMore | Step::NeedMore => None,
        })
    }
}

/// The end of the record starting at `start`, which has a quote before its
/// first line end, found by counting quotes: a line end after an even number
/// of them ends the record. That holds while every quote that would open a
/// quoted value (after an even number) is at a value's start or right after
/// another quote (`"a""b"`, `"a"""`); None at the first that is not
/// (`ab"c`), which the parser reads as a plain character.
fn quoted_end_by_parity(bytes: &[u8], start: usize, ended: bool) -> Option<Step> {
    // Byte by byte: quotes come every few bytes here, too often for a
    // search to pay.
    let mut inside = false;
    let mut previous = b',';
    for (at, &byte) in bytes.iter().enumerate().skip(start) {
        match byte {
            b'"' => {
                if !inside && previous != b',' && previous != b'"' {
                    return None;
                }
                inside = !inside;
            }
            b'\r' | b'\n' if !inside => return Some(Step::Record { start, end: at }),
            _ => {}
        }
        previous = byte;
    }
    Some(if ended {
        Step::Record {
            start,
            end: bytes.len(),
        }
    } else {
        Step::NeedMore
    })
}

/// Cuts a CSV stream into blocks of whole records ([`RecordEnds`]), reading
/// at most one buffer past the longest record accepted.
pub(crate) struct CsvFramer<R> {
    inner: R,
    /// Bytes read, up to `filled`; the rest is room for the next read
    /// (kept, so that it is not zeroed again for each read).
    buffer: Vec<u8>,
    filled: usize,
    /// Start of the bytes not handed out yet (always between records).
    head: usize,
    /// Line of `buffer[head]`.
    head_line: u64,
    eof: bool,
    /// A read error that came after some bytes, for the next read.
    failed: Option<io::Error>,
    ends: RecordEnds,
    max_row_bytes: usize,
    /// Bytes read from `inner` so far.
    read: u64,
}

impl<R: Read> CsvFramer<R> {
    pub(crate) fn new(inner: R, max_row_bytes: usize) -> CsvFramer<R> {
        CsvFramer {
            inner,
            buffer: Vec::new(),
            filled: 0,
            head: 0,
            head_line: 1,
            eof: false,
            failed: None,
            ends: RecordEnds::new(),
            max_row_bytes,
            read: 0,
        }
    }

    /// Moves up to `want` whole records into `out` (emptied first): fewer
    /// only at the end of the input or on an error, which comes after the
    /// records framed before it.
    pub(crate) fn frame(
        &mut self,
        want: usize,
        out: &mut Vec<u8>,
    ) -> (Framed, Result<(), FrameError>) {
        out.clear();
        let mut records = 0;
        let mut end = self.head;
        let mut result = Ok(());
        while records < want {
            match self.ends.find(&self.buffer[..self.filled], end, self.eof) {
                Step::Record { end: at, .. } => {
                    records += 1;
                    end = at;
                }
                Step::NoMore => break,
                Step::NeedMore => {
                    if self.filled - end > self.max_row_bytes + CSV_CHUNK {
                        result = Err(FrameError::TooLong(self.line_of_record(end)));
                        break;
                    }
                    end -= self.compact();
                    // Room for as much again as the record has so far, never
                    // past the byte that makes it too long. A record past one
                    // buffer waits for all of it, so that it is looked at
                    // again a few times, not once per read; a shorter one
                    // takes what one read gives, so that a stream that stops
                    // for a while (a header sent first) is not held up.
                    let pending = self.filled - end;
                    let too_long = end + self.max_row_bytes + CSV_CHUNK + 1;
                    let target = (self.filled + pending.max(CSV_CHUNK)).min(too_long);
                    match self.fill(target, pending >= CSV_CHUNK) {
                        Ok(()) => {}
                        Err(e) => {
                            result = Err(FrameError::Io(e, self.line_of_record(end)));
                            break;
                        }
                    }
                }
            }
        }
        let block = &self.buffer[self.head..end];
        out.extend_from_slice(block);
        let framed = Framed {
            records,
            first_line: self.head_line,
        };
        self.head_line += memchr::memchr_iter(b'\n', block).count() as u64;
        self.head = end;
        if result.is_err() {
            // Nothing is read after an error.
            self.eof = true;
            self.filled = self.head;
        }
        (framed, result)
    }

    /// The line of the first byte of the record that starts at or after
    /// `from` (for errors).
    fn line_of_record(&self, from: usize) -> u64 {
        let rest = &self.buffer[from..self.filled];
        let start = from
            + rest
                .iter()
                .position(|&b| b != b'\r' && b != b'\n')
                .unwrap_or(rest.len());
        let before = &self.buffer[self.head..start];
        self.head_line + memchr::memchr_iter(b'\n', before).count() as u64
    }

    /// Drops the bytes handed out once they are half the buffer; returns by
    /// how much the rest moved down.
    fn compact(&mut self) -> usize {
        if self.head > 0 && self.head >= self.filled / 2 {
            self.buffer.copy_within(self.head..self.filled, 0);
            self.filled -= self.head;
            std::mem::replace(&mut self.head, 0)
        } else {
            0
        }
    }

    /// Reads up to `target` bytes into the buffer: once (at least one byte,
    /// or the end), or with `whole` until there are `target` or the input
    /// ends. An error after some bytes is kept for the next call, so that
    /// the records read before it are framed first.
    fn fill(&mut self, target: usize, whole: bool) -> io::Result<()> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        if self.buffer.len() < target {
            self.buffer.resize(target, 0);
        }
        let before = self.filled;
        while self.filled < target && !self.eof {
            let room = &mut self.buffer[self.filled..target];
            let n = match self.inner.read(room) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if self.filled > before => {
                    self.failed = Some(e);
                    return Ok(());
                }
                Err(e) => return Err(e),
            };
            self.filled += n;
            self.read += n as u64;
            self.eof = n == 0;
            if !whole {
                break;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::{CSV_CHUNK, CsvFramer, CsvReadError, CsvRows, Fields, FrameError};
    use crate::base::test_rng::Rng;
    use std::io::Read;

    /// Hands out at most `step` bytes a read.
    pub(crate) struct Trickle(pub(crate) std::io::Cursor<Vec<u8>>, pub(crate) usize);

    impl std::io::Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.1);
            self.0.read(&mut buf[..n])
        }
    }

    /// Every record's line is the line its first byte is on, for LF, CRLF
    /// and mixed line ends, empty lines, line ends in quoted values (one
    /// left open to the end) and a last line without an end, however the
    /// bytes arrive and however many records a block holds.
    #[test]
    fn csv_lines_are_where_records_start() {
        let files: [(&str, &[u64]); 8] = [
            ("h,i\na,b\nc,d\n", &[1, 2, 3]),
            ("h,i\r\na,b\r\nc,d\r\n", &[1, 2, 3]),
            ("h,i\r\na,b\nc,d\r\ne,f", &[1, 2, 3, 4]),
            ("\r\nh,i\r\n\r\n\r\na,b\r\n\nc,d", &[2, 5, 7]),
            ("h,i\n\"a\nx\",b\nc,\"d\r\ny\r\nz\"\ne,f\n", &[1, 2, 4, 7]),
            ("h,i\r\n\"a\r\nx\",b\r\nc,d\r\n", &[1, 2, 4]),
            ("h\r\n\"\"\r\n\"\"\r\nx\r\n", &[1, 2, 3, 4]),
            ("h\n\n\"open\r\nto\nthe end\n", &[1, 3]),
        ];
        for (text, expected) in files {
            for step in [1, 2, 3, 5, 1 << 16] {
                for per_block in [1, 2, 2048] {
                    let (rows, error) = read_framed(text.as_bytes(), step, 1 << 20, per_block);
                    let lines: Vec<u64> = rows.iter().map(|(_, line)| *line).collect();
                    assert_eq!(
                        (lines, error),
                        (expected.to_vec(), None),
                        "{text:?} read {step} bytes at a time, {per_block} records a block"
                    );
                }
            }
        }
    }

    /// Records (their fields) and lines, and the error that ended the
    /// reading if any (its line, and whether it is "too long").
    type Outcome = (Vec<(Vec<Vec<u8>>, u64)>, Option<(u64, bool)>);

    /// Records and their lines as one reader over the whole text finds
    /// them, or the error (as a line and whether it is "too long").
    fn read_whole(text: &[u8], max: usize) -> Outcome {
        let mut rows = CsvRows::new(text, max);
        let mut record = Fields::default();
        let mut out = Vec::new();
        loop {
            match rows.read(&mut record) {
                Ok(Some(line)) => out.push((record.iter().map(<[u8]>::to_vec).collect(), line)),
                Ok(None) => return (out, None),
                Err(CsvReadError::TooLong(line)) => return (out, Some((line, true))),
                Err(CsvReadError::Csv(e)) => {
                    return (out, Some((e.position().map_or(0, |p| p.line()), false)));
                }
            }
        }
    }

    /// The same, framed `per_block` records at a time and each block parsed
    /// on its own, as the working threads do.
    fn read_framed(text: &[u8], step: usize, max: usize, per_block: usize) -> Outcome {
        let mut framer = CsvFramer::new(Trickle(std::io::Cursor::new(text.to_vec()), step), max);
        let mut bytes = Vec::new();
        let mut record = Fields::default();
        let mut out = Vec::new();
        loop {
            let (framed, result) = framer.frame(per_block, &mut bytes);
            let mut rows = CsvRows::new(&bytes[..], max);
            let mut parsed = 0;
            loop {
                match rows.read(&mut record) {
                    Ok(Some(line)) => {
                        parsed += 1;
                        let line = framed.first_line - 1 + line;
                        out.push((record.iter().map(<[u8]>::to_vec).collect(), line));
                    }
                    Ok(None) => break,
                    Err(CsvReadError::TooLong(line)) => {
                        return (out, Some((framed.first_line - 1 + line, true)));
                    }
                    Err(CsvReadError::Csv(e)) => panic!("a block cannot fail to parse: {e}"),
                }
            }
            assert_eq!(
                parsed, framed.records,
                "the block of {text:?} holds what was framed"
            );
            match result {
                Ok(()) if framed.records < per_block => return (out, None),
                Ok(()) => {}
                Err(FrameError::TooLong(line)) => return (out, Some((line, true))),
                Err(FrameError::Io(e, _)) => panic!("{e}"),
            }
        }
    }

    /// A random CSV text from the pieces that make records hard to frame:
    /// quoted values with line ends and doubled quotes in them, quotes
    /// inside unquoted values, `\r`, `\n` and `\r\n` line ends, empty lines,
    /// a last record with or without an end.
    pub(crate) fn random_csv(rng: &mut Rng) -> Vec<u8> {
        const PIECES: [&[u8]; 16] = [
            b"a",
            b"bc",
            b",",
            b",",
            b"\n",
            b"\r\n",
            b"\r",
            b"\n\n",
            b"\"",
            b"\"x\ny\"",
            b"\"\"",
            b"\"p,\r\nq\"\"r\"",
            b"x\"y",
            b"  ",
            b"\xc3\xa9",
            b"12.5",
        ];
        let mut text = Vec::new();
        for _ in 0..rng.below(120) {
            text.extend_from_slice(rng.pick(&PIECES));
        }
        text
    }

    /// A block without a quote is read without the `csv` crate's state
    /// machine: over random quote-free texts (line ends of every kind,
    /// empty lines, empty fields, no line end at the end, a tiny limit),
    /// every record, line, error and the end are those of the machine, and
    /// so are the records read one by one from their first byte.
    #[test]
    fn plain_blocks_read_as_the_csv_reader_reads_them() {
        let mut rng = Rng(20_261_205);
        let fixed: [&[u8]; 5] = [
            b"h,i\r\na,b\nc,d\r\ne,f",
            b"\r\n\r\r\nh,,i,\r\n\n\n,\r",
            b",",
            b"",
            b"\n\r\n",
        ];
        let mut texts: Vec<Vec<u8>> = fixed.iter().map(|t| t.to_vec()).collect();
        for _ in 0..400 {
            let mut text = random_csv(&mut rng);
            text.retain(|&b| b != b'"');
            texts.push(text);
        }
        for text in &texts {
            for max in [usize::MAX, 3] {
                let mut plain = CsvRows::new(text, max);
                let mut machine = CsvRows::new(text, max);
                assert!(plain.reader.is_none());
                machine.reader = Some(super::csv_reader(text, CSV_CHUNK));
                let (mut a, mut b) = (Fields::default(), Fields::default());
                let mut starts = Vec::new();
                loop {
                    let (x, y) = (plain.read(&mut a), machine.read(&mut b));
                    let shown = |r: &Result<Option<u64>, CsvReadError>| match r {
                        Ok(line) => format!("{line:?}"),
                        Err(CsvReadError::TooLong(line)) => format!("too long at {line}"),
                        Err(CsvReadError::Csv(e)) => format!("{e}"),
                    };
                    assert_eq!(shown(&x), shown(&y), "{:?}", String::from_utf8_lossy(text));
                    match x {
                        Ok(Some(line)) => {
                            assert_eq!(a, b, "{:?}", String::from_utf8_lossy(text));
                            // A plain record is kept as it is in the file.
                            let start = plain.at - a.as_bytes().len();
                            starts.push((start, line, a.clone()));
                        }
                        _ => break,
                    }
                }
                for (start, line, expected) in starts {
                    let mut alone = CsvRows::with_buffer(text, usize::MAX, 64);
                    let mut record = Fields::default();
                    assert!(alone.read_at(start, line, &mut record).is_ok());
                    assert_eq!(record, expected);
                }
            }
        }
    }

    /// Framing never moves a record or its line: over random texts, read
    /// in pieces of any size, framed a few records at a time, every record,
    /// every line and the first error are those of one reader over the
    /// whole stream.
    #[test]
    fn framed_blocks_read_as_the_whole_stream() {
        let mut rng = Rng(20_261_204);
        let fixed: [&[u8]; 6] = [
            b"h,i\r\na,b\nc,d\r\ne,f",
            b"\r\nh,i\r\n\r\n\r\na,b\r\n\nc,d",
            b"h,i\n\"a\nx\",b\nc,\"d\r\ny\r\nz\"\ne,f\n",
            b"h\r\n\"\"\r\n\"\"\r\nx\r\n",
            b"\"open,\nnever closed\n",
            b"",
        ];
        let mut texts: Vec<Vec<u8>> = fixed.iter().map(|t| t.to_vec()).collect();
        texts.extend((0..250).map(|_| random_csv(&mut rng)));
        for text in &texts {
            for step in [1, 7, 1 << 16] {
                let whole = read_whole(text, 1 << 20);
                for per_block in [1, 3, 2048] {
                    let framed = read_framed(text, step, 1 << 20, per_block);
                    assert_eq!(
                        framed,
                        whole,
                        "{:?} read {step} bytes at a time, {per_block} records a block",
                        String::from_utf8_lossy(text)
                    );
                }
            }
        }
    }

    /// Records longer than the limit are refused at the same line either
    /// way, whether the parser finds them too long (under the limit and one
    /// buffer) or the framer finds no end.
    #[test]
    fn framed_blocks_refuse_long_records_where_the_stream_does() {
        let mut texts: Vec<Vec<u8>> = Vec::new();
        for long in [150, 5_000, 200_000] {
            for quoted in [false, true] {
                let mut text = b"h\nshort\n\n".to_vec();
                if quoted {
                    text.push(b'"');
                }
                text.extend(std::iter::repeat_n(b'x', long));
                text.extend_from_slice(b"\nlast\n");
                texts.push(text);
            }
        }
        for text in &texts {
            for per_block in [1, 3, 2048] {
                let whole = read_whole(text, 100);
                assert_eq!(whole.1, Some((4, true)), "the stream refuses line 4");
                assert_eq!(read_framed(text, 1 << 16, 100, per_block), whole);
            }
        }
    }

    /// Framing a record without end reads at most the limit and two
    /// buffers (one to find it is too long, one it had).
    #[test]
    fn framing_is_bounded() {
        let mut text = b"h\nshort\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', 10_000_000));
        let mut framer = CsvFramer::new(std::io::Cursor::new(text), 1000);
        let mut bytes = Vec::new();
        let (framed, result) = framer.frame(10, &mut bytes);
        assert_eq!(framed.records, 2);
        assert_eq!(bytes, b"h\nshort");
        assert!(matches!(result, Err(FrameError::TooLong(3))), "{result:?}");
        assert!(
            framer.read <= (1000 + 2 * CSV_CHUNK) as u64,
            "read {}",
            framer.read
        );
        let (framed, result) = framer.frame(10, &mut bytes);
        assert_eq!(
            (framed.records, bytes.len()),
            (0, 0),
            "nothing after the error"
        );
        assert!(result.is_ok());
    }

    /// A long record is read in ever larger pieces: framing it looks at
    /// its bytes a few times, not once per buffer read (which, for a
    /// quoted record near a raised `max_row_bytes`, would take minutes).
    #[test]
    fn a_long_record_is_looked_at_a_few_times() {
        struct Counting(std::io::Cursor<Vec<u8>>, usize);
        impl Read for Counting {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                self.1 += 1;
                self.0.read(buf)
            }
        }
        for quoted in [false, true] {
            let mut text = b"h\n".to_vec();
            if quoted {
                text.push(b'"');
            }
            text.extend(std::iter::repeat_n(b'x', 20 << 20));
            let max = 16 << 20;
            let mut framer = CsvFramer::new(Counting(std::io::Cursor::new(text), 0), max);
            let mut bytes = Vec::new();
            let (framed, result) = framer.frame(10, &mut bytes);
            assert_eq!(framed.records, 1);
            assert!(matches!(result, Err(FrameError::TooLong(2))), "{result:?}");
            assert!(framer.read <= (max + 2 * CSV_CHUNK) as u64);
            // 16 MiB in 64 KiB reads would be 256; doubling takes about 9.
            assert!(framer.inner.1 < 20, "{} reads", framer.inner.1);
        }
    }

    /// An input that fails to read is an error at the record it stopped in,
    /// after the records before it.
    #[test]
    fn a_failing_input_fails_at_its_record() {
        struct Failing(std::io::Cursor<Vec<u8>>);
        impl Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                match self.0.read(buf)? {
                    0 => Err(std::io::Error::other("the disk went away")),
                    n => Ok(n),
                }
            }
        }
        let mut framer = CsvFramer::new(Failing(std::io::Cursor::new(b"h\na\n\nb".to_vec())), 1000);
        let mut bytes = Vec::new();
        let (framed, result) = framer.frame(10, &mut bytes);
        assert_eq!((framed.records, &bytes[..]), (2, &b"h\na"[..]));
        assert!(matches!(result, Err(FrameError::Io(_, 4))), "{result:?}");
    }
}
