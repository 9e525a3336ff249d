//! The dry-run report in a partial form that merges exactly: what a worker
//! of a distributed run (a Spark task, a shell loop over file shards) sends
//! to the driver that assembles the report.
//!
//! In: a [`Tally`] over some of the rows, with the package that made it and
//! the capacity allocation it ran with. Out: JSON (`kind`
//! `vasrec.partial_report`, `schema_version`), and back; partials merge in
//! any order and grouping into the [`DryRunReport`] one run over all the
//! rows gives, byte for byte, and refuse to merge with a partial of another
//! package, package version, vasrec version or capacity allocation.

use crate::analysis::report::DryRunReport;
use crate::analysis::tally::Tally;
use crate::engine::Engine;
use crate::engine::allocation::{Allocation, CapacityUse};
use crate::run::stamp::{PARTIAL_SCHEMA_VERSION, PackageStamp, PartialError, read, write};
use serde::{Deserialize, Serialize};

const KIND: &str = "vasrec.partial_report";

/// A dry-run report over some of the rows, ready to merge.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialReport {
    kind: String,
    schema_version: u32,
    /// The package that evaluated the rows.
    pub package: PackageStamp,
    /// The names of the inputs counted, sorted, each once; the report's
    /// `customers_file` joins them with `, `.
    pub customers_files: Vec<String>,
    /// How the capacity-limited services were given out: the same
    /// allocation in every part, or none in every part.
    capacity: Option<Vec<CapacityUse>>,
    tally: Tally,
}

impl PartialReport {
    /// The partial report of `tally`, counted by `engine` over rows of
    /// `customers_file` with `allocation` (the one every part must share).
    pub fn new(
        engine: &Engine,
        tally: Tally,
        customers_file: &str,
        allocation: Option<&Allocation>,
    ) -> PartialReport {
        PartialReport {
            kind: KIND.to_string(),
            schema_version: PARTIAL_SCHEMA_VERSION,
            package: PackageStamp::of(engine),
            customers_files: vec![customers_file.to_string()],
            capacity: allocation.map(|a| a.usage().to_vec()),
            tally,
        }
    }

    /// The JSON form.
    pub fn to_json(&self) -> String {
        write(self)
    }

    /// Reads the JSON form, refusing other kinds and shape versions.
    pub fn from_json(text: &str) -> Result<PartialReport, PartialError> {
        read(text, KIND, "a partial report")
    }

    /// Adds another part; refuses one of another package, vasrec or
    /// capacity allocation.
    pub fn merge(&mut self, other: PartialReport) -> Result<(), PartialError> {
        self.package.check(&other.package, "a partial report")?;
        let usage = |p: &PartialReport| serde_json::to_string(&p.capacity).unwrap_or_default();
        if usage(self) != usage(&other) {
            return Err(PartialError::Mismatch(
                "the partial reports were made with different capacity allocations \
                 (or one with --ignore-capacity); make every part with the same allocation"
                    .to_string(),
            ));
        }
        if self.tally.shape() != other.tally.shape() {
            return Err(PartialError::Mismatch(
                "the partial reports' tables differ in size, so they cannot come from one package"
                    .to_string(),
            ));
        }
        for name in other.customers_files {
            if let Err(at) = self.customers_files.binary_search(&name) {
                self.customers_files.insert(at, name);
            }
        }
        self.tally.merge(other.tally);
        Ok(())
    }

    /// The report, once checked to come from `engine`'s package.
    pub fn report(&self, engine: &Engine) -> Result<DryRunReport, PartialError> {
        PackageStamp::of(engine).check(&self.package, "the partial report")?;
        let (segments, rules, _) = engine.counts();
        if self.tally.shape() != Tally::new(engine).shape() || !self.tally.ids_fit(segments, rules)
        {
            return Err(PartialError::Mismatch(
                "the partial report's tables do not fit the package".to_string(),
            ));
        }
        let names = self.customers_files.join(", ");
        Ok(DryRunReport::new(engine, &self.tally, &names).with_usage(
            engine,
            &self.tally,
            self.capacity.as_deref(),
        ))
    }

    /// Rows counted.
    pub fn customers(&self) -> u64 {
        self.tally.customers()
    }
}
