//! Writes a deterministic, synthetic airline passenger survey for `vasrec calibrate`.
//!
//! ```text
//! cargo run --example generate_survey -- [--rows N] [--seed S] [--first-id K] [--out PATH]
//! ```
//!
//! Defaults: 400 rows, seed 1, ids from 1, standard output. The bundled samples
//! are written with
//!
//! ```text
//! cargo run --example generate_survey -- --rows 400 --seed 1 --out examples/airline/survey-sample.csv
//! cargo run --example generate_survey -- --rows 200 --seed 2 --first-id 401 --out examples/airline/survey-sample-test.csv
//! ```
//!
//! The columns, their spellings and their quirks are those of the Kaggle survey
//! "Airline Passenger Satisfaction" (teejmahal20), which `examples/airline`
//! reads: an unnamed first column holding a row index from 0, `id`, `Gender`,
//! `Customer Type` (`Loyal Customer` / `disloyal Customer`), `Age`, `Type of
//! Travel` (`Business travel` / `Personal Travel`), `Class` (Business, Eco,
//! Eco Plus), `Flight Distance`, 14 service ratings from 1 to 5 where **0 means
//! "not rated"** (most often for wifi, time convenience, online booking and
//! online boarding; never for baggage handling), `Departure Delay in Minutes`
//! as a whole number, `Arrival Delay in Minutes` written as a decimal (`18.0`)
//! and sometimes empty, and the label `satisfaction` (`satisfied` / `neutral
//! or dissatisfied`). Lines end in CRLF, as in the Kaggle files. No row of the
//! real survey is copied or used: every value is drawn here.
//!
//! The label follows a known logistic model of the ratings ([`COEFFICIENTS`],
//! on ratings centred at 3), plus a class and a travel-type term, so
//! `vasrec calibrate` has real signal to find: online boarding and wifi matter
//! most, time convenience and food count against. A rating the passenger left
//! unrated still shaped the label (the opinion was there, only unrecorded).
//!
//! Deterministic: each row draws from its own generator seeded by (seed, row
//! number). Only std is used (splitmix64 by hand, shared with the tests in
//! `tests/common/rng.rs`), and the example does not depend on the vasrec
//! library.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

#[path = "../tests/common/rng.rs"]
mod rng;
use rng::Rng;

/// The 14 rated service areas, as the survey's columns spell them.
const RATINGS: [&str; 14] = [
    "Inflight wifi service",
    "Departure/Arrival time convenient",
    "Ease of Online booking",
    "Gate location",
    "Food and drink",
    "Online boarding",
    "Seat comfort",
    "Inflight entertainment",
    "On-board service",
    "Leg room service",
    "Baggage handling",
    "Checkin service",
    "Inflight service",
    "Cleanliness",
];

/// Log-odds of `satisfied` per rating point above 3, in the order of [`RATINGS`].
const COEFFICIENTS: [f64; 14] = [
    0.55, -0.45, 0.15, 0.05, -0.10, 0.95, 0.20, 0.35, 0.30, 0.35, 0.10, 0.25, 0.05, 0.10,
];

/// Chance that a rating is left "not rated" (written 0), in the order of [`RATINGS`].
const NOT_RATED: [f64; 14] = [
    0.030, 0.050, 0.043, 0.002, 0.002, 0.024, 0.001, 0.001, 0.001, 0.005, 0.0, 0.001, 0.001, 0.001,
];

/// How much each rating follows the passenger's overall mood (0..1); the rest is
/// the item's own noise. Wifi, booking and boarding move together, as the
/// online services do in the real survey.
const LOADING: [f64; 14] = [
    0.45, 0.20, 0.45, 0.20, 0.50, 0.55, 0.55, 0.65, 0.55, 0.45, 0.45, 0.40, 0.45, 0.60,
];

const USAGE: &str = "usage: generate_survey [--rows N] [--seed S] [--first-id K] [--out PATH]

  --rows N       number of passengers (default 400)
  --seed S       seed of the generator (default 1)
  --first-id K   id of the first passenger (default 1); the index column starts at 0
  --out PATH     file to write (default: standard output)";

struct Options {
    rows: u64,
    seed: u64,
    first_id: u64,
    out: Option<String>,
}

fn parse_args() -> Result<Option<Options>, String> {
    let mut options = Options {
        rows: 400,
        seed: 1,
        first_id: 1,
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
        if !matches!(flag.as_str(), "--rows" | "--seed" | "--first-id" | "--out") {
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
            "--first-id" => options.first_id = number("--first-id")?,
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
            Ok(file) => write_all(BufWriter::new(file), &options),
            Err(error) => {
                eprintln!("error: cannot create `{path}`: {error}");
                return ExitCode::from(2);
            }
        },
        None => write_all(BufWriter::new(io::stdout().lock()), &options),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // `generate_survey | head` is fine.
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: writing the survey failed: {error}");
            ExitCode::from(2)
        }
    }
}

fn write_all<W: Write>(mut out: W, options: &Options) -> io::Result<()> {
    let mut header =
        String::from(",id,Gender,Customer Type,Age,Type of Travel,Class,Flight Distance");
    for name in RATINGS {
        header.push(',');
        header.push_str(name);
    }
    header.push_str(",Departure Delay in Minutes,Arrival Delay in Minutes,satisfaction\r\n");
    out.write_all(header.as_bytes())?;
    let base = Rng(options.seed).next();
    for index in 0..options.rows {
        let id = options.first_id + index;
        let passenger = Passenger::generate(&mut Rng::for_row(base, id));
        out.write_all(passenger.csv_line(index, id).as_bytes())?;
    }
    out.flush()
}

// ---- the passenger model ------------------------------------------------------

const CLASSES: [&str; 3] = ["Business", "Eco", "Eco Plus"];

struct Passenger {
    female: bool,
    loyal: bool,
    age: u32,
    business_travel: bool,
    class: usize,
    distance: u32,
    /// 1..=5, or 0 for "not rated".
    ratings: [u32; 14],
    departure_delay: u32,
    /// None is written as an empty field.
    arrival_delay: Option<u32>,
    satisfied: bool,
}

impl Passenger {
    fn generate(rng: &mut Rng) -> Passenger {
        let female = rng.with_probability(0.51);
        let loyal = rng.with_probability(0.82);
        let age = (40.0 + 15.0 * rng.bell()).round().clamp(7.0, 85.0) as u32;
        let business_travel = rng.with_probability(0.69);
        let class = if business_travel {
            rng.pick_weighted(&[0.60, 0.32, 0.08])
        } else {
            rng.pick_weighted(&[0.10, 0.80, 0.10])
        };
        let long_haul = if class == 0 { 2_000.0 } else { 900.0 };
        let distance = (long_haul * (0.2 + 1.8 * rng.unit()) + 200.0 * rng.bell())
            .round()
            .clamp(31.0, 4_983.0) as u32;
        // The passenger's overall mood, and the label's log-odds from the true
        // (possibly unrecorded) ratings.
        let mood = rng.bell();
        let mut true_ratings = [3u32; 14];
        let mut logit = -0.35
            + if class == 0 { 0.40 } else { -0.20 }
            + if business_travel { 0.30 } else { -0.60 };
        for (i, rating) in true_ratings.iter_mut().enumerate() {
            let load = LOADING[i];
            let latent = 3.0 + 1.25 * (load * mood + (1.0 - load * load).sqrt() * rng.bell());
            *rating = latent.round().clamp(1.0, 5.0) as u32;
            logit += COEFFICIENTS[i] * (f64::from(*rating) - 3.0);
        }
        let satisfied = rng.unit() < 1.0 / (1.0 + (-logit).exp());
        let mut ratings = true_ratings;
        for (i, rating) in ratings.iter_mut().enumerate() {
            if rng.with_probability(NOT_RATED[i]) {
                *rating = 0;
            }
        }
        let departure_delay = if rng.with_probability(0.56) {
            0
        } else {
            (-30.0 * (1.0 - rng.unit()).ln()).round().min(1_592.0) as u32
        };
        let arrival_delay = if rng.with_probability(0.01) {
            None
        } else {
            let drift = 8.0 * rng.bell();
            Some((f64::from(departure_delay) + drift).round().max(0.0) as u32)
        };
        Passenger {
            female,
            loyal,
            age,
            business_travel,
            class,
            distance,
            ratings,
            departure_delay,
            arrival_delay,
            satisfied,
        }
    }

    fn csv_line(&self, index: u64, id: u64) -> String {
        let mut line = format!(
            "{index},{id},{},{},{},{},{},{}",
            if self.female { "Female" } else { "Male" },
            if self.loyal {
                "Loyal Customer"
            } else {
                "disloyal Customer"
            },
            self.age,
            if self.business_travel {
                "Business travel"
            } else {
                "Personal Travel"
            },
            CLASSES[self.class],
            self.distance,
        );
        for rating in self.ratings {
            line.push_str(&format!(",{rating}"));
        }
        line.push_str(&format!(",{},", self.departure_delay));
        if let Some(delay) = self.arrival_delay {
            line.push_str(&format!("{delay}.0"));
        }
        line.push_str(if self.satisfied {
            ",satisfied\r\n"
        } else {
            ",neutral or dissatisfied\r\n"
        });
        line
    }
}
