//! `vasrec explain`: why one customer got what it got.

use super::customers::{CustomerArgs, allocate, open_customers};
use super::{EXIT_OK, EXIT_USAGE, PackageArg, load, output};
use vasrec::batch::{self, Found};

#[derive(clap::Args)]
#[command(after_help = "Examples:
  vasrec explain --customer 7590-VHVEG                 a customer of the package's sample
  vasrec explain my-rules --customer C-17 --customers q3.csv
  vasrec explain --json '{\"customerID\": \"X-1\", \"tenure\": 3}'
  vasrec explain --customer 7590-VHVEG --format json")]
pub(super) struct Args {
    /// Id of the customer to explain (the catalog's `customer.id` attribute).
    #[arg(long, required_unless_present = "json")]
    customer: Option<String>,
    /// The customer given inline as a JSON object (keys: input columns or attribute names).
    #[arg(long, conflicts_with = "customer")]
    json: Option<String>,
    #[command(flatten)]
    package: PackageArg,
    #[command(flatten)]
    customers: CustomerArgs,
    /// Output: readable text, or the trace as JSON.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

pub(super) fn run(args: Args) -> u8 {
    let rules = match args.package.folder() {
        Ok(dir) => dir,
        Err(code) => return code,
    };
    let engine = match load(&rules) {
        Ok(engine) => engine,
        Err(code) => return code,
    };
    let mut allocated = None;
    let customer = if let Some(json) = &args.json {
        let value: serde_json::Value = match serde_json::from_str(json) {
            Ok(value) => value,
            Err(e) => {
                eprintln!("error: --json is not a JSON object: {e}");
                return EXIT_USAGE;
            }
        };
        match engine.customer_from_json(&value) {
            Ok(customer) => customer,
            Err(e) => {
                eprintln!("error: --json: {e}");
                return EXIT_USAGE;
            }
        }
    } else {
        let id = args.customer.clone().unwrap_or_default();
        // A limited service goes to the best of all customers: allocate over
        // the file first, as a dry-run does, so the answer is the same.
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let (allocation, spool) = match allocate(&engine, &rules, &args.customers, threads) {
            Ok(allocated) => allocated,
            Err(code) => return code,
        };
        let opened = open_customers(&engine, &rules, &args.customers, spool.as_ref(), true);
        let (reader, display) = match opened {
            Ok(opened) => opened,
            Err(code) => return code,
        };
        match batch::find(&engine, reader, &id) {
            Ok(Found::Customer(customer, line)) => {
                allocated = allocation.map(|a| (a, line));
                *customer
            }
            Ok(Found::NotFound { unreadable }) => {
                eprintln!("error: no customer with id `{id}` in {display}");
                if let Some(first) = unreadable.first() {
                    eprintln!(
                        "({} rows could not be read; the first: {first})",
                        unreadable.len()
                    );
                }
                return EXIT_USAGE;
            }
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_USAGE;
            }
        }
    };
    let explanation = match &allocated {
        Some((allocation, line)) => {
            vasrec::explain_allocated(&engine, &customer, allocation, *line)
        }
        None => vasrec::explain(&engine, &customer),
    };
    let text = match args.format {
        Format::Text => explanation.to_text(),
        Format::Json => serde_json::to_string_pretty(&explanation).unwrap_or_default() + "\n",
    };
    if let Err(e) = output::write(None, &text) {
        eprintln!("error: {e}");
        return EXIT_USAGE;
    }
    EXIT_OK
}
