//! Writes a deterministic sample of telecom customers for the example rule package.
//!
//! ```text
//! cargo run --release --example generate_customers -- [--rows N] [--seed S]
//!     [--format csv|jsonl] [--out PATH]
//! ```
//!
//! Defaults: 5000 rows, seed 42, CSV, standard output. The columns are the 21 of
//! IBM's "Telco Customer Churn" sample file, with the same spellings
//! (`SeniorCitizen` 0/1, `No phone service`, `No internet service`, a single
//! space in `TotalCharges` when tenure is 0, ...), followed by columns the telco
//! file lacks: `channel`, `open_complaints`, `nps` and four preference weights
//! `pref_*` (0..1, blank for about 5% of customers), and for the customers who
//! answered the satisfaction survey (about 30%) their score (`sat_*`, 0..100,
//! the perception) and expectation (`exp_*`, 0..100) on the four dimensions of
//! the satisfaction model. The survey columns come from a stream of their own,
//! so adding them left every other column as it was.
//!
//! The distributions are modelled on the telco file's: tenure is U-shaped over
//! 0..72 months, the contract depends on tenure, the monthly charge is the sum of
//! the subscribed products plus a little noise, churn is likelier on
//! month-to-month, fiber and electronic-check customers. No row of the real file
//! is copied.
//!
//! Deterministic: each row draws from its own generator seeded by (seed, row
//! number), so the same seed gives the same bytes, and the first N rows of a
//! larger run equal an N-row run. Only std is used (splitmix64 by hand, shared with
//! the tests in `tests/common/rng.rs`), and the example does not depend on the
//! vasrec library.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

#[path = "../tests/common/rng.rs"]
mod rng;
use rng::Rng;

const HEADER: [&str; 36] = [
    "customerID",
    "gender",
    "SeniorCitizen",
    "Partner",
    "Dependents",
    "tenure",
    "PhoneService",
    "MultipleLines",
    "InternetService",
    "OnlineSecurity",
    "OnlineBackup",
    "DeviceProtection",
    "TechSupport",
    "StreamingTV",
    "StreamingMovies",
    "Contract",
    "PaperlessBilling",
    "PaymentMethod",
    "MonthlyCharges",
    "TotalCharges",
    "Churn",
    "channel",
    "open_complaints",
    "nps",
    "pref_personalization",
    "pref_responsiveness",
    "pref_professionalism",
    "pref_price",
    "sat_personalization",
    "sat_responsiveness",
    "sat_professionalism",
    "sat_price",
    "exp_personalization",
    "exp_responsiveness",
    "exp_professionalism",
    "exp_price",
];

const USAGE: &str =
    "usage: generate_customers [--rows N] [--seed S] [--format csv|jsonl] [--out PATH]

  --rows N      number of customers (default 5000)
  --seed S      seed of the generator (default 42)
  --format F    csv (default) or jsonl
  --out PATH    file to write (default: standard output)";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Jsonl,
}

struct Options {
    rows: u64,
    seed: u64,
    format: Format,
    out: Option<String>,
}

fn parse_args() -> Result<Option<Options>, String> {
    let mut options = Options {
        rows: 5000,
        seed: 42,
        format: Format::Csv,
        out: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(None);
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_string(), Some(value.to_string()))
            }
            _ => (arg.clone(), None),
        };
        if !matches!(flag.as_str(), "--rows" | "--seed" | "--format" | "--out") {
            return Err(format!("unknown argument `{arg}`"));
        }
        let value = match inline {
            Some(value) => value,
            None => args
                .next()
                .ok_or_else(|| format!("`{flag}` needs a value"))?,
        };
        let number = |what: &str| -> Result<u64, String> {
            value
                .replace('_', "")
                .parse::<u64>()
                .map_err(|_| format!("`{what}` needs a whole number of 0 or more, not `{value}`"))
        };
        match flag.as_str() {
            "--rows" => options.rows = number("--rows")?,
            "--seed" => options.seed = number("--seed")?,
            "--format" => {
                options.format = match value.as_str() {
                    "csv" => Format::Csv,
                    "jsonl" | "json" => Format::Jsonl,
                    _ => return Err(format!("`--format` is csv or jsonl, not `{value}`")),
                }
            }
            _ => options.out = Some(value),
        }
    }
    Ok(Some(options))
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match &options.out {
        Some(path) => match File::create(path) {
            Ok(file) => write_all(BufWriter::with_capacity(1 << 20, file), &options),
            Err(error) => {
                eprintln!("error: cannot create `{path}`: {error}");
                return ExitCode::from(2);
            }
        },
        None => write_all(
            BufWriter::with_capacity(1 << 20, io::stdout().lock()),
            &options,
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // `generate_customers | head` is fine.
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: writing customers failed: {error}");
            ExitCode::from(2)
        }
    }
}

fn write_all<W: Write>(mut out: W, options: &Options) -> io::Result<()> {
    let mut line = Vec::with_capacity(512);
    if options.format == Format::Csv {
        line.extend_from_slice(HEADER.join(",").as_bytes());
        line.push(b'\n');
        out.write_all(&line)?;
    }
    let base = Rng(options.seed).next();
    for index in 1..=options.rows {
        let customer = Customer::generate(index, base);
        line.clear();
        match options.format {
            Format::Csv => customer.write_csv(&mut line),
            Format::Jsonl => customer.write_json(&mut line),
        }
        out.write_all(&line)?;
    }
    out.flush()
}

// ---- the customer model -------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Internet {
    Dsl,
    Fiber,
    None,
}

const CONTRACTS: [&str; 3] = ["Month-to-month", "One year", "Two year"];
const PAYMENTS: [&str; 4] = [
    "Electronic check",
    "Mailed check",
    "Bank transfer (automatic)",
    "Credit card (automatic)",
];
const CHANNELS: [&str; 3] = ["online", "retail", "call_center"];

/// Tenure bands (first month, last month, weight): the telco file's histogram,
/// with its spikes at 1 and 72 months and its 11 customers at 0.
const TENURE_BANDS: [(u32, u32, f64); 15] = [
    (0, 0, 11.0),
    (1, 1, 613.0),
    (2, 5, 747.0),
    (6, 11, 698.0),
    (12, 17, 568.0),
    (18, 23, 479.0),
    (24, 29, 453.0),
    (30, 35, 423.0),
    (36, 41, 364.0),
    (42, 47, 384.0),
    (48, 53, 416.0),
    (54, 59, 404.0),
    (60, 65, 450.0),
    (66, 71, 671.0),
    (72, 72, 362.0),
];

/// Add-on order: OnlineSecurity, OnlineBackup, DeviceProtection, TechSupport,
/// StreamingTV, StreamingMovies; take-up rates by internet type.
const ADDON_RATES_DSL: [f64; 6] = [0.49, 0.45, 0.44, 0.49, 0.40, 0.41];
const ADDON_RATES_FIBER: [f64; 6] = [0.27, 0.43, 0.44, 0.28, 0.57, 0.57];
/// Monthly price of each add-on, in cents.
const ADDON_PRICES: [u32; 6] = [500, 500, 500, 500, 1000, 1000];

struct Customer {
    index: u64,
    id_suffix: [u8; 5],
    female: bool,
    senior: bool,
    partner: bool,
    dependents: bool,
    tenure: u32,
    phone: bool,
    /// None: no phone service.
    multiple_lines: Option<bool>,
    internet: Internet,
    /// None: no internet service.
    addons: [Option<bool>; 6],
    contract: usize,
    paperless: bool,
    payment: usize,
    /// Multiple of 5 cents, 1825..=11875.
    monthly_cents: u64,
    /// None when tenure is 0 (written as a single space, like the telco file).
    total_cents: Option<u64>,
    churn: bool,
    channel: usize,
    open_complaints: u32,
    nps: Option<u32>,
    /// Hundredths, 0..=100; None is blank.
    prefs: [Option<u32>; 4],
    /// Survey answers: perception and expectation per dimension, 0..=100.
    survey: Option<([u32; 4], [u32; 4])>,
}

impl Customer {
    fn generate(index: u64, base: u64) -> Customer {
        let mut rng = Rng::for_row(base, index);
        let mut id_suffix = [0u8; 5];
        for letter in &mut id_suffix {
            *letter = b'A' + rng.below_scaled(26) as u8;
        }
        let female = rng.with_probability(0.495);
        let senior = rng.with_probability(0.162);
        let partner = rng.with_probability(0.483);
        let dependents = rng.with_probability(if partner { 0.52 } else { 0.10 });

        let weights: [f64; 15] = TENURE_BANDS.map(|band| band.2);
        let (low, high, _) = TENURE_BANDS[rng.pick_weighted(&weights)];
        let tenure = low + rng.below_scaled((high - low + 1) as usize) as u32;
        let years = f64::from(tenure) / 72.0;

        let internet = match rng.pick_weighted(if senior {
            &[0.23, 0.73, 0.04]
        } else {
            &[0.366, 0.385, 0.249]
        }) {
            0 => Internet::Dsl,
            1 => Internet::Fiber,
            _ => Internet::None,
        };
        // In the telco file every customer without phone service has DSL.
        let phone = !(internet == Internet::Dsl && rng.with_probability(0.28));
        let multiple_lines = phone.then(|| rng.with_probability(0.25 + 0.45 * years));

        let mut addons = [None; 6];
        if internet != Internet::None {
            let rates = if internet == Internet::Dsl {
                &ADDON_RATES_DSL
            } else {
                &ADDON_RATES_FIBER
            };
            for (addon, rate) in addons.iter_mut().zip(rates) {
                *addon = Some(rng.with_probability((rate * (0.55 + 0.9 * years)).min(0.97)));
            }
        }

        let contract_weights: &[f64] = match tenure {
            0..=5 => &[0.96, 0.02, 0.02],
            6..=11 => &[0.85, 0.10, 0.05],
            12..=23 => &[0.73, 0.19, 0.08],
            24..=47 => &[0.52, 0.31, 0.17],
            _ => &[0.16, 0.29, 0.55],
        };
        let contract = rng.pick_weighted(contract_weights);
        let paperless = rng.with_probability([0.67, 0.54, 0.46][contract]);
        let payment = rng.pick_weighted(match contract {
            0 => &[0.48, 0.23, 0.15, 0.14],
            1 => &[0.24, 0.23, 0.27, 0.26],
            _ => &[0.10, 0.23, 0.33, 0.34],
        });

        // The telco prices: phone 20, extra lines 5, DSL 25, fiber 50, each add-on 5
        // or 10, plus a little noise; rounded to 5 cents like the real file.
        let mut cents: u32 = 0;
        if phone {
            cents += 2000;
        }
        if multiple_lines == Some(true) {
            cents += 500;
        }
        cents += match internet {
            Internet::Dsl => 2500,
            Internet::Fiber => 5000,
            Internet::None => 0,
        };
        for (addon, price) in addons.iter().zip(ADDON_PRICES) {
            if *addon == Some(true) {
                cents += price;
            }
        }
        let noise = (rng.unit() + rng.unit()) * 300.0 - 250.0;
        let monthly = ((f64::from(cents) + noise) / 5.0).round() as u64 * 5;
        let monthly_cents = monthly.clamp(1825, 11875);

        // TotalCharges is only roughly tenure x monthly (prices changed over time);
        // like every amount in the telco file it is a multiple of 5 cents.
        let total_cents = match tenure {
            0 => None,
            1 => Some(monthly_cents),
            _ => {
                // Most bills barely moved; some customers upgraded recently (their
                // average bill so far is well below today's), a few downgraded.
                let drift = match rng.unit() {
                    u if u < 0.06 => 0.72 + 0.2 * rng.unit(),
                    u if u < 0.09 => 1.08 + 0.15 * rng.unit(),
                    _ => 1.0 + rng.bell() * 0.03,
                };
                Some((monthly_cents as f64 * f64::from(tenure) * drift / 5.0).round() as u64 * 5)
            }
        };

        let addon = |i: usize| addons[i] == Some(true);
        let logit = -0.35 + [0.0, -1.6, -3.0][contract] - 0.03 * f64::from(tenure)
            + if internet == Internet::Fiber {
                0.9
            } else {
                0.0
            }
            + if payment == 0 { 0.5 } else { 0.0 }
            + if senior { 0.3 } else { 0.0 }
            + if paperless { 0.3 } else { 0.0 }
            - if addon(3) { 0.5 } else { 0.0 }
            - if addon(0) { 0.4 } else { 0.0 };
        let churn = rng.with_probability(1.0 / (1.0 + (-logit).exp()));

        let channel = rng.pick_weighted(match (paperless, senior) {
            (true, false) => &[0.60, 0.25, 0.15],
            (true, true) => &[0.40, 0.30, 0.30],
            (false, false) => &[0.25, 0.45, 0.30],
            (false, true) => &[0.10, 0.50, 0.40],
        });

        // Mostly 0; likelier for churners, fiber lines and customers without support.
        let complaint_rate = 0.10
            + if churn { 0.12 } else { 0.0 }
            + if internet == Internet::Fiber {
                0.05
            } else {
                0.0
            }
            + if internet != Internet::None && !addon(3) {
                0.04
            } else {
                0.0
            };
        let mut open_complaints = 0;
        while open_complaints < 5 && rng.with_probability(complaint_rate) {
            open_complaints += 1;
        }

        let nps_draw =
            7.3 + 1.5 * years - if churn { 2.5 } else { 0.0 } - 1.5 * f64::from(open_complaints)
                + 1.6 * rng.bell();
        let nps = (!rng.with_probability(0.03)).then(|| nps_draw.round().clamp(0.0, 10.0) as u32);

        let high_bill = monthly_cents >= 8000;
        let means = [
            0.50 + if high_bill { 0.12 } else { 0.0 } + if partner { 0.04 } else { 0.0 },
            0.50 + if senior { 0.15 } else { 0.0 }
                + if internet == Internet::Fiber {
                    0.08
                } else {
                    0.0
                },
            0.47 + if addon(3) { 0.12 } else { 0.0 }
                + if internet == Internet::Fiber {
                    0.06
                } else {
                    0.0
                },
            0.42 + if contract == 0 { 0.15 } else { 0.0 } + if payment == 0 { 0.08 } else { 0.0 }
                - if monthly_cents >= 9000 { 0.10 } else { 0.0 },
        ];
        let mut prefs = [None; 4];
        if !rng.with_probability(0.035) {
            for (pref, mean) in prefs.iter_mut().zip(means) {
                let value = ((mean + 0.18 * rng.bell()).clamp(0.0, 1.0) * 100.0).round() as u32;
                // A few single answers are skipped too.
                *pref = (!rng.with_probability(0.004)).then_some(value);
            }
        }

        // The survey draws from a stream of its own: the columns above stay as
        // they were before it was added.
        let mut answers = Rng::for_row(base ^ 0x5EED_5A71_0C0F_FEE5, index);
        let survey = answers.with_probability(0.3).then(|| {
            // Promoters score their service higher; open complaints lower.
            let mood = nps.map_or(70.0, |n| 40.0 + 5.0 * f64::from(n))
                - 8.0 * f64::from(open_complaints.min(3));
            let pricey = if monthly_cents >= 9000 { 10.0 } else { 0.0 };
            let offsets = [-4.0, 0.0, 3.0, -6.0 - pricey];
            let mut perception = [0; 4];
            let mut expectation = [0; 4];
            for d in 0..4 {
                let score = mood + offsets[d] + 12.0 * answers.bell();
                perception[d] = score.clamp(0.0, 100.0).round() as u32;
                // Who cares more about a dimension expects more of it.
                let care = prefs[d].map_or(0.5, |p| f64::from(p) / 100.0);
                let expected = 72.0 + 20.0 * care + 6.0 * answers.bell();
                expectation[d] = expected.clamp(0.0, 100.0).round() as u32;
            }
            (perception, expectation)
        });

        Customer {
            index,
            id_suffix,
            female,
            senior,
            partner,
            dependents,
            tenure,
            phone,
            multiple_lines,
            internet,
            addons,
            contract,
            paperless,
            payment,
            monthly_cents,
            total_cents,
            churn,
            channel,
            open_complaints,
            nps,
            prefs,
            survey,
        }
    }

    /// The value of each column as it is written in CSV (without quoting: no
    /// value contains a comma, quote or line break). Numbers are written by the
    /// callers, so this only covers the text columns.
    fn texts(&self) -> [&'static str; 17] {
        let yes_no = |b: bool| if b { "Yes" } else { "No" };
        let addon = |a: Option<bool>| a.map_or("No internet service", yes_no);
        [
            if self.female { "Female" } else { "Male" },
            yes_no(self.partner),
            yes_no(self.dependents),
            yes_no(self.phone),
            self.multiple_lines.map_or("No phone service", yes_no),
            match self.internet {
                Internet::Dsl => "DSL",
                Internet::Fiber => "Fiber optic",
                Internet::None => "No",
            },
            addon(self.addons[0]),
            addon(self.addons[1]),
            addon(self.addons[2]),
            addon(self.addons[3]),
            addon(self.addons[4]),
            addon(self.addons[5]),
            CONTRACTS[self.contract],
            yes_no(self.paperless),
            PAYMENTS[self.payment],
            yes_no(self.churn),
            CHANNELS[self.channel],
        ]
    }

    fn write_id(&self, out: &mut Vec<u8>) {
        out.push(b'S');
        push_padded(out, self.index, 6);
        out.push(b'-');
        out.extend_from_slice(&self.id_suffix);
    }

    fn write_csv(&self, out: &mut Vec<u8>) {
        let t = self.texts();
        let field = |out: &mut Vec<u8>, value: &str| {
            out.push(b',');
            out.extend_from_slice(value.as_bytes());
        };
        self.write_id(out);
        field(out, t[0]); // gender
        out.push(b',');
        push_u64(out, u64::from(self.senior));
        field(out, t[1]); // Partner
        field(out, t[2]); // Dependents
        out.push(b',');
        push_u64(out, u64::from(self.tenure));
        // PhoneService .. PaymentMethod.
        for text in &t[3..=14] {
            field(out, text);
        }
        out.push(b',');
        push_money(out, self.monthly_cents);
        out.push(b',');
        match self.total_cents {
            Some(total) => push_money(out, total),
            None => out.push(b' '),
        }
        field(out, t[15]); // Churn
        field(out, t[16]); // channel
        out.push(b',');
        push_u64(out, u64::from(self.open_complaints));
        out.push(b',');
        if let Some(nps) = self.nps {
            push_u64(out, u64::from(nps));
        }
        for pref in self.prefs {
            out.push(b',');
            if let Some(hundredths) = pref {
                push_hundredths(out, hundredths);
            }
        }
        for i in 0..8 {
            out.push(b',');
            if let Some((perception, expectation)) = &self.survey {
                let value = if i < 4 {
                    perception[i]
                } else {
                    expectation[i - 4]
                };
                push_u64(out, u64::from(value));
            }
        }
        out.push(b'\n');
    }

    fn write_json(&self, out: &mut Vec<u8>) {
        let t = self.texts();
        let key = |out: &mut Vec<u8>, column: usize| {
            if column > 0 {
                out.push(b',');
            }
            out.push(b'"');
            out.extend_from_slice(HEADER[column].as_bytes());
            out.extend_from_slice(b"\":");
        };
        let text = |out: &mut Vec<u8>, value: &str| {
            out.push(b'"');
            out.extend_from_slice(value.as_bytes());
            out.push(b'"');
        };
        out.push(b'{');
        key(out, 0);
        out.push(b'"');
        self.write_id(out);
        out.push(b'"');
        key(out, 1);
        text(out, t[0]);
        key(out, 2);
        push_u64(out, u64::from(self.senior));
        key(out, 3);
        text(out, t[1]);
        key(out, 4);
        text(out, t[2]);
        key(out, 5);
        push_u64(out, u64::from(self.tenure));
        // PhoneService .. PaymentMethod are columns 6..=17, texts 3..=14.
        for column in 6..=17 {
            key(out, column);
            text(out, t[column - 3]);
        }
        key(out, 18);
        push_money(out, self.monthly_cents);
        key(out, 19);
        match self.total_cents {
            Some(total) => push_money(out, total),
            None => out.extend_from_slice(b"null"),
        }
        key(out, 20);
        text(out, t[15]);
        key(out, 21);
        text(out, t[16]);
        key(out, 22);
        push_u64(out, u64::from(self.open_complaints));
        key(out, 23);
        match self.nps {
            Some(nps) => push_u64(out, u64::from(nps)),
            None => out.extend_from_slice(b"null"),
        }
        for (i, pref) in self.prefs.iter().enumerate() {
            key(out, 24 + i);
            match pref {
                Some(hundredths) => push_hundredths(out, *hundredths),
                None => out.extend_from_slice(b"null"),
            }
        }
        for i in 0..8 {
            key(out, 28 + i);
            match &self.survey {
                Some((perception, expectation)) => {
                    let value = if i < 4 {
                        perception[i]
                    } else {
                        expectation[i - 4]
                    };
                    push_u64(out, u64::from(value));
                }
                None => out.extend_from_slice(b"null"),
            }
        }
        out.extend_from_slice(b"}\n");
    }
}

// ---- number formatting without allocation ---------------------------------------

fn push_u64(out: &mut Vec<u8>, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

/// Zero-padded to at least `width` digits.
fn push_padded(out: &mut Vec<u8>, value: u64, width: usize) {
    let mut digits = 1;
    let mut rest = value / 10;
    while rest > 0 {
        digits += 1;
        rest /= 10;
    }
    for _ in digits..width {
        out.push(b'0');
    }
    push_u64(out, value);
}

/// Cents as the telco file writes money: `84`, `42.3`, `29.85`.
fn push_money(out: &mut Vec<u8>, cents: u64) {
    push_u64(out, cents / 100);
    let fraction = cents % 100;
    if fraction != 0 {
        out.push(b'.');
        out.push(b'0' + (fraction / 10) as u8);
        if !fraction.is_multiple_of(10) {
            out.push(b'0' + (fraction % 10) as u8);
        }
    }
}

/// Hundredths as a weight with two decimals: `0.07`, `0.70`, `1.00`.
fn push_hundredths(out: &mut Vec<u8>, hundredths: u32) {
    out.push(b'0' + (hundredths / 100) as u8);
    out.push(b'.');
    out.push(b'0' + (hundredths / 10 % 10) as u8);
    out.push(b'0' + (hundredths % 10) as u8);
}
