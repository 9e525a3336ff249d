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
//! Arguments: ADDRESS [SECONDS] [CONNECTIONS...] [--batch N]. Any answer
//! other than 200 counts as an error; the run stops by itself.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const CUSTOMER: &str = r#"{"customerID":"LOAD-1","tenure":50,"InternetService":"Fiber optic","Contract":"Month-to-month","PaymentMethod":"Credit card (automatic)","MonthlyCharges":105,"TotalCharges":5000,"TechSupport":"Yes","OnlineSecurity":"Yes","StreamingTV":"Yes","Dependents":"No"}"#;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let batch = match args.iter().position(|a| a == "--batch") {
        Some(i) => {
            let n = args.get(i + 1).and_then(|n| n.parse().ok()).unwrap_or(1000);
            args.drain(i..(i + 2).min(args.len()));
            Some(n)
        }
        None => None,
    };
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
    println!("connections  requests/s  customers/s    p50 ms    p99 ms  errors");
    for n in connections {
        run(
            &address,
            &request,
            n,
            Duration::from_secs(seconds),
            batch.unwrap_or(1),
        );
    }
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
        "{connections:>11}  {rate:>10.0}  {:>11.0}  {:>8.3}  {:>8.3}  {errors:>6}",
        rate * per_request as f64,
        at(0.50),
        at(0.99)
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
        // Status line, headers, then Content-Length bytes of body.
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return (latencies, errors + 1);
        }
        let ok = line.split_whitespace().nth(1) == Some("200");
        let mut length = 0;
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
        }
        body.resize(length, 0);
        if reader.read_exact(&mut body).is_err() {
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
