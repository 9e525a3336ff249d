//! What every serialised part of a run carries, and how it is refused: the
//! package stamp (so parts of two packages never mix), a kind and a shape
//! version, and errors that say which of them differs.
//!
//! In: JSON text and the kind expected. Out: the value, or a
//! [`PartialError`] in words.

use crate::engine::Engine;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Version of the partial forms' JSON shapes (partial report, demand,
/// allocation); bumped on any incompatible change (2: capacity by marginal
/// values, with their bound and the replacement counts).
pub const PARTIAL_SCHEMA_VERSION: u32 = 2;

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
