//! What a capacity-limited service's allocation says about one customer:
//! how many slots it had, how many customers wanted it, and the gain of the
//! last customer who got it, so `explain` can say why this one did not.

use crate::engine::allocation::Allocation;
use crate::lang::ir::ServiceId;

/// A limited service as the population's allocation left it.
pub(super) struct Competition {
    /// How many customers can get it.
    pub capacity: Option<u64>,
    /// How many customers' own arbitration kept it.
    pub wanted: Option<u64>,
    /// The gain of the last customer who got it; None when everyone who
    /// wanted it got it, or nobody could.
    pub cutoff_gain: Option<f64>,
}

/// How `service` was given out in `allocation`.
pub(super) fn competition(allocation: &Allocation, service: ServiceId) -> Competition {
    let usage = allocation.usage().iter().find(|u| u.service == service);
    Competition {
        capacity: usage.map(|u| u.capacity),
        wanted: usage.map(|u| u.demand),
        cutoff_gain: cutoff_gain(allocation, service),
    }
}

/// The gain of the worst candidate `allocation` admits for `service`.
///
/// The allocation only answers whether a (gain, row) gets the service, and
/// it is monotone in the gain: asked for row 0, which wins every tie, it
/// says yes exactly from the cut-off gain up. So a bisection over the f64
/// values in `total_cmp` order finds the cut-off exactly in 64 questions,
/// without the engine having to expose how it stores it.
fn cutoff_gain(allocation: &Allocation, service: ServiceId) -> Option<f64> {
    const SIGN: u64 = 1 << 63;
    // `key` maps f64 to u64 keeping the `total_cmp` order; `value` undoes it.
    let value = |k: u64| f64::from_bits(if k & SIGN != 0 { k & !SIGN } else { !k });
    let admits = |k: u64| allocation.admits(service, value(k), 0);
    let (mut below, mut from) = (0u64, u64::MAX);
    if admits(below) || !admits(from) {
        // Everyone who wanted it got it, or nobody could.
        return None;
    }
    while from - below > 1 {
        let middle = below + (from - below) / 2;
        if admits(middle) {
            from = middle;
        } else {
            below = middle;
        }
    }
    Some(value(from))
}

#[cfg(test)]
mod tests {
    /// The key order is `total_cmp`'s, so the bisection is sound.
    #[test]
    fn keys_follow_the_total_order() {
        const SIGN: u64 = 1 << 63;
        let key = |v: f64| {
            let b = v.to_bits();
            if b & SIGN != 0 { !b } else { b | SIGN }
        };
        let value = |k: u64| f64::from_bits(if k & SIGN != 0 { k & !SIGN } else { !k });
        let values = [
            f64::NEG_INFINITY,
            -2.5,
            -0.0,
            0.0,
            1e-300,
            1.0,
            5.958915651723869,
            f64::INFINITY,
        ];
        for pair in values.windows(2) {
            assert!(key(pair[0]) < key(pair[1]), "{pair:?}");
        }
        for v in values {
            assert_eq!(value(key(v)).to_bits(), v.to_bits());
        }
    }
}
