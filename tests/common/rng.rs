//! The integration tests' seeded random numbers: SplitMix64 (Steele, Lea
//! and Flood), so a random test needs no dependency and fails the same way
//! on every machine. The benchmarks' generators use it too
//! (`benches/support/package_gen.rs` includes this file).
//!
//! The unit tests keep the same generator in `src/base/test_rng.rs`: the
//! library is built without `cfg(test)` for these tests, so they cannot
//! reach that one. Keep the two alike.
// Each test binary and bench uses a part of it.
#![allow(dead_code)]

/// A SplitMix64 stream; the field is its state, so `Rng(seed)` starts one.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (by modulo); 0 when `n` is 0, so an empty range needs no guard.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: i64, high: i64) -> i64 {
        low + self.below((high - low + 1) as usize) as i64
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    /// One of `items`, each as likely.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// A number in `[0, 1)` from the top 53 bits (all an `f64` holds).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}
