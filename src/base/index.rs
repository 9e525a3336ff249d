//! Typed ids: a segment id cannot be passed where a rule id is wanted.
//!
//! Each id is a dense index into one table (the package's segments, rules,
//! profiles, the catalog's services). It is stored inverted in a
//! `NonZeroU32`, so `Option<Id>` is as small as the id itself and "no id"
//! needs no sentinel value: `None` takes the place of `u32::MAX`.

/// Declares a typed id: `Copy`, ordered, serialised as its plain index.
macro_rules! define_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name(std::num::NonZeroU32);

        impl $name {
            /// The id of the item at `index` in its table. Tables are far
            /// smaller than `u32::MAX` items (the loader bounds file sizes
            /// and counts), so the last value only stands for "too many".
            #[inline]
            pub(crate) fn new(index: usize) -> $name {
                let index = u32::try_from(index).map_or(u32::MAX - 1, |i| i.min(u32::MAX - 1));
                match std::num::NonZeroU32::new(!index) {
                    Some(inverted) => $name(inverted),
                    None => $name(std::num::NonZeroU32::MIN),
                }
            }

            /// The position of the item in its table.
            #[inline]
            pub fn index(self) -> usize {
                (!self.0.get()) as usize
            }
        }

        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl Ord for $name {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                self.index().cmp(&other.index())
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({})", stringify!($name), self.index())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.index().fmt(f)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_u64(self.index() as u64)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let index = <u32 as serde::Deserialize>::deserialize(deserializer)?;
                Ok($name::new(index as usize))
            }
        }
    };
}

pub(crate) use define_id;

/// A table position as the `u32` the compact records store. Every table
/// (slots, symbols, segments, scripts, lines) is bounded far below
/// `u32::MAX` entries by the loader's file-size limits, so saturating here
/// never changes a real value; it keeps the conversion in one place.
pub(crate) fn dense_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    define_id!(
        /// A test id.
        TestId
    );

    #[test]
    fn ids_keep_their_index_and_none_costs_nothing() {
        for i in [0usize, 1, 7, 1 << 20, (u32::MAX - 1) as usize] {
            assert_eq!(TestId::new(i).index(), i);
        }
        assert_eq!(size_of::<Option<TestId>>(), size_of::<u32>());
        assert!(TestId::new(3) < TestId::new(4));
        assert_eq!(serde_json::to_string(&TestId::new(5)).unwrap(), "5");
        assert_eq!(
            format!("{:?} {}", TestId::new(2), TestId::new(2)),
            "TestId(2) 2"
        );
    }
}
