//! The unit tests' seeded random numbers: SplitMix64 (Steele, Lea and
//! Flood), so a random test needs no dependency and fails the same way on
//! every machine.
//!
//! The integration tests keep the same generator in `tests/common/rng.rs`:
//! they build against the library without `cfg(test)`, so they cannot reach
//! this module. A test below fails when the methods both have drift apart.

/// A SplitMix64 stream; the field is its state, so `Rng(seed)` starts one.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    /// The next 64 random bits.
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (by modulo); 0 when `n` is 0, so an empty range needs no guard.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// A number in `low..=high`.
    pub(crate) fn between(&mut self, low: i64, high: i64) -> i64 {
        low + self.below((high - low + 1) as usize) as i64
    }

    /// True `percent` times in a hundred.
    pub(crate) fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    /// One of `items`, each as likely.
    pub(crate) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// A number in `[0, 1)` from the top 53 bits (all an `f64` holds).
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gives_splitmix64s_published_outputs() {
        // Vigna's splitmix64.c from state 0: the seeded tests' data rests on it.
        let mut rng = Rng(0);
        let first: Vec<u64> = (0..3).map(|_| rng.next()).collect();
        assert_eq!(
            first,
            [
                0xE220_A839_7B1D_CDAF,
                0x6E78_9E6A_A1B9_65F4,
                0x06C4_5D18_8009_454F
            ]
        );
    }

    /// The struct and the methods both copies have, up to `unit`.
    fn shared_part(text: &str) -> String {
        let text = text.replace("pub(crate) ", "pub ");
        let start = text.find("/// A SplitMix64 stream").expect("the struct");
        let unit = start + text[start..].find("pub fn unit").expect("fn unit");
        let end = unit + text[unit..].find("\n    }\n").expect("end of unit") + 7;
        text[start..end].to_string()
    }

    #[test]
    fn the_integration_tests_copy_is_the_same() {
        let ours = shared_part(include_str!("test_rng.rs"));
        let theirs = shared_part(include_str!("../../tests/common/rng.rs"));
        assert_eq!(
            ours, theirs,
            "src/base/test_rng.rs and tests/common/rng.rs drifted apart"
        );
    }
}
