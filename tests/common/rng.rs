//! The integration tests' seeded random numbers: SplitMix64 (Steele, Lea
//! and Flood), so a random test needs no dependency and fails the same way
//! on every machine. The benchmarks' package generator
//! (`benches/support/package_gen.rs`) and the data generators
//! (`examples/generate_customers.rs`, `examples/generate_survey.rs`) include
//! this file too.
//!
//! The unit tests keep the same generator in `src/base/test_rng.rs`: the
//! library is built without `cfg(test)` for these tests, so they cannot
//! reach that one; its tests fail when the methods both have (up to
//! `unit`) drift apart. The ones after `unit` serve the data generators only.
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

    /// The stream of item `index` of a run whose first draw was `base`: it
    /// depends on those two only, so one row can be drawn without the others.
    pub fn for_row(base: u64, index: u64) -> Rng {
        let mut mixer = Rng(base ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03));
        Rng(mixer.next())
    }

    /// A number in `0..n` from the high bits of `next() * n` (multiply-shift):
    /// not `below`'s draw, and the data generators' committed files rest on it.
    pub fn below_scaled(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }

    /// True with probability `p` (a fraction, where `chance` takes a percent).
    pub fn with_probability(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Roughly normal, mean 0 and standard deviation 1 (the sum of three
    /// uniforms), bounded to [-3, 3].
    pub fn bell(&mut self) -> f64 {
        (self.unit() + self.unit() + self.unit() - 1.5) * 2.0
    }

    /// An index of `weights`, each as likely as its weight (they need not add up to 1).
    pub fn pick_weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut u = self.unit() * total;
        for (i, w) in weights.iter().enumerate() {
            if u < *w {
                return i;
            }
            u -= w;
        }
        weights.len() - 1
    }
}
