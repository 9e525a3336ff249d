//! A dry-run made in parts, as a distributed job (Spark, a fleet of
//! containers) runs it, in one process: the bundled sample cut into parts,
//! capacity's demand collected per part and merged on the "driver", the
//! allocation sent back as JSON, a partial report per part, merged in
//! reverse order; the report equals one run's, byte for byte.
//!
//! ```text
//! cargo run --example split_run -- 3     # three parts (default 4)
//! ```

use std::io::Cursor;
use vasrec::batch::{self, RunError};
use vasrec::capacity::{Demand, PartialDemand, SharedAllocation};
use vasrec::partial::PartialReport;
use vasrec::report::{DryRunReport, Tally};
use vasrec::{Engine, InputFormat};

type Failure = Box<dyn std::error::Error>;

fn main() -> Result<(), Failure> {
    let parts: usize = std::env::args().nth(1).map_or(Ok(4), |n| n.parse())?;
    let engine = Engine::load("rules")?;
    let text = std::fs::read_to_string("rules/customers.csv")?;
    let (header, body) = text.split_once('\n').ok_or("no header")?;
    let rows: Vec<&str> = body.lines().collect();
    let size = rows.len().div_ceil(parts.max(1));
    // Each part: its own CSV (with the header), and the rows before it.
    let chunks: Vec<(u64, Vec<u8>)> = rows
        .chunks(size.max(1))
        .enumerate()
        .map(|(i, chunk)| {
            let csv = format!("{header}\n{}\n", chunk.join("\n"));
            ((i * size) as u64, csv.into_bytes())
        })
        .collect();
    let open = |bytes: &[u8]| {
        batch::open(
            &engine,
            "part",
            Box::new(Cursor::new(bytes.to_vec())),
            InputFormat::Csv,
        )
    };

    // Pass 1 on every worker: its demand, sent as JSON.
    let mut sent = Vec::new();
    for (offset, bytes) in &chunks {
        let mut demand = Demand::for_part(&engine, *offset);
        batch::run(
            &engine,
            open(bytes)?,
            1,
            || Demand::for_part(&engine, *offset),
            |chunk, _| {
                demand.merge(chunk);
                Ok::<(), ()>(())
            },
        )
        .map_err(|e| e.to_string())?;
        sent.push(PartialDemand::new(&engine, demand).to_json());
    }
    // The driver: merge the demands (any order), decide, broadcast.
    let mut total = PartialDemand::from_json(&sent[0])?;
    for text in &sent[1..] {
        total.merge(PartialDemand::from_json(text)?)?;
    }
    let broadcast = total.allocate(&engine)?.to_json();

    // Pass 2 on every worker: its partial report.
    let mut partials = Vec::new();
    for (offset, bytes) in &chunks {
        let allocation = SharedAllocation::from_json(&broadcast)?.for_part(&engine, *offset)?;
        let new_tally = || Tally::for_part(&engine, *offset, Some("rules/customers.csv"));
        let mut tally = new_tally();
        let result: Result<(), RunError<()>> = batch::run_allocated(
            &engine,
            open(bytes)?,
            1,
            Some(&allocation),
            new_tally,
            |chunk, _| {
                tally.merge(chunk);
                Ok(())
            },
        );
        result.map_err(|e| e.to_string())?;
        let partial = PartialReport::new(&engine, tally, "rules/customers.csv", Some(&allocation));
        partials.push(partial.to_json());
    }
    // The driver: merge the partials (here in reverse), then the report.
    let mut merged = PartialReport::from_json(&partials[partials.len() - 1])?;
    for text in partials.iter().rev().skip(1) {
        merged.merge(PartialReport::from_json(text)?)?;
    }
    let report = serde_json::to_string_pretty(&merged.report(&engine)?)?;

    // One run over the whole file, for comparison.
    let whole = open(text.as_bytes())?;
    let mut demand = Demand::new(&engine);
    batch::run(
        &engine,
        open(text.as_bytes())?,
        1,
        || Demand::new(&engine),
        |chunk, _| {
            demand.merge(chunk);
            Ok::<(), ()>(())
        },
    )
    .map_err(|e| e.to_string())?;
    let allocation = demand.allocate();
    let mut tally = Tally::new(&engine);
    let result: Result<(), RunError<()>> = batch::run_allocated(
        &engine,
        whole,
        1,
        Some(&allocation),
        || Tally::new(&engine),
        |chunk, _| {
            tally.merge(chunk);
            Ok(())
        },
    );
    result.map_err(|e| e.to_string())?;
    let one = DryRunReport::new(&engine, &tally, "rules/customers.csv").with_capacity(
        &engine,
        &tally,
        Some(&allocation),
    );
    let one = serde_json::to_string_pretty(&one)?;
    println!(
        "{} parts, {} bytes of partial reports: the merged report {} one run's",
        chunks.len(),
        partials.iter().map(String::len).sum::<usize>(),
        if report == one {
            "equals"
        } else {
            "DIFFERS FROM"
        }
    );
    if report == one {
        Ok(())
    } else {
        Err("the merged report differs".into())
    }
}
