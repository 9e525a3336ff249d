//! Seeded random numbers for the bootstrap: xoshiro256** (Blackman and
//! Vigna), its state filled by SplitMix64 as its authors recommend.
//!
//! Written out rather than taken from a crate: thirty lines, checked against
//! the published outputs below, and a stream that no dependency upgrade can
//! change, so a seed gives the same intervals on every version and machine.
//! Each bootstrap replicate gets its own generator from (seed, replicate
//! number), so no replicate depends on which thread ran the others.

/// One step of SplitMix64: advances `state` and returns the next output.
pub(super) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// xoshiro256**: 256 bits of state, period 2^256 - 1.
#[derive(Debug, Clone)]
pub(super) struct Random {
    state: [u64; 4],
}

/// Keeps the bootstrap's streams apart from other uses of the same seed
/// (the holdout split hashes row keys with it).
const BOOTSTRAP_DOMAIN: u64 = 0x626F_6F74_7374_7270;

impl Random {
    /// The generator of one bootstrap replicate.
    pub fn for_replicate(seed: u64, replicate: u64) -> Random {
        let mut mix = seed ^ BOOTSTRAP_DOMAIN;
        let key = splitmix64(&mut mix);
        let mut mix = key ^ replicate.wrapping_mul(0xD1B5_4A32_D192_ED03);
        let mut state = [0; 4];
        state.iter_mut().for_each(|s| *s = splitmix64(&mut mix));
        if state == [0; 4] {
            // The one state xoshiro cannot leave; SplitMix64 all but never gives it.
            state[0] = 1;
        }
        Random { state }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.state;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// A uniform integer in `0..n` (`n > 0`), without modulo bias (Lemire 2019).
    pub fn below(&mut self, n: usize) -> usize {
        let n = n as u64;
        let mut m = u128::from(self.next_u64()) * u128::from(n);
        if (m as u64) < n {
            let threshold = n.wrapping_neg() % n;
            while (m as u64) < threshold {
                m = u128::from(self.next_u64()) * u128::from(n);
            }
        }
        (m >> 64) as usize
    }
}

/// The `p` quantile of sorted values, interpolating linearly between order
/// statistics (Hyndman and Fan's type 7, R's default); `None` when empty.
pub(super) fn quantile(sorted: &[f64], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let h = last as f64 * p.clamp(0.0, 1.0);
    let below = h.floor() as usize;
    let above = (below + 1).min(last);
    Some(sorted[below] + (h - below as f64) * (sorted[above] - sorted[below]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_gives_its_published_outputs() {
        // Vigna's splitmix64.c from state 0.
        let mut state = 0;
        let first: Vec<u64> = (0..3).map(|_| splitmix64(&mut state)).collect();
        assert_eq!(
            first,
            [
                0xE220_A839_7B1D_CDAF,
                0x6E78_9E6A_A1B9_65F4,
                0x06C4_5D18_8009_454F
            ]
        );
    }

    #[test]
    fn xoshiro256_star_star_gives_its_published_outputs() {
        // The reference xoshiro256starstar.c from the state (1, 2, 3, 4), as
        // rand_xoshiro's test checks it.
        let mut random = Random {
            state: [1, 2, 3, 4],
        };
        let expected = [
            11520,
            0,
            1509978240,
            1215971899390074240,
            1216172134540287360,
            607988272756665600,
            16172922978634559625,
            8476171486693032832,
            10595114339597558777,
            2904607092377533576,
        ];
        for e in expected {
            assert_eq!(random.next_u64(), e);
        }
    }

    #[test]
    fn replicates_get_their_own_streams_and_draws_stay_in_range() {
        let draw = |seed, replicate| Random::for_replicate(seed, replicate).next_u64();
        assert_eq!(draw(1, 0), draw(1, 0));
        assert_ne!(draw(1, 0), draw(1, 1));
        assert_ne!(draw(1, 0), draw(2, 0));
        let mut random = Random::for_replicate(7, 3);
        let mut counts = [0usize; 3];
        for _ in 0..30_000 {
            counts[random.below(3)] += 1;
        }
        // Each about 10,000: a binomial sd of 82, so ±500 is six sds.
        assert!(
            counts.iter().all(|&c| (9_500..=10_500).contains(&c)),
            "{counts:?}"
        );
        assert_eq!(Random::for_replicate(7, 3).below(1), 0);
    }

    #[test]
    fn quantiles_interpolate_between_order_statistics() {
        let values = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile(&values, 0.5), Some(3.0));
        assert_eq!(quantile(&values, 0.025), Some(1.1));
        assert_eq!(quantile(&values, 1.0), Some(5.0));
        assert_eq!(quantile(&[2.0], 0.975), Some(2.0));
        assert_eq!(quantile(&[], 0.5), None);
    }
}
