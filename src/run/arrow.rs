//! Score records as Arrow record batches, and Parquet files of them.
//!
//! In: customers and their offers (from a batch run, or a record batch of
//! customers given to [`Engine::evaluate_record_batch`]). Out: one row per
//! customer with its offers as a list-of-struct column, the shape of
//! [`score_arrow_schema`]; [`ScoreParquetWriter`] writes such batches to a
//! Parquet file in row groups of a bounded size, so memory stays flat.

use crate::engine::Engine;
use crate::engine::offer::Offer;
use crate::lang::ids::RuleId;
use crate::package::columnar::{ArrowColumns, ColumnChunk};
use crate::package::customer::Customer;
use crate::package::input::{ColumnMap, DataError, Place};
use crate::run::batch::{RowError, read_and_evaluate};
use crate::run::score::{SCORE_SCHEMA_VERSION, customer_id};
use arrow_array::{
    ArrayRef, Float64Array, ListArray, RecordBatch, StringArray, StructArray, UInt32Array,
    UInt64Array,
};
use arrow_buffer::OffsetBuffer;
use arrow_schema::{ArrowError, DataType, Field, Fields, Schema, SchemaRef};
use std::collections::HashMap;
use std::sync::Arc;

/// Key of the schema metadata that holds [`SCORE_SCHEMA_VERSION`].
pub const SCORE_VERSION_KEY: &str = "vasrec.score_schema_version";

/// Rows per Parquet row group that `score` writes: small enough that the
/// writer's buffer stays a few megabytes, large enough for readers.
pub const SCORE_ROW_GROUP_ROWS: usize = 65_536;

fn offer_fields(engine: &Engine) -> Fields {
    let mut fields = vec![
        Field::new("rank", DataType::UInt32, false),
        Field::new("service", DataType::Utf8, false),
        Field::new("name", DataType::Utf8, false),
        Field::new("gain", DataType::Float64, false),
        Field::new("cost", DataType::Float64, false),
        Field::new("rule", DataType::Utf8, false),
        Field::new("segment", DataType::Utf8, false),
        Field::new(
            "segment_path",
            DataType::List(Arc::new(Field::new("item", DataType::Utf8, false))),
            false,
        ),
        Field::new("reason", DataType::Utf8, true),
    ];
    let outcomes = loyalty(engine);
    if !outcomes.is_empty() {
        let loyalty: Fields = outcomes
            .iter()
            .map(|(o, _)| Field::new(o.as_str(), DataType::Float64, false))
            .collect();
        fields.push(Field::new("loyalty", DataType::Struct(loyalty), false));
    }
    fields.into()
}

fn loyalty(engine: &Engine) -> Vec<(String, f64)> {
    engine
        .model()
        .and_then(|m| m.loyalty.as_ref())
        .map(|l| l.factors.clone())
        .unwrap_or_default()
}

/// The Arrow schema of score records, as `vasrec score --format parquet`
/// writes them and [`Engine::evaluate_record_batch`] returns them:
///
/// | column | type | |
/// |---|---|---|
/// | `customer_id` | Utf8, nullable | the catalog's `customer.id` attribute |
/// | `line` | UInt64 | the row's line in a text file, its 1-based row in a Parquet or Arrow file or batch |
/// | `offers` | List of Struct | best first; empty when the customer gets none |
///
/// Each offer: `rank` UInt32 (1 is best), `service`, `name` Utf8, `gain`,
/// `cost` Float64, `rule`, `segment` Utf8, `segment_path` List of Utf8
/// (from a root down), `reason` Utf8 (nullable), and when the catalog has
/// a loyalty graph, `loyalty`: a Struct with one Float64 per outcome (gain
/// times the outcome's factor). The schema's metadata holds
/// `vasrec.score_schema_version` (the JSON records' `schema_version`).
pub fn score_arrow_schema(engine: &Engine) -> SchemaRef {
    let offers = DataType::List(Arc::new(Field::new(
        "item",
        DataType::Struct(offer_fields(engine)),
        false,
    )));
    let metadata = HashMap::from([(
        SCORE_VERSION_KEY.to_string(),
        SCORE_SCHEMA_VERSION.to_string(),
    )]);
    Arc::new(Schema::new_with_metadata(
        vec![
            Field::new("customer_id", DataType::Utf8, true),
            Field::new("line", DataType::UInt64, false),
            Field::new("offers", offers, false),
        ],
        metadata,
    ))
}

/// What an offer's rule fixes: everything but the gain and the rank.
struct RuleParts {
    service: String,
    name: String,
    cost: f64,
    rule: String,
    segment: String,
    path: Vec<String>,
    reason: Option<String>,
}

/// Collects score records and turns them into a record batch of
/// [`score_arrow_schema`]. Build one per chunk of customers.
pub struct ScoreBatchBuilder<'e> {
    schema: SchemaRef,
    rules: Arc<Vec<RuleParts>>,
    loyalty: Arc<Vec<(String, f64)>>,
    ids: Vec<Option<String>>,
    lines: Vec<u64>,
    /// Per customer, the end of its offers in the columns below.
    ends: Vec<i32>,
    rule: Vec<RuleId>,
    gain: Vec<f64>,
    engine: &'e Engine,
}

impl<'e> ScoreBatchBuilder<'e> {
    /// An empty builder for `engine`'s records.
    pub fn new(engine: &'e Engine) -> ScoreBatchBuilder<'e> {
        let rules = engine
            .rule_ids()
            .map(|rule| {
                let service = engine.get_service(engine.rule_service(rule));
                let segment = engine.rule_segment(rule);
                RuleParts {
                    service: service.map_or(String::new(), |s| s.id.clone()),
                    name: service.map_or(String::new(), |s| s.name.clone()),
                    cost: service.map_or(0.0, |s| s.cost),
                    rule: engine.rule_name(rule).to_string(),
                    segment: engine.segment_name(segment).to_string(),
                    path: engine
                        .segment_path(segment)
                        .into_iter()
                        .map(str::to_string)
                        .collect(),
                    reason: engine.rule_reason(rule).map(str::to_string),
                }
            })
            .collect();
        ScoreBatchBuilder {
            schema: score_arrow_schema(engine),
            rules: Arc::new(rules),
            loyalty: Arc::new(loyalty(engine)),
            ids: Vec::new(),
            lines: Vec::new(),
            ends: Vec::new(),
            rule: Vec::new(),
            gain: Vec::new(),
            engine,
        }
    }

    /// A new empty builder sharing this one's per-rule texts.
    pub fn fresh(&self) -> ScoreBatchBuilder<'e> {
        ScoreBatchBuilder {
            schema: self.schema.clone(),
            rules: self.rules.clone(),
            loyalty: self.loyalty.clone(),
            ids: Vec::new(),
            lines: Vec::new(),
            ends: Vec::new(),
            rule: Vec::new(),
            gain: Vec::new(),
            engine: self.engine,
        }
    }

    /// Adds one customer's record.
    pub fn push(&mut self, customer: &Customer, line: u64, offers: &[Offer]) {
        self.ids
            .push(customer_id(self.engine, customer).map(str::to_string));
        self.lines.push(line);
        for offer in offers {
            self.rule.push(offer.rule);
            self.gain.push(offer.gain);
        }
        self.ends
            .push(i32::try_from(self.rule.len()).unwrap_or(i32::MAX));
    }

    /// Customers added so far.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether no customer was added.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The records as a record batch; the builder is left empty.
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let parts: Vec<&RuleParts> = self
            .rule
            .iter()
            .filter_map(|r| self.rules.get(r.index()))
            .collect();
        if parts.len() != self.rule.len() {
            return Err(ArrowError::InvalidArgumentError(
                "an offer names a rule the engine does not have".into(),
            ));
        }
        let text = |f: &dyn Fn(&RuleParts) -> &str| -> ArrayRef {
            Arc::new(StringArray::from_iter_values(parts.iter().map(|p| f(p))))
        };
        let mut ranks = Vec::with_capacity(parts.len());
        let mut start = 0usize;
        for &end in &self.ends {
            let end = usize::try_from(end).unwrap_or(0);
            ranks.extend((1..=end.saturating_sub(start)).map(|r| r as u32));
            start = end;
        }
        let path_item = Arc::new(Field::new("item", DataType::Utf8, false));
        let paths = ListArray::try_new(
            path_item,
            OffsetBuffer::from_lengths(parts.iter().map(|p| p.path.len())),
            Arc::new(StringArray::from_iter_values(
                parts.iter().flat_map(|p| p.path.iter()),
            )),
            None,
        )?;
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(UInt32Array::from(ranks)),
            text(&|p| &p.service),
            text(&|p| &p.name),
            Arc::new(Float64Array::from(self.gain.clone())),
            Arc::new(Float64Array::from_iter_values(parts.iter().map(|p| p.cost))),
            text(&|p| &p.rule),
            text(&|p| &p.segment),
            Arc::new(paths),
            Arc::new(StringArray::from_iter(
                parts.iter().map(|p| p.reason.as_deref()),
            )),
        ];
        let fields = offer_fields(self.engine);
        if let Some(DataType::Struct(loyalty_fields)) = fields
            .iter()
            .find(|f| f.name() == "loyalty")
            .map(|f| f.data_type())
        {
            let outcomes: Vec<ArrayRef> = self
                .loyalty
                .iter()
                .map(|(_, factor)| {
                    Arc::new(Float64Array::from_iter_values(
                        self.gain.iter().map(|g| g * factor),
                    )) as ArrayRef
                })
                .collect();
            columns.push(Arc::new(StructArray::try_new_with_length(
                loyalty_fields.clone(),
                outcomes,
                None,
                parts.len(),
            )?));
        }
        let offers = StructArray::try_new_with_length(fields.clone(), columns, None, parts.len())?;
        let mut offsets = Vec::with_capacity(self.ends.len() + 1);
        offsets.push(0i32);
        offsets.extend_from_slice(&self.ends);
        let offers = ListArray::try_new(
            Arc::new(Field::new("item", DataType::Struct(fields), false)),
            OffsetBuffer::new(offsets.into()),
            Arc::new(offers),
            None,
        )?;
        let batch = RecordBatch::try_new(
            self.schema.clone(),
            vec![
                Arc::new(StringArray::from(std::mem::take(&mut self.ids))),
                Arc::new(UInt64Array::from(std::mem::take(&mut self.lines))),
                Arc::new(offers),
            ],
        )?;
        self.ends.clear();
        self.rule.clear();
        self.gain.clear();
        Ok(batch)
    }
}

impl Engine {
    /// Evaluates every customer of a record batch (columns named as in a
    /// customers file, typed as a Parquet file may type them) and returns
    /// their records in the shape of [`score_arrow_schema`], one row per
    /// customer in the same order; `line` is the row's 1-based number in
    /// the batch. Capacity limits are not applied (as in
    /// [`Engine::evaluate`]): a batch is not the whole population.
    ///
    /// A batch whose columns do not fit the schema, or a row that cannot be
    /// read or evaluated, is an error that names the row and column.
    ///
    /// ```
    /// use arrow_array::{Float64Array, RecordBatch, StringArray, Array};
    /// use std::sync::Arc;
    ///
    /// let engine = vasrec::Engine::load("rules")?;
    /// let customers = RecordBatch::try_from_iter([
    ///     ("customerID", Arc::new(StringArray::from(vec!["C-1", "C-2"])) as _),
    ///     ("tenure", Arc::new(Float64Array::from(vec![3.0, 40.0])) as _),
    ///     ("MonthlyCharges", Arc::new(Float64Array::from(vec![70.0, 20.5])) as _),
    /// ])?;
    /// let scored = engine.evaluate_record_batch(&customers)?;
    /// assert_eq!(scored.num_rows(), 2);
    /// assert_eq!(scored.schema(), vasrec::score::score_arrow_schema(&engine));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn evaluate_record_batch(&self, batch: &RecordBatch) -> Result<RecordBatch, RowError> {
        let (arrow, _absent) =
            ArrowColumns::new(self.schema(), &batch.schema(), "record batch", "batch")
                .map_err(RowError::Data)?;
        let columns = ColumnMap {
            arrow: Some(Arc::new(arrow)),
            ..ColumnMap::default()
        };
        let chunk = crate::package::input::Chunk::Columns(ColumnChunk::of_batch(batch.clone()));
        let rows = chunk.rows(&columns);
        let mut evaluator = self.evaluator();
        let mut customer = Customer::empty(self.schema());
        let mut records = ScoreBatchBuilder::new(self);
        for index in 0..rows.len() {
            read_and_evaluate(
                &mut evaluator,
                &columns,
                "record batch",
                &rows,
                index,
                &mut customer,
            )?;
            records.push(&customer, rows.line(index), evaluator.offers());
        }
        records.finish().map_err(|e| {
            RowError::Data(DataError {
                file: "record batch".into(),
                line: 0,
                column: None,
                message: format!("cannot build the score records: {e}"),
                place: Place::File,
            })
        })
    }
}

/// Writes score record batches to a Parquet file (snappy-compressed, row
/// groups of at most [`SCORE_ROW_GROUP_ROWS`] rows).
pub struct ScoreParquetWriter<W: std::io::Write + Send> {
    writer: parquet::arrow::ArrowWriter<W>,
}

impl<W: std::io::Write + Send> ScoreParquetWriter<W> {
    /// Starts the file (nothing is written until the first row group).
    pub fn new(engine: &Engine, out: W) -> std::io::Result<ScoreParquetWriter<W>> {
        use parquet::basic::Compression;
        use parquet::file::properties::WriterProperties;
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(SCORE_ROW_GROUP_ROWS))
            .set_created_by(format!("vasrec {}", env!("CARGO_PKG_VERSION")))
            .build();
        let writer =
            parquet::arrow::ArrowWriter::try_new(out, score_arrow_schema(engine), Some(properties))
                .map_err(std::io::Error::other)?;
        Ok(ScoreParquetWriter { writer })
    }

    /// Appends records.
    pub fn write(&mut self, batch: &RecordBatch) -> std::io::Result<()> {
        self.writer.write(batch).map_err(std::io::Error::other)
    }

    /// Writes the footer and gives the output back.
    pub fn finish(self) -> std::io::Result<W> {
        self.writer.into_inner().map_err(std::io::Error::other)
    }
}
