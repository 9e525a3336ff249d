//! A bounded loopback load test for `vasrec serve`: keep-alive connections
//! on std threads, each sending `POST /v1/evaluate` (or batches) as fast as
//! answers come back, for a fixed time; prints requests/s and p50/p99.
//!
//! ```sh
//! cargo build --release --features serve
//! target/release/vasrec serve --listen 127.0.0.1:8080 &
//! cargo run --release --example serve_load -- 127.0.0.1:8080            # 1, 16, 64 connections, 5 s each
//! cargo run --release --example serve_load -- 127.0.0.1:8080 10 16 --batch 1000
//! kill %1
//! ```
//!
//! Arguments: ADDRESS [SECONDS] [CONNECTIONS...] [--batch N] [--reload-every
//! MS] [--rss PID]. Any answer other than 200 counts as an error; the run
//! stops by itself. `--reload-every` also sends `POST /v1/reload` on its own
//! connection at that interval (start the server with `--allow-reload`), to
//! see latency while the package is swapped; `--rss` samples the server's
//! resident memory once a second and prints its first, last and largest
//! value (a soak: `serve_load ADDR 300 16 --rss PID`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const CUSTOMER: &str = r#"{"customerID":"LOAD-1","tenure":50,"InternetService":"Fiber optic","Contract":"Month-to-month","PaymentMethod":"Credit card (automatic)","MonthlyCharges":105,"TotalCharges":5000,"TechSupport":"Yes","OnlineSecurity":"Yes","StreamingTV":"Yes","Dependents":"No"}"#;

/// Takes `--NAME VALUE` out of the arguments.
fn option(args: &mut Vec<String>, name: &str) -> Option<u64> {
    let i = args.iter().position(|a| a == name)?;
    let value = args.get(i + 1).and_then(|n| n.parse().ok());
    args.drain(i..(i + 2).min(args.len()));
    value
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let batch = option(&mut args, "--batch").map(|n| n as usize);
    let reload_every = option(&mut args, "--reload-every").map(Duration::from_millis);
    let rss_of = option(&mut args, "--rss");
    let address = args
        .first()
        .cloned()
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let seconds: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(5);
    let mut connections: Vec<usize> = args.iter().skip(2).filter_map(|s| s.parse().ok()).collect();
    if connections.is_empty() {
        connections = vec![1, 16, 64];
    }
    let (path, body) = match batch {
        Some(n) => (
            "/v1/evaluate/batch",
            format!("[{}]", vec![CUSTOMER; n].join(",")),
        ),
        None => ("/v1/evaluate", CUSTOMER.to_string()),
    };
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: load\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    println!(
        "{} to http://{address}{path}, {seconds} s per run",
        batch.map_or("single evaluations".to_string(), |n| format!(
            "batches of {n}"
        ))
    );
    println!(
        "connections  requests/s  customers/s    p50 ms    p99 ms  p99.9 ms    max ms  errors"
    );
    for n in connections {
        let length = Duration::from_secs(seconds);
        let until = Instant::now() + length;
        let reloads = reload_every.map(|every| {
            let address = address.clone();
            std::thread::spawn(move || reloader(&address, every, until))
        });
        let rss = rss_of.map(|pid| std::thread::spawn(move || sample_rss(pid, until)));
        run(&address, &request, n, length, batch.unwrap_or(1));
        if let Some(Ok((done, failed))) = reloads.map(|r| r.join()) {
            println!("             reloads: {done} done, {failed} failed");
        }
        if let Some(Ok(samples)) = rss.map(|r| r.join())
            && let (Some(first), Some(last), Some(most)) =
                (samples.first(), samples.last(), samples.iter().max())
        {
            println!(
                "             server RSS: first {first} KiB, last {last} KiB, largest {most} KiB ({} samples)",
                samples.len()
            );
        }
    }
}

/// `POST /v1/reload` every `every` until `until`: reloads that answered 200,
/// and those that did not.
fn reloader(address: &str, every: Duration, until: Instant) -> (u64, u64) {
    let (mut done, mut failed) = (0, 0);
    while Instant::now() + every < until {
        std::thread::sleep(every);
        let answer = TcpStream::connect(address).and_then(|mut stream| {
            stream.write_all(
                b"POST /v1/reload HTTP/1.1\r\nHost: load\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
            )?;
            let mut text = String::new();
            stream.read_to_string(&mut text)?;
            Ok(text)
        });
        match answer {
            Ok(text) if text.starts_with("HTTP/1.1 200") => done += 1,
            _ => failed += 1,
        }
    }
    (done, failed)
}

/// The resident memory (VmRSS, KiB) of process `pid`, once a second until `until`.
fn sample_rss(pid: u64, until: Instant) -> Vec<u64> {
    let mut samples = Vec::new();
    while Instant::now() < until {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        if let Some(kib) = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
        {
            samples.push(kib);
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    samples
}

fn run(address: &str, request: &str, connections: usize, length: Duration, per_request: usize) {
    let started = Instant::now();
    let until = started + length;
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let (address, request) = (address.to_string(), request.to_string());
            std::thread::spawn(move || client(&address, &request, until))
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for worker in workers {
        match worker.join() {
            Ok((mut l, e)) => {
                latencies.append(&mut l);
                errors += e;
            }
            Err(_) => errors += 1,
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |d: &Duration| d.as_secs_f64() * 1000.0)
    };
    let rate = latencies.len() as f64 / elapsed;
    println!(
        "{connections:>11}  {rate:>10.0}  {:>11.0}  {:>8.3}  {:>8.3}  {:>8.3}  {:>8.3}  {errors:>6}",
        rate * per_request as f64,
        at(0.50),
        at(0.99),
        at(0.999),
        at(1.0)
    );
}

/// One keep-alive connection until `until`: latencies of the 200s, and errors.
fn client(address: &str, request: &str, until: Instant) -> (Vec<Duration>, u64) {
    let mut latencies = Vec::with_capacity(1 << 16);
    let mut errors = 0;
    let Ok(stream) = TcpStream::connect(address) else {
        return (latencies, 1);
    };
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let Ok(mut writer) = stream.try_clone() else {
        return (latencies, 1);
    };
    let mut reader = BufReader::with_capacity(1 << 16, stream);
    let mut line = String::new();
    let mut body = Vec::new();
    while Instant::now() < until {
        let sent = Instant::now();
        if writer.write_all(request.as_bytes()).is_err() {
            return (latencies, errors + 1);
        }
        // Status line, headers, then the body: Content-Length bytes, or
        // chunks (batch answers are streamed).
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return (latencies, errors + 1);
        }
        let ok = line.split_whitespace().nth(1) == Some("200");
        let (mut length, mut chunked) = (0, false);
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return (latencies, errors + 1);
            }
            if line == "\r\n" {
                break;
            }
            if let Some((key, value)) = line.split_once(':')
                && key.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
            if let Some((key, value)) = line.split_once(':')
                && key.eq_ignore_ascii_case("transfer-encoding")
            {
                chunked = value.trim().eq_ignore_ascii_case("chunked");
            }
        }
        let read = if chunked {
            read_chunks(&mut reader, &mut line, &mut body)
        } else {
            body.resize(length, 0);
            reader.read_exact(&mut body).is_ok()
        };
        if !read {
            return (latencies, errors + 1);
        }
        if ok {
            latencies.push(sent.elapsed());
        } else {
            errors += 1;
        }
    }
    (latencies, errors)
}

/// Reads a chunked body into `body`; false if the connection broke.
fn read_chunks(reader: &mut impl BufRead, line: &mut String, body: &mut Vec<u8>) -> bool {
    body.clear();
    loop {
        line.clear();
        if reader.read_line(line).unwrap_or(0) == 0 {
            return false;
        }
        let Ok(size) = usize::from_str_radix(line.trim(), 16) else {
            return false;
        };
        let start = body.len();
        body.resize(start + size + 2, 0);
        if reader.read_exact(&mut body[start..]).is_err() {
            return false;
        }
        body.truncate(start + size);
        if size == 0 {
            return true;
        }
    }
}
