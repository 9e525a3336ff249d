//! The serialised forms a distributed run passes between its workers and
//! its driver: what package made them (so parts of two packages never mix),
//! a kind and a shape version, and errors that say which of them differs.
//!
//! In: JSON text. Out: checked values ([`PartialDemand`], [`SharedAllocation`]
//! here; the dry-run's partial report lives with the report), or a
//! [`PartialError`] in words.
//!
//! Capacity over partitions: each worker collects a [`PartialDemand`] over
//! its rows (the first pass), the driver merges them in any order and turns
//! the total into a [`SharedAllocation`], every worker evaluates its rows
//! again with it (the second pass). Candidates rank by gain, then by the
//! row's line in the whole input, so the cut-offs are those of one run.

use crate::engine::Engine;
use crate::engine::allocation::Allocation;
use crate::run::capacity::Demand;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Version of the partial forms' JSON shapes (partial report, demand,
/// allocation); bumped on any incompatible change.
pub const PARTIAL_SCHEMA_VERSION: u32 = 1;

/// Which package (and which vasrec) made a partial form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageStamp {
    /// The catalog's `package:` name.
    pub name: String,
    /// [`Engine::content_hash`] of its files.
    pub content_hash: String,
    /// The vasrec version that evaluated it.
    pub vasrec: String,
}

impl PackageStamp {
    /// The stamp of `engine` as this build of vasrec runs it.
    pub fn of(engine: &Engine) -> PackageStamp {
        PackageStamp {
            name: engine.catalog().package.clone(),
            content_hash: engine.content_hash(),
            vasrec: env!("CARGO_PKG_VERSION").to_string(),
        }
    }

    /// Refuses a part made by another package or another vasrec.
    pub(crate) fn check(
        &self,
        other: &PackageStamp,
        what: &'static str,
    ) -> Result<(), PartialError> {
        if self == other {
            Ok(())
        } else {
            Err(PartialError::OtherPackage {
                what,
                expected: Box::new(self.clone()),
                found: Box::new(other.clone()),
            })
        }
    }
}

/// Why a partial form cannot be read, merged or used.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PartialError {
    /// Not JSON, or not the shape of its kind (`line:column: message`).
    Malformed {
        /// What was being read, e.g. `a partial report`.
        what: &'static str,
        /// Where and what, from the JSON reader.
        message: String,
    },
    /// Another kind of file than the one asked for.
    WrongKind {
        /// What was being read.
        what: &'static str,
        /// The `kind` the file has (empty when it has none).
        found: String,
    },
    /// Written by a vasrec with another shape version.
    SchemaVersion {
        /// What was being read.
        what: &'static str,
        /// The file's `schema_version`.
        found: u64,
    },
    /// Made by another package, another version of it, or another vasrec.
    OtherPackage {
        /// What was being merged or used.
        what: &'static str,
        /// The stamp of the package at hand (or of the first part).
        expected: Box<PackageStamp>,
        /// The stamp of the part refused.
        found: Box<PackageStamp>,
    },
    /// Same package, but parts that cannot belong to one run (sizes that do
    /// not fit the package, different capacity allocations).
    Mismatch(String),
}

impl std::fmt::Display for PartialError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PartialError::Malformed { what, message } => {
                write!(f, "this is not {what} vasrec can read: {message}")
            }
            PartialError::WrongKind { what, found } if found.is_empty() => {
                write!(f, "this is not {what}: it has no `kind`")
            }
            PartialError::WrongKind { what, found } => {
                write!(f, "this is not {what} but `{found}`")
            }
            PartialError::SchemaVersion { what, found } => write!(
                f,
                "{what} of schema_version {found} cannot be read by this vasrec \
                 (version {}, which reads schema_version {PARTIAL_SCHEMA_VERSION}); \
                 make every part with the same vasrec",
                env!("CARGO_PKG_VERSION")
            ),
            PartialError::OtherPackage {
                what,
                expected,
                found,
            } => {
                let describe = |s: &PackageStamp| {
                    format!("`{}` ({}, vasrec {})", s.name, s.content_hash, s.vasrec)
                };
                write!(
                    f,
                    "{what} was made by package {}, not by {}; \
                     parts of different packages, package versions or vasrec versions do not merge",
                    describe(found),
                    describe(expected)
                )
            }
            PartialError::Mismatch(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for PartialError {}

/// The first fields of every partial form, read before the rest so that a
/// file of another kind or version is refused for that reason.
#[derive(Deserialize)]
struct Header {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    schema_version: u64,
}

/// Reads a partial form of `kind`, checking kind and version first.
pub(crate) fn read<T: DeserializeOwned>(
    text: &str,
    kind: &str,
    what: &'static str,
) -> Result<T, PartialError> {
    let malformed = |e: serde_json::Error| PartialError::Malformed {
        what,
        message: e.to_string(),
    };
    let header: Header = serde_json::from_str(text).map_err(malformed)?;
    if header.kind != kind {
        return Err(PartialError::WrongKind {
            what,
            found: header.kind,
        });
    }
    if header.schema_version != u64::from(PARTIAL_SCHEMA_VERSION) {
        return Err(PartialError::SchemaVersion {
            what,
            found: header.schema_version,
        });
    }
    serde_json::from_str(text).map_err(malformed)
}

/// Pretty JSON with a final newline (the forms hold no maps with non-string
/// keys and no non-finite numbers, so this cannot fail).
pub(crate) fn write<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
}

const DEMAND_KIND: &str = "vasrec.demand";
const ALLOCATION_KIND: &str = "vasrec.allocation";

/// Capacity's first pass over some of the rows, as a worker sends it to
/// the driver: the best candidates per limited service (by gain, then the
/// earlier line of the whole input) and the counts. Partial demands merge
/// in any order and grouping to the demand of one run over all the rows.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialDemand {
    kind: String,
    schema_version: u32,
    /// The package that evaluated the rows.
    pub package: PackageStamp,
    demand: Demand,
}

impl PartialDemand {
    /// Wraps the demand `engine` collected.
    pub fn new(engine: &Engine, demand: Demand) -> PartialDemand {
        PartialDemand {
            kind: DEMAND_KIND.to_string(),
            schema_version: PARTIAL_SCHEMA_VERSION,
            package: PackageStamp::of(engine),
            demand,
        }
    }

    /// The JSON form.
    pub fn to_json(&self) -> String {
        write(self)
    }

    /// Reads the JSON form, refusing other kinds and shape versions.
    pub fn from_json(text: &str) -> Result<PartialDemand, PartialError> {
        let demand: PartialDemand = read(text, DEMAND_KIND, "a partial demand")?;
        demand.demand.check_shape()?;
        Ok(demand)
    }

    /// Adds another part's demand; refuses one of another package.
    pub fn merge(&mut self, other: PartialDemand) -> Result<(), PartialError> {
        self.package.check(&other.package, "a partial demand")?;
        self.demand.check_same_shape(&other.demand)?;
        self.demand.merge(other.demand);
        Ok(())
    }

    /// The demand, once checked to come from `engine`'s package.
    pub fn demand(&self, engine: &Engine) -> Result<&Demand, PartialError> {
        PackageStamp::of(engine).check(&self.package, "the partial demand")?;
        self.demand.check_shape_for(engine)?;
        Ok(&self.demand)
    }

    /// The allocation of the merged demand, to send to every worker.
    pub fn allocate(&self, engine: &Engine) -> Result<SharedAllocation, PartialError> {
        let allocation = self.demand(engine)?.allocate();
        Ok(SharedAllocation::new(engine, allocation))
    }
}

/// Who gets the capacity-limited services, as the driver sends it to the
/// workers for the second pass.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharedAllocation {
    kind: String,
    schema_version: u32,
    /// The package whose demand made it.
    pub package: PackageStamp,
    allocation: Allocation,
}

impl SharedAllocation {
    /// Wraps an allocation `engine`'s demand made.
    pub fn new(engine: &Engine, allocation: Allocation) -> SharedAllocation {
        SharedAllocation {
            kind: ALLOCATION_KIND.to_string(),
            schema_version: PARTIAL_SCHEMA_VERSION,
            package: PackageStamp::of(engine),
            allocation,
        }
    }

    /// The JSON form.
    pub fn to_json(&self) -> String {
        write(self)
    }

    /// Reads the JSON form, refusing other kinds and shape versions.
    pub fn from_json(text: &str) -> Result<SharedAllocation, PartialError> {
        read(text, ALLOCATION_KIND, "a capacity allocation")
    }

    /// The allocation for a part of the input whose line `n` is line
    /// `n + line_offset` of the whole input, once checked to come from
    /// `engine`'s package.
    pub fn for_part(&self, engine: &Engine, line_offset: u64) -> Result<Allocation, PartialError> {
        PackageStamp::of(engine).check(&self.package, "the capacity allocation")?;
        let services = engine.catalog().services.len();
        if self.allocation.services() != services {
            return Err(PartialError::Mismatch(format!(
                "the capacity allocation decides for {} services, the package has {services}",
                self.allocation.services()
            )));
        }
        Ok(self.allocation.for_part(line_offset))
    }
}
