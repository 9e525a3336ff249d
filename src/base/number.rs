//! Numbers as every report shows them: one home for rounding, ratios and
//! the decimal texts of tables, records and messages, so the same figure
//! reads the same everywhere.
//!
//! Each function here prints one way, and each way exists because some
//! output has always printed it so: the outputs are compared byte for byte
//! (golden files, stored records), so two ways that differ on some value
//! stay two functions, each saying which outputs it is for.
//!
//! | function              | 2.5    | -0.0    | NaN   | for                                 |
//! |-----------------------|--------|---------|-------|-------------------------------------|
//! | [`fixed`] (2)         | `2.50` | `-0.00` | `NaN` | decimals in text tables and pages   |
//! | [`decimal`]           | `2.50` | `-0.00` | `NaN` | `fixed(v, 2)`: gains, costs, means  |
//! | [`fixed_or_dash`] (2) | `2.50` | `-0.00` | `-`   | calibration tables                  |
//! | [`trimmed`]           | `2.5`  | `0`     | `NaN` | rule test reports and messages      |
//! | [`shortest`]          | `2.5`  | `-0`    | `NaN` | CSV and JSON Lines read by programs |
//!
//! [`count`] (`1,234`) and [`percent`] (`12.5%`) write counts and shares of
//! customers; [`round4`] and [`ratio`] compute numbers rather than texts:
//! the figures the reports store.

use std::fmt::Write as _;

/// `n / of`, or 0 when `of` is 0 (a share of nobody is no share).
pub(crate) fn ratio(n: u64, of: u64) -> f64 {
    if of == 0 { 0.0 } else { n as f64 / of as f64 }
}

/// `v` rounded to four decimals, and never `-0`.
///
/// The figures the dry-run and diff reports store (and so their JSON):
/// four decimals are enough for gains and costs, and make the reports the
/// same on every platform and thread count, where sums may differ in the
/// last bits. NaN and the infinities stay as they are. Far beyond any gain
/// or cost, the arithmetic shows: a huge `v` may come back one bit off
/// (1e21 as 1.0000000000000001e21), and `|v|` above about 1.8e304
/// overflows to an infinity.
pub(crate) fn round4(v: f64) -> f64 {
    let r = (v * 10_000.0).round() / 10_000.0;
    if r == 0.0 { 0.0 } else { r }
}

/// A count with thousands separators: 1234567 -> `1,234,567`.
///
/// Every count a table, a page or a summary line shows to people.
pub(crate) fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `v` with exactly `places` decimals, as Rust's `{:.N}` prints it: all the
/// integer digits (1e21 is `1000000000000000000000.00`), `-0.00` for minus
/// zero, `NaN`, `inf` and `-inf` as they are.
///
/// The decimals of the text tables and HTML pages (weights and factors with
/// four places, means with two).
pub(crate) fn fixed(v: f64, places: usize) -> String {
    format!("{v:.places$}")
}

/// `v` with two decimals: [`fixed`]`(v, 2)`.
///
/// Gains, costs and means in the dry-run, diff and trace tables and pages;
/// its own name because it is passed as a function (`map_or("-", decimal)`).
pub(crate) fn decimal(v: f64) -> String {
    fixed(v, 2)
}

/// [`fixed`], but `-` for NaN and the infinities.
///
/// The calibration tables, where a statistic that could not be computed
/// (an interval of a singular fit, a weight of a segment without one) is a
/// dash in its column rather than `NaN`.
pub(crate) fn fixed_or_dash(v: f64, places: usize) -> String {
    if v.is_finite() {
        fixed(v, places)
    } else {
        "-".into()
    }
}

/// A number as people write it: at most four decimals, no trailing zeros,
/// no trailing point, and `0` for anything that rounds to zero (`-0.00001`
/// too). `NaN`, `inf` and `-inf` as they are.
///
/// Gains and tolerances in the rule test report and in its failure
/// messages (`expected 2.5 ± 0.01, got 2.4`).
pub(crate) fn trimmed(v: f64) -> String {
    let text = fixed(v, 4);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.into()
    }
}

/// The shortest text that reads back as the same `f64`, as Rust's `{}`
/// prints it: `2.5`, `3`, `0.30000000000000004`, `-0`, all the integer
/// digits and no exponent (`1000000000000000000000`), `NaN`, `inf`.
///
/// The numbers of outputs that programs read, where no precision may be
/// lost: the dry-run report's CSV and the per-customer records of `score`
/// (CSV and JSON Lines).
pub(crate) fn shortest(v: f64) -> String {
    format!("{v}")
}

/// `n` as a percentage of `of` with one decimal (`12.5%`), or `-` when `of`
/// is 0.
///
/// Shares of customers in the dry-run and diff tables and pages.
pub(crate) fn percent(n: u64, of: u64) -> String {
    if of > 0 {
        format!("{:.1}%", 100.0 * n as f64 / of as f64)
    } else {
        "-".into()
    }
}

/// The significant digits a number of the records keeps: 15 is as many as
/// any decimal keeps through an f64 and back, so the noise of binary
/// arithmetic (`4.5 * 0.36` is `1.6199999999999999`) sits in the 16th
/// and 17th, and cutting them writes the number a person would (`1.62`).
pub(crate) const SIGNIFICANT: usize = 15;

/// `v` without the noise of binary arithmetic: the f64 nearest to `v` rounded
/// to 15 significant digits, so that it prints as `1.62`, not
/// `1.6199999999999999`. The change is below one part in 10^15, far below
/// any gain, weight or statistic a report shows; NaN and the infinities stay.
///
/// For every number that programs read (score records, and the JSON of the
/// explain, calibrate, dry-run and diff reports).
pub(crate) fn without_noise(v: f64) -> f64 {
    if !v.is_finite() || v == 0.0 {
        return v;
    }
    format!("{v:.prec$e}", prec = SIGNIFICANT - 1)
        .parse()
        .unwrap_or(v)
}

/// Appends `v` as the shortest text that reads back as [`without_noise`]`(v)`,
/// as Rust's `{}` prints it (no exponent).
///
/// The score records write several numbers per offer, and `{}` (then, for
/// noisy numbers, `{:.14e}`, a parse and `{}` again) was a sixth of `score`'s
/// time on the bundled package. So: ryu's shortest digits (the same digits
/// as `{}`: the shortest that read back, the closest of them), laid out
/// here. A number with more than 15 significant digits is rounded to 15
/// from those digits: that is rounding the exact value unless they end in a
/// lone `5` after the 15th (the exact value may then sit on either side of
/// the half), which goes the slow way; and a decimal of at most 15 digits
/// prints as itself after the round trip through f64. Zero, the subnormal
/// range, numbers near the overflow and NaN and the infinities go the slow
/// way too. `write_number_matches_the_round_trip` checks the two ways agree.
pub(crate) fn write_number(out: &mut String, v: f64) {
    let magnitude = v.abs();
    if !(1e-300..=1e300).contains(&magnitude) {
        write_number_slow(out, v);
        return;
    }
    let mut buffer = ryu::Buffer::new();
    let Some(mut decimal) = Decimal::parse(buffer.format_finite(v)) else {
        write_number_slow(out, v);
        return;
    };
    if decimal.len > SIGNIFICANT {
        if decimal.len == SIGNIFICANT + 1 && decimal.digits[SIGNIFICANT] == b'5' {
            write_number_slow(out, v);
            return;
        }
        decimal.round_to_significant();
    }
    decimal.write(out);
}

/// [`write_number`] the long way: `{}`, and for a noisy number
/// [`without_noise`] and `{}` again.
fn write_number_slow(out: &mut String, v: f64) {
    let start = out.len();
    let _ = write!(out, "{v}");
    let digits = out[start..]
        .bytes()
        .skip_while(|b| matches!(b, b'-' | b'0' | b'.'))
        .filter(u8::is_ascii_digit)
        .count();
    if digits > SIGNIFICANT {
        out.truncate(start);
        let _ = write!(out, "{}", without_noise(v));
    }
}

/// A nonzero decimal `0.DIGITS x 10^point`: significant digits without
/// leading or trailing zeros.
struct Decimal {
    negative: bool,
    /// ASCII digits; `len` of them are used (an f64's shortest text has at most 17).
    digits: [u8; 20],
    len: usize,
    point: i32,
}

impl Decimal {
    /// Reads ryu's text: `-`, then `123.45`, `0.001`, `3.0`, `1e21` or `1.5e-7`.
    fn parse(text: &str) -> Option<Decimal> {
        let bytes = text.as_bytes();
        let (negative, bytes) = match bytes.split_first() {
            Some((b'-', rest)) => (true, rest),
            _ => (false, bytes),
        };
        let (mantissa, exponent) = match bytes.iter().position(|&b| b == b'e') {
            Some(at) => (
                &bytes[..at],
                std::str::from_utf8(&bytes[at + 1..])
                    .ok()?
                    .parse::<i32>()
                    .ok()?,
            ),
            None => (bytes, 0),
        };
        let integer_digits = mantissa
            .iter()
            .position(|&b| b == b'.')
            .unwrap_or(mantissa.len());
        let mut decimal = Decimal {
            negative,
            digits: [b'0'; 20],
            len: 0,
            point: i32::try_from(integer_digits).ok()? + exponent,
        };
        for &b in mantissa.iter().filter(|&&b| b != b'.') {
            if !b.is_ascii_digit() {
                return None;
            }
            if decimal.len == 0 && b == b'0' {
                decimal.point -= 1;
                continue;
            }
            *decimal.digits.get_mut(decimal.len)? = b;
            decimal.len += 1;
        }
        decimal.trim();
        (decimal.len > 0).then_some(decimal)
    }

    fn trim(&mut self) {
        while self.len > 0 && self.digits[self.len - 1] == b'0' {
            self.len -= 1;
        }
    }

    /// Rounds to [`SIGNIFICANT`] digits, half up (no exact half reaches here).
    fn round_to_significant(&mut self) {
        let up = self.digits[SIGNIFICANT] >= b'5';
        self.len = SIGNIFICANT;
        if up {
            let mut at = SIGNIFICANT;
            loop {
                if at == 0 {
                    // All nines: 0.999.. becomes 0.1 x 10 more.
                    self.digits[0] = b'1';
                    self.len = 1;
                    self.point += 1;
                    break;
                }
                at -= 1;
                if self.digits[at] == b'9' {
                    self.digits[at] = b'0';
                } else {
                    self.digits[at] += 1;
                    break;
                }
            }
        }
        self.trim();
    }

    /// Writes it as `{}` writes an f64: all the integer digits, no exponent.
    fn write(&self, out: &mut String) {
        // Only ASCII digits were kept.
        let digits = std::str::from_utf8(&self.digits[..self.len]).unwrap_or_default();
        if self.negative {
            out.push('-');
        }
        let point = self.point;
        if point <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', point.unsigned_abs() as usize));
            out.push_str(digits);
        } else if (point as usize) < digits.len() {
            let (integer, fraction) = digits.split_at(point as usize);
            out.push_str(integer);
            out.push('.');
            out.push_str(fraction);
        } else {
            out.push_str(digits);
            out.extend(std::iter::repeat_n('0', point as usize - digits.len()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRICKY: [f64; 6] = [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        -0.0,
        1e21,
        0.1 + 0.2,
    ];

    #[test]
    fn ratio_of_nobody_is_zero() {
        assert_eq!(ratio(1, 4), 0.25);
        assert_eq!(ratio(0, 0), 0.0);
        assert_eq!(ratio(5, 0), 0.0);
        assert_eq!(ratio(u64::MAX, u64::MAX), 1.0);
    }

    #[test]
    fn round4_keeps_four_decimals_and_no_minus_zero() {
        assert_eq!(round4(0.1 + 0.2), 0.3);
        assert_eq!(round4(2.00005), 2.0001);
        assert_eq!(round4(-2.34567), -2.3457);
        assert_eq!(round4(1.23456789e9), 1234567890.0);
        assert_eq!(round4(9_007_199_254_740_993.0), 9_007_199_254_740_992.0);
        assert_eq!(round4(1e12 + 0.25), 1e12 + 0.25);
        assert_eq!(shortest(round4(1e21)), "1000000000000000100000");
        for tiny in [-0.0, -0.00001, 0.00004] {
            let r = round4(tiny);
            assert!(r == 0.0 && r.is_sign_positive(), "{tiny} -> {r}");
        }
        assert!(round4(f64::NAN).is_nan());
        assert_eq!(round4(f64::INFINITY), f64::INFINITY);
        assert_eq!(round4(f64::NEG_INFINITY), f64::NEG_INFINITY);
        assert_eq!(round4(f64::MAX), f64::INFINITY);
    }

    #[test]
    fn count_groups_thousands() {
        assert_eq!(count(0), "0");
        assert_eq!(count(12), "12");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(count(u64::MAX), "18,446,744,073,709,551,615");
    }

    #[test]
    fn fixed_prints_exactly_the_places() {
        let two: Vec<String> = TRICKY.iter().map(|&v| fixed(v, 2)).collect();
        assert_eq!(
            two,
            [
                "NaN",
                "inf",
                "-inf",
                "-0.00",
                "1000000000000000000000.00",
                "0.30"
            ]
        );
        assert_eq!(fixed(2.5, 0), "2");
        assert_eq!(fixed(3.5, 0), "4");
        assert_eq!(fixed(-1.23456, 4), "-1.2346");
        assert_eq!(fixed(-0.00001, 3), "-0.000");
        assert_eq!(fixed(9_007_199_254_740_993.0, 1), "9007199254740992.0");
    }

    #[test]
    fn decimal_is_fixed_with_two_places() {
        for v in TRICKY.into_iter().chain([2.5, -1.005, 1234.5678]) {
            assert_eq!(decimal(v), fixed(v, 2));
        }
        assert_eq!(decimal(-1.5), "-1.50");
        assert_eq!(decimal(1234.5678), "1234.57");
    }

    #[test]
    fn fixed_or_dash_dashes_what_is_not_finite() {
        let three: Vec<String> = TRICKY.iter().map(|&v| fixed_or_dash(v, 3)).collect();
        assert_eq!(
            three,
            [
                "-",
                "-",
                "-",
                "-0.000",
                "1000000000000000000000.000",
                "0.300"
            ]
        );
        assert_eq!(fixed_or_dash(-0.1234, 3), "-0.123");
        assert_eq!(fixed_or_dash(7.0, 0), "7");
    }

    #[test]
    fn trimmed_drops_trailing_zeros_and_minus_zero() {
        let texts: Vec<String> = TRICKY.iter().map(|&v| trimmed(v)).collect();
        assert_eq!(
            texts,
            ["NaN", "inf", "-inf", "0", "1000000000000000000000", "0.3"]
        );
        assert_eq!(trimmed(2.5), "2.5");
        assert_eq!(trimmed(100.0), "100");
        assert_eq!(trimmed(-2.0), "-2");
        assert_eq!(trimmed(0.01), "0.01");
        assert_eq!(trimmed(1.23456), "1.2346");
        assert_eq!(trimmed(-0.00001), "0");
        assert_eq!(trimmed(-0.00005), "-0.0001");
        assert_eq!(trimmed(9_007_199_254_740_993.0), "9007199254740992");
    }

    #[test]
    fn shortest_round_trips() {
        let texts: Vec<String> = TRICKY.iter().map(|&v| shortest(v)).collect();
        assert_eq!(
            texts,
            [
                "NaN",
                "inf",
                "-inf",
                "-0",
                "1000000000000000000000",
                "0.30000000000000004"
            ]
        );
        assert_eq!(shortest(3.0), "3");
        assert_eq!(shortest(-2.5), "-2.5");
        assert_eq!(shortest(1e-7), "0.0000001");
        assert_eq!(shortest(9_007_199_254_740_993.0), "9007199254740992");
        for v in [0.1 + 0.2, 1.0 / 3.0, -123.456, 1e21, 5e-324] {
            assert_eq!(shortest(v).parse::<f64>(), Ok(v));
        }
    }

    /// splitmix64, so the random test fails the same way every run.
    struct SplitMix(u64);

    impl SplitMix {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    fn fast(v: f64) -> String {
        let mut out = String::from("x");
        write_number(&mut out, v);
        out.split_off(1)
    }

    fn slow(v: f64) -> String {
        let mut out = String::from("x");
        write_number_slow(&mut out, v);
        out.split_off(1)
    }

    /// The ryu way and the round trip write the same text: on every kind of
    /// f64 (random bits, subnormals, the edges of the fast range), on the
    /// products and sums gains and loyalty figures are made of, and on
    /// numbers whose 16th digit is a lone 5 (the slow way's half).
    #[test]
    fn write_number_matches_the_round_trip() {
        let mut rng = SplitMix(0x0026_f10a_7000_0001);
        let check = |v: f64| assert_eq!(fast(v), slow(v), "{v:e} ({:#x})", v.to_bits());
        for v in TRICKY.into_iter().chain([
            0.0,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            f64::EPSILON,
            5e-324,
            1e-300,
            1e300,
            0.999_999_999_999_999_9,
            9.999_999_999_999_999,
            99_999_999_999_999.95,
            0.000_123_456_789_012_345_5,
            4.5 * 0.36,
            5.958_915_651_723_869,
            1e15,
            1e16,
            123_456_789_012_345_680_000.0,
        ]) {
            check(v);
            check(-v);
        }
        for _ in 0..100_000 {
            check(f64::from_bits(rng.next()));
        }
        for _ in 0..100_000 {
            // Short decimals, their products and sums: a gain times a factor.
            let a = rng.below(100_000) as f64 / 10f64.powi(rng.below(5) as i32);
            let b = rng.below(10_000) as f64 / 10f64.powi(rng.below(5) as i32);
            check(a * b);
            check(a + b);
            check(a / (b + 1.0));
            check(a * b * 1e-10);
            check(a * b * 1e12);
        }
        for _ in 0..20_000 {
            // 16 significant digits ending in 5: on a half at 15.
            let digits = 100_000_000_000_000 + rng.below(900_000_000_000_000);
            let exponent = rng.below(40) as i32 - 20;
            let text = format!("{digits}5e{exponent}");
            check(text.parse().unwrap());
        }
    }

    #[test]
    fn decimals_are_read_from_every_shape_of_ryu_text() {
        let read = |text: &str| {
            Decimal::parse(text).map(|d| {
                let digits = String::from_utf8(d.digits[..d.len].to_vec()).unwrap();
                (d.negative, digits, d.point)
            })
        };
        assert_eq!(read("123.45"), Some((false, "12345".into(), 3)));
        assert_eq!(read("-0.001"), Some((true, "1".into(), -2)));
        assert_eq!(read("3.0"), Some((false, "3".into(), 1)));
        assert_eq!(read("1e21"), Some((false, "1".into(), 22)));
        assert_eq!(read("-1.5e-7"), Some((true, "15".into(), -6)));
        assert_eq!(read("1.7976931348623157e308").map(|d| d.2), Some(309));
        assert_eq!(read("0.0"), None);
        assert_eq!(read("NaN"), None);
        assert_eq!(read("12345678901234567890123"), None);
    }

    #[test]
    fn percent_has_one_decimal_or_a_dash() {
        assert_eq!(percent(1, 8), "12.5%");
        assert_eq!(percent(2, 3), "66.7%");
        assert_eq!(percent(0, 5), "0.0%");
        assert_eq!(percent(5, 5), "100.0%");
        assert_eq!(percent(0, 0), "-");
        assert_eq!(percent(3, 0), "-");
    }
}
