//! Capacity's serialised forms, which a distributed run passes between its
//! workers and its driver, stamped with their package (`run::stamp`).
//!
//! In: JSON text. Out: checked values ([`PartialDemand`], [`SharedAllocation`];
//! the dry-run's partial report lives with the report), or a
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
use crate::run::stamp::{PARTIAL_SCHEMA_VERSION, PackageStamp, PartialError, read, write};
use serde::{Deserialize, Serialize};

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
