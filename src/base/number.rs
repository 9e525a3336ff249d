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

/// Appends `v` as the shortest text that reads back as [`without_noise`]`(v)`.
/// Most numbers need no rounding (their shortest text has at most 15
/// significant digits), so they are written once, without the slower round trip.
pub(crate) fn write_number(out: &mut String, v: f64) {
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
