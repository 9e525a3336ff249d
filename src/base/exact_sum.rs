//! Sums of floats whose result does not depend on the order or grouping of
//! the terms, so that a report summed over any split of its rows, merged in
//! any order, prints the same figures to the last bit.
//!
//! In: f64 terms, one at a time, and other sums. Out: the exact sum rounded
//! once to the nearest f64 (as Python's `math.fsum`), and a text form that
//! keeps the exact value across a JSON round trip.
//!
//! How: almost every term a report adds (gains, costs, points: from about
//! 4e-9 to 7e13) is a whole number of 2^-80 units below 2^126, so it goes
//! into an `i128` fixed-point accumulator, where addition is exact and hence
//! associative: a few integer instructions per term. The rest (tiny, huge,
//! subnormal terms, and the fixed part when it would overflow) go to
//! Shewchuk's exact partials, the algorithm behind `math.fsum`; terms of
//! 2^512 and more are kept scaled down by 2^512 so that no partial sum can
//! overflow; infinities and NaN are kept as flags. The value is a function of
//! the exact sum only. Chosen by measurement over compensated (Neumaier)
//! sums, which are more accurate than plain ones but still depend on order,
//! and over partials for every term, which cost a loop per term.

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

/// Fixed-point unit: 2^-SCALE.
const SCALE: i32 = 80;
/// Biased exponents of the terms the fixed part takes exactly: unbiased
/// -28 ..= 45, so the unit in the last place is at least 2^-80 and the
/// term below 2^126.
const FAST_LOW: u64 = 1023 - 28;
const FAST_HIGH: u64 = 1023 + 45;
/// Terms at or above 2^HUGE are kept divided by 2^HUGE.
const HUGE: i32 = 512;

const POSITIVE_INFINITY: u8 = 1;
const NEGATIVE_INFINITY: u8 = 2;
const NAN: u8 = 4;

/// An exact sum of f64 terms.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExactSum {
    /// The in-range terms, in units of 2^-80.
    fixed: i128,
    /// Shewchuk's non-overlapping partials of the other finite terms.
    rest: Vec<f64>,
    /// The same for terms of 2^512 and more, divided by 2^512.
    huge: Vec<f64>,
    /// Infinities and NaN seen.
    special: u8,
}

impl ExactSum {
    /// Adds one term.
    #[inline]
    pub fn add(&mut self, v: f64) {
        let bits = v.to_bits();
        let exponent = (bits >> 52) & 0x7ff;
        if (FAST_LOW..=FAST_HIGH).contains(&exponent) {
            let mantissa = (bits & ((1 << 52) - 1)) | (1 << 52);
            // exponent - 1023 - 52 + SCALE: 0 ..= 73, so below 2^126.
            let units = (mantissa as i128) << (exponent - FAST_LOW);
            let units = if bits >> 63 == 0 { units } else { -units };
            match self.fixed.checked_add(units) {
                Some(sum) => self.fixed = sum,
                None => self.spill(units),
            }
        } else {
            self.add_slow(v);
        }
    }

    #[cold]
    fn add_slow(&mut self, v: f64) {
        if v == 0.0 {
        } else if v.is_nan() {
            self.special |= NAN;
        } else if v == f64::INFINITY {
            self.special |= POSITIVE_INFINITY;
        } else if v == f64::NEG_INFINITY {
            self.special |= NEGATIVE_INFINITY;
        } else if v.abs() >= pow2(HUGE) {
            grow(&mut self.huge, v * pow2(-HUGE));
        } else {
            grow(&mut self.rest, v);
        }
    }

    /// The fixed part would overflow: it moves to the partials.
    #[cold]
    fn spill(&mut self, units: i128) {
        for piece in pieces(self.fixed) {
            grow(&mut self.rest, piece);
        }
        self.fixed = units;
    }

    /// Adds another sum's terms.
    pub fn merge(&mut self, other: &ExactSum) {
        match self.fixed.checked_add(other.fixed) {
            Some(sum) => self.fixed = sum,
            None => self.spill(other.fixed),
        }
        for &v in &other.rest {
            grow(&mut self.rest, v);
        }
        for &v in &other.huge {
            grow(&mut self.huge, v);
        }
        self.special |= other.special;
    }

    /// The exact sum rounded to the nearest f64 (ties to even). NaN if a
    /// term was NaN or both infinities were added, else an infinity if one
    /// was. A sum with terms of 2^512 and more is rounded twice (still a
    /// function of the exact sum), and overflows to an infinity past f64.
    pub fn value(&self) -> f64 {
        match self.special {
            0 => {}
            POSITIVE_INFINITY => return f64::INFINITY,
            NEGATIVE_INFINITY => return f64::NEG_INFINITY,
            _ => return f64::NAN,
        }
        let normal = round(&self.normal_partials());
        if self.huge.is_empty() {
            return normal;
        }
        let huge = round(&self.huge);
        if huge == 0.0 {
            normal
        } else {
            huge * pow2(HUGE) + normal
        }
    }

    /// The fixed part and the partials as one list of non-overlapping partials.
    fn normal_partials(&self) -> Vec<f64> {
        let mut partials = self.rest.clone();
        for piece in pieces(self.fixed) {
            grow(&mut partials, piece);
        }
        partials
    }
}

/// `2^n` for `n` in the normal range.
fn pow2(n: i32) -> f64 {
    f64::from_bits(((1023 + n) as u64) << 52)
}

/// An i128 count of 2^-80 units as three f64 whose exact sum it is (each
/// piece has at most 47 significant bits).
fn pieces(fixed: i128) -> [f64; 3] {
    let low = (fixed & ((1 << 40) - 1)) as f64 * pow2(-SCALE);
    let middle = ((fixed >> 40) & ((1 << 40) - 1)) as f64 * pow2(40 - SCALE);
    let high = (fixed >> 80) as f64;
    [high, middle, low]
}

/// Adds `x` to Shewchuk's partials, keeping them exact and non-overlapping
/// (the inner loop of Python's `math.fsum`). The terms are below 2^512 in
/// magnitude (or scaled there), so no partial sum overflows.
fn grow(partials: &mut Vec<f64>, mut x: f64) {
    if x == 0.0 {
        return;
    }
    let mut kept = 0;
    for j in 0..partials.len() {
        let mut y = partials[j];
        if x.abs() < y.abs() {
            std::mem::swap(&mut x, &mut y);
        }
        let hi = x + y;
        let lo = y - (hi - x);
        if lo != 0.0 {
            partials[kept] = lo;
            kept += 1;
        }
        x = hi;
    }
    partials.truncate(kept);
    if x != 0.0 {
        partials.push(x);
    }
}

/// The exact sum of non-overlapping partials rounded once (the last step of
/// Python's `math.fsum`, with its correction for halfway cases).
fn round(partials: &[f64]) -> f64 {
    let mut n = partials.len();
    if n == 0 {
        return 0.0;
    }
    n -= 1;
    let mut hi = partials[n];
    let mut lo = 0.0;
    while n > 0 {
        let x = hi;
        let y = partials[n - 1];
        n -= 1;
        hi = x + y;
        let yr = hi - x;
        lo = y - yr;
        if lo != 0.0 {
            break;
        }
    }
    if n > 0 && ((lo < 0.0 && partials[n - 1] < 0.0) || (lo > 0.0 && partials[n - 1] > 0.0)) {
        let y = lo * 2.0;
        let x = hi + y;
        if y == x - hi {
            hi = x;
        }
    }
    hi
}

/// An f64 as the shortest decimal text that reads back to the same bits
/// (`2.5`, `1e-7`, `inf`, `NaN`): JSON numbers are not read back exactly by
/// every parser, these texts are by Rust's and Python's `float()`.
pub(crate) fn float_text(v: f64) -> String {
    format!("{v:?}")
}

/// The f64 of [`float_text`].
pub(crate) fn parse_float(text: &str) -> Option<f64> {
    text.parse().ok()
}

/// The text form: a list of exact terms whose sum is the value, largest
/// first (`["1234.5", "1.1e-14"]`; `[]` for zero). Terms kept scaled end in
/// `p512`; infinities and NaN are listed as `inf`, `-inf`, `NaN`.
impl Serialize for ExactSum {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let partials = self.normal_partials();
        let specials = [
            (POSITIVE_INFINITY, "inf"),
            (NEGATIVE_INFINITY, "-inf"),
            (NAN, "NaN"),
        ];
        let mut seq = serializer.serialize_seq(None)?;
        for v in partials.iter().rev() {
            seq.serialize_element(&float_text(*v))?;
        }
        for v in self.huge.iter().rev() {
            seq.serialize_element(&format!("{}p{HUGE}", float_text(*v)))?;
        }
        for (flag, text) in specials {
            if self.special & flag != 0 {
                seq.serialize_element(text)?;
            }
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for ExactSum {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ExactSum, D::Error> {
        struct Terms;
        impl<'de> Visitor<'de> for Terms {
            type Value = ExactSum;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of exact terms such as [\"1234.5\", \"1.1e-14\"]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ExactSum, A::Error> {
                let mut sum = ExactSum::default();
                while let Some(text) = seq.next_element::<std::borrow::Cow<'de, str>>()? {
                    let bad = || de::Error::invalid_value(de::Unexpected::Str(&text), &self);
                    match text.strip_suffix(&format!("p{HUGE}")) {
                        Some(scaled) => {
                            let v = parse_float(scaled)
                                .filter(|v| v.is_finite())
                                .ok_or_else(bad)?;
                            grow(&mut sum.huge, v);
                        }
                        None => sum.add(parse_float(&text).ok_or_else(bad)?),
                    }
                }
                Ok(sum)
            }
        }
        deserializer.deserialize_seq(Terms)
    }
}

/// Serde helpers for an f64 field kept exact in JSON as [`float_text`].
pub(crate) mod exact_float {
    use serde::{Deserialize, Deserializer, Serializer, de};

    pub(crate) fn serialize<S: Serializer>(v: &f64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&super::float_text(*v))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        super::parse_float(&text).ok_or_else(|| {
            de::Error::invalid_value(
                de::Unexpected::Str(&text),
                &"a number as text, e.g. \"2.5\"",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::test_rng::Rng;

    fn sum(terms: &[f64]) -> ExactSum {
        let mut s = ExactSum::default();
        for &t in terms {
            s.add(t);
        }
        s
    }

    /// A term of either sign, from 1e-300 to near overflow, so sums cancel
    /// and carry across scales.
    fn term(rng: &mut Rng) -> f64 {
        let magnitude =
            [1e-300, 1e-12, 1e-3, 0.1, 1.0, 7.3, 1e6, 1e15, 1e200, 1e307][rng.below(10)];
        let v = magnitude * rng.unit() * 3.0;
        if rng.next() & 1 == 0 { v } else { -v }
    }

    #[test]
    fn rounds_the_exact_sum_once() {
        assert_eq!(sum(&[0.1; 10]).value(), 1.0);
        assert_eq!(sum(&[1e100, 1.0, -1e100, 1e-100]).value(), 1.0);
        assert_eq!(sum(&[1e308, 1e308, -1e308]).value(), 1e308);
        assert_eq!(
            sum(&[2.0f64.powi(53), 1.0, 2.0f64.powi(-60)]).value(),
            2.0f64.powi(53) + 2.0
        );
        assert_eq!(sum(&[]).value(), 0.0);
        assert_eq!(sum(&[1.5, f64::INFINITY]).value(), f64::INFINITY);
        assert!(sum(&[f64::INFINITY, f64::NEG_INFINITY]).value().is_nan());
        assert!(sum(&[1.0, f64::NAN]).value().is_nan());
        assert_eq!(sum(&[5e-324, 5e-324]).value(), 1e-323);
        assert_eq!(sum(&[1e-10, 3.0, -3.0]).value(), 1e-10);
    }

    #[test]
    fn the_fixed_part_spills_into_the_partials_without_losing_a_bit() {
        let big = 2.0f64.powi(45) * 1.999;
        let mut s = ExactSum::default();
        for _ in 0..4000 {
            s.add(big);
        }
        s.add(0.25);
        assert!(
            !s.rest.is_empty(),
            "the fixed part overflowed once at least"
        );
        assert_eq!(s.value(), big * 4000.0 + 0.25);
    }

    #[test]
    fn any_order_and_grouping_gives_the_same_bits() {
        let mut random = Rng(7);
        for round in 0..200 {
            let n = 1 + random.below(60);
            let terms: Vec<f64> = (0..n).map(|_| term(&mut random)).collect();
            let whole = sum(&terms).value();
            let mut shuffled = terms.clone();
            for i in (1..shuffled.len()).rev() {
                shuffled.swap(i, random.below(i + 1));
            }
            let mut merged = ExactSum::default();
            for part in shuffled.chunks(1 + random.below(n)) {
                let text = serde_json::to_string(&sum(part)).unwrap();
                let back: ExactSum = serde_json::from_str(&text).unwrap();
                merged.merge(&back);
            }
            assert_eq!(
                merged.value().to_bits(),
                whole.to_bits(),
                "round {round}: {terms:?}"
            );
        }
    }

    #[test]
    fn in_range_terms_sum_like_integers() {
        // Hundredths are inexact in binary, so the plain sum drifts.
        let terms: Vec<f64> = (0..1000)
            .map(|i| f64::from(i % 97) / 100.0 + 0.01)
            .collect();
        let exact: f64 = sum(&terms).value();
        let mut reversed = terms.clone();
        reversed.reverse();
        assert_eq!(sum(&reversed).value(), exact);
        assert!((exact - 479.95).abs() < 1e-9, "{exact}");
    }

    #[test]
    fn the_text_form_is_exact_and_readable() {
        let s = sum(&[0.1, 0.2]);
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"["0.30000000000000004","-2.7755575615628914e-17"]"#
        );
        assert_eq!(serde_json::to_string(&ExactSum::default()).unwrap(), "[]");
        let special = sum(&[f64::MAX, f64::MAX / 2.0, f64::NAN]);
        let text = serde_json::to_string(&special).unwrap();
        assert!(text.contains("p512") && text.contains("NaN"), "{text}");
        let back: ExactSum = serde_json::from_str(&text).unwrap();
        assert!(back.value().is_nan());
        assert!(serde_json::from_str::<ExactSum>(r#"["1.5", "one"]"#).is_err());
        assert!(serde_json::from_str::<ExactSum>(r#"["infp512"]"#).is_err());
    }
}
