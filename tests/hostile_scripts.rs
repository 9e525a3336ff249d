//! Hostile rhai scripts: nothing a script does blocks, panics or runs on
//! past the limits. `sleep` is gone, builtins called with absurd arguments
//! end as a script error or a value, and a script that spends its time in
//! builtins (which count as one operation each) is stopped by the
//! wall-clock budget (`scripts.max_milliseconds`).
//!
//! No test here depends on timing tighter than "under 2 seconds".

mod common;

use common::{TempDir, copy_rules, vasrec};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use vasrec::{Engine, EvalErrorKind};

const CATALOG: &str = r#"
package: hostile
max_offers: 3
services:
  - { id: manager, name: 经理, category: personalization, stage: after_sale, channel: omni, participation: active, cost: 1 }
  - { id: callback, name: 回访, category: after_sales, stage: after_sale, channel: omni, participation: passive, cost: 1, default_gain: 1 }
customer:
  attributes:
    - { name: spend, type: number }
"#;

/// The most any case may take, far above what one should take.
const SLOW: Duration = Duration::from_secs(2);

/// How a gain script `{ body }` run for one customer ended: its gain, or the
/// script error. Runs on a thread of its own, so that a panic or a hang is
/// reported with the script rather than taking the test run down.
fn run(catalog: &str, body: &str) -> (Result<f64, String>, Duration) {
    match try_run(catalog, body) {
        Ok(result) => result,
        Err(why) => panic!("{why}"),
    }
}

/// [`run`], with a panic or a hang as an error.
fn try_run(catalog: &str, body: &str) -> Result<(Result<f64, String>, Duration), String> {
    let rules = format!(
        "segment everyone {{ when true }}\nrule hostile for everyone {{\n  offer manager\n  gain script {{\n{body}\n  }}\n}}\n"
    );
    let catalog = catalog.to_string();
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let engine = match Engine::from_sources(&catalog, &[("rules.vas", &rules)]) {
            Ok(engine) => engine,
            Err(e) => {
                let _ = send.send((Err(format!("does not compile: {e}")), Duration::ZERO));
                return;
            }
        };
        let customer = engine.customer().set("spend", 120.0).build().unwrap();
        let started = Instant::now();
        let outcome = match engine.evaluate(&customer) {
            Ok(offers) => Ok(offers.first().map_or(f64::NAN, |o| o.gain)),
            Err(e) => match e.kind {
                EvalErrorKind::Script { message, .. } => Err(message),
                other => Err(format!("not a script error: {other:?}")),
            },
        };
        let _ = send.send((outcome, started.elapsed()));
    });
    match receive.recv_timeout(Duration::from_secs(20)) {
        Ok(result) => Ok(result),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(format!("`{body}` hangs")),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(format!("`{body}` panics")),
    }
}

/// The script error `body` ends with, within [`SLOW`].
fn fails(body: &str) -> String {
    let (outcome, took) = run(CATALOG, body);
    assert!(took < SLOW, "`{body}` took {took:?}");
    match outcome {
        Err(message) => {
            assert!(!message.starts_with("not a script error"), "{message}");
            message
        }
        Ok(gain) => panic!("`{body}` should fail, gave {gain}"),
    }
}

#[test]
fn sleep_is_an_error_not_a_wait() {
    for body in [
        "sleep(10); 1.0",
        "sleep(10.0); 1.0",
        "sleep(9223372036854775807); 1.0",
        "sleep(1e300); 1.0",
        "sleep(-1); 1.0",
        "sleep(()); 1.0",
        "let f = Fn(\"sleep\"); f.call(10); 1.0",
        "call(Fn(\"sleep\"), 10); 1.0",
    ] {
        let message = fails(body);
        assert!(
            message.contains("sleep is not available in rule scripts"),
            "`{body}`: {message}"
        );
    }
}

#[test]
fn sleep_in_a_callback_does_not_wait() {
    // rhai's `sort` ignores errors of its comparer: no wait, whatever the result.
    let (outcome, took) = run(CATALOG, "[3, 2, 1].sort(|a, b| { sleep(10); a - b }); 1.0");
    assert!(took < SLOW, "took {took:?}");
    if let Err(message) = outcome {
        assert!(message.contains("sleep is not available"), "{message}");
    }
}

#[test]
fn the_language_core_is_absent() {
    // Beside `sleep`: `exit`, `take`, tags and `parse_json` are not there.
    for body in [
        "exit(1.0)",
        "let x = 1; take(x); 1.0",
        "parse_json(\"{}\"); 1.0",
        "eval(\"1.0\")",
    ] {
        let (outcome, took) = run(CATALOG, body);
        assert!(took < SLOW, "`{body}` took {took:?}");
        assert!(outcome.is_err(), "`{body}`: {outcome:?}");
    }
    // Printing is allowed and goes nowhere.
    let (outcome, _) = run(CATALOG, "print(1); debug(2); 1.0");
    assert_eq!(outcome, Ok(1.0));
}

/// Each builtin call is one operation whatever it costs: a loop of searches
/// in a large array passes few operations, and the clock stops it.
#[test]
fn builtins_that_take_long_are_stopped_by_the_clock() {
    let catalog =
        format!("{CATALOG}scripts: {{ max_operations: 100000000, max_milliseconds: 20 }}\n");
    let body = "let a = []; a.pad(1000, 0); let n = 0; loop { n += a.index_of(-1); } 1.0";
    let (outcome, took) = run(&catalog, body);
    assert!(took < SLOW, "took {took:?}");
    let message = outcome.unwrap_err();
    assert!(
        message.contains("took longer than 20 ms") && message.contains("scripts.max_milliseconds"),
        "{message}"
    );

    // The default limits: the operation limit or the clock, whichever first.
    let body = "let a = []; a.pad(1000, 0); let n = 0; loop { n += a.index_of(-1); } 1.0";
    let message = fails(body);
    assert!(
        message.contains("scripts.max_operations") || message.contains("scripts.max_milliseconds"),
        "{message}"
    );
}

#[test]
fn the_clock_budget_comes_from_the_catalog() {
    let catalog =
        format!("{CATALOG}scripts: {{ max_operations: 100000000, max_milliseconds: 5 }}\n");
    let body = "let a = []; a.pad(1000, 0); loop { a.index_of(-1); } 1.0";
    let (outcome, took) = run(&catalog, body);
    assert!(took < SLOW, "took {took:?}");
    let message = outcome.unwrap_err();
    assert!(message.contains("took longer than 5 ms"), "{message}");
}

/// Builtins with absurd arguments: each ends as a value or a script error,
/// never a panic (a debug build checks overflows too) or a hang.
#[test]
fn absurd_arguments_end_as_a_value_or_an_error() {
    const MIN: &str = "(-9223372036854775807 - 1)";
    const MAX: &str = "9223372036854775807";
    let cases = [
        // Padding.
        "\"x\".pad(1e18, \"y\")".to_string(),
        "\"x\".pad(1000000000000000000, \"y\")".to_string(),
        format!("\"x\".pad({MAX}, 'y')"),
        format!("\"x\".pad({MIN}, 'y')"),
        "[].pad(1000000000000000000, 0)".to_string(),
        "[].pad(1e18, 0)".to_string(),
        format!("[1].pad({MAX}, [1, 2])"),
        format!("[1].pad({MIN}, 0)"),
        "\"x\".pad(10, \"\")".to_string(),
        "\"x\".pad(4000, \"\")".to_string(),
        "\"x\".pad(4000, \"yz\")".to_string(),
        "\"x\".pad(5000, \"yz\")".to_string(),
        "let a = [\"x\".pad(4000, \"y\")]; a.pad(1000, a[0]); a".to_string(),
        "let a = [#{a: 1}]; a.pad(1000, #{a: 1, b: 2}); a".to_string(),
        "let a = []; for i in 0..3000 { a = [a]; } a".to_string(),
        // Ranges.
        "range(0, 1e18)".to_string(),
        "for i in range(0, 1000000000000000000) { }".to_string(),
        "for i in range(0, 10, 0) { }".to_string(),
        "for i in range(0.0, 1.0, 0.0) { }".to_string(),
        format!("for i in range({MIN}, {MAX}, {MAX}) {{ }}"),
        format!("for i in range({MAX}, {MIN}, {MIN}) {{ }}"),
        format!("for i in 9223372036854775800..={MAX} {{ }}"),
        format!("for i in ({MAX} - 1)..{MAX} {{ }}"),
        format!("({MIN}..{MAX}).len"),
        format!("(0..={MAX}).len"),
        format!("({MIN}..={MAX}).contains(0)"),
        // Powers and integer arithmetic.
        "2 ** 1000000000000".to_string(),
        format!("2 ** {MAX}"),
        format!("2 ** {MIN}"),
        "2 ** -1".to_string(),
        "2.0 ** 1e300".to_string(),
        "2.0 ** 1000000000000".to_string(),
        format!("{MIN} ** 2"),
        format!("-{MIN}"),
        format!("abs({MIN})"),
        format!("{MIN} / -1"),
        format!("{MIN} % -1"),
        format!("{MAX} + 1"),
        "1 / 0".to_string(),
        "1 % 0".to_string(),
        "1 << 64".to_string(),
        "1 << -1".to_string(),
        format!("1 >> {MAX}"),
        format!("1 << {MIN}"),
        format!("sign({MIN})"),
        // Conversions.
        "to_int(1e300)".to_string(),
        "to_int(-1e300)".to_string(),
        "(0.0 / 0.0).to_int()".to_string(),
        "floor(1e300).to_int()".to_string(),
        "parse_int(\"99999999999999999999\")".to_string(),
        "parse_int(\"-9223372036854775809\")".to_string(),
        "parse_int(\"1\", 0)".to_string(),
        "parse_int(\"1\", 99)".to_string(),
        format!("parse_int(\"1\", {MIN})"),
        "parse_float(\"1e400\")".to_string(),
        format!("to_binary({MIN})"),
        format!("to_hex({MIN})"),
        // Strings.
        format!("\"abc\".sub_string({MAX}, {MAX})"),
        format!("\"abc\".sub_string({MIN}, {MAX})"),
        format!("\"abc\".sub_string(1, {MIN})"),
        format!("\"abc\".sub_string({MIN})"),
        format!("\"abc\".sub_string(1..{MAX})"),
        format!("\"abc\".sub_string({MIN}..={MAX})"),
        format!("\"abc\".sub_string({MAX}..={MAX})"),
        "\"a,b\".split(\",\", 1000000000000000000)".to_string(),
        format!("\"a,b\".split(\",\", {MIN})"),
        format!("\"a,b\".split(',', {MAX})"),
        format!("\"a b\".split({MAX})"),
        format!("\"a b\".split({MIN})"),
        format!("let s = \"abc\"; s.crop({MIN}); s"),
        format!("let s = \"abc\"; s.crop({MAX}, {MAX}); s"),
        format!("let s = \"abc\"; s.crop({MIN}..={MAX}); s"),
        format!("let s = \"abc\"; s.truncate({MIN}); s"),
        format!("\"abc\"[{MIN}]"),
        format!("\"abc\"[{MAX}]"),
        format!("\"abc\".get({MIN})"),
        format!("\"abc\".index_of(\"b\", {MIN})"),
        format!("\"abc\".index_of('b', {MAX})"),
        format!("\"abc\".index_of(\"\", {MAX})"),
        format!("for c in \"abc\".chars({MIN}, {MAX}) {{ }}"),
        format!("for c in \"abc\".chars({MIN}..={MAX}) {{ }}"),
        format!("for c in \"abc\".chars({MAX}) {{ }}"),
        format!("\"abc\".bytes({MIN}, {MAX})"),
        "let s = \"x\".pad(4000, \"x\"); s.replace(\"\", s); s".to_string(),
        "let s = \"x\".pad(4000, \"x\"); s + s".to_string(),
        // Arrays.
        format!("[1, 2][{MIN}]"),
        format!("[1, 2][{MAX}]"),
        format!("[1, 2].get({MIN})"),
        format!("[1, 2].extract({MIN}, {MAX})"),
        format!("[1, 2].extract({MAX}, {MAX})"),
        format!("[1, 2].extract(0..={MAX})"),
        format!("[1, 2].extract({MIN}..={MAX})"),
        format!("let a = [1, 2]; a.drain({MIN}, {MAX}); a"),
        format!("let a = [1, 2]; a.drain({MIN}..={MAX}); a"),
        format!("let a = [1, 2]; a.retain({MIN}, {MAX}); a"),
        format!("let a = [1, 2]; a.splice({MIN}, {MAX}, [3]); a"),
        format!("let a = [1, 2]; a.splice({MAX}, {MAX}, [3]); a"),
        format!("let a = [1, 2]; a.insert({MAX}, 1); a"),
        format!("let a = [1, 2]; a.insert({MIN}, 1); a"),
        format!("let a = [1, 2]; a.split({MIN}); a"),
        format!("let a = [1, 2]; a.split({MAX}); a"),
        format!("let a = [1, 2]; a.chop({MIN}); a"),
        format!("let a = [1, 2]; a.truncate({MIN}); a"),
        format!("let a = [1, 2]; a.remove({MIN}); a"),
        format!("[1, 2].index_of(1, {MIN})"),
        format!("[1, 2].index_of(1, {MAX})"),
        "let a = []; a.pad(1024, 0); a.pad(2000, 0); a".to_string(),
        "let a = []; a.pad(1000, 0); a + a".to_string(),
        // Bit fields.
        "0.get_bit(64)".to_string(),
        format!("0.get_bit({MIN})"),
        format!("0.get_bits({MIN}, {MAX})"),
        format!("0.get_bits(0, {MAX})"),
        format!("0.get_bits(0..={MAX})"),
        format!("let x = 0; x.set_bits({MIN}, {MAX}, 1); x"),
        format!("let x = 0; x.set_bit({MIN}, true); x"),
        format!("for b in 0.bits({MIN}) {{ }}"),
        format!("for b in 0.bits(0, {MAX}) {{ }}"),
        // Functions and reflection.
        "Fn(\"eval\").call(\"1\")".to_string(),
        format!("is_def_fn(\"f\", {MAX})"),
        format!("is_def_fn(\"f\", {MIN})"),
        "let f = |x| x; f.curry(1).curry(2).call()".to_string(),
    ];
    let mut wrong = Vec::new();
    for case in cases {
        // As a statement and as the script's value.
        for body in [format!("{case};\n1.0"), case.clone()] {
            match try_run(CATALOG, &body) {
                Err(why) => wrong.push(why),
                Ok((_, took)) if took >= SLOW => wrong.push(format!("`{body}` took {took:?}")),
                Ok((Err(message), _)) if message.starts_with("not a script error") => {
                    wrong.push(format!("`{body}`: {message}"));
                }
                Ok(_) => {}
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The real binary: a dry-run over the sample customers of a package with a
/// rule whose gain sleeps ends with the usual exit code for evaluation
/// errors (2), not a crash (101) and not a wait of seconds per customer.
#[test]
fn a_sleeping_gain_in_a_dry_run_neither_waits_nor_crashes() {
    let dir = TempDir::new("sleeping-script");
    copy_rules(dir.path());
    std::fs::write(
        dir.path().join("sleepy.vas"),
        "rule sleepy for everyone {\n  offer cloud_backup\n  gain script { sleep(10); 1.0 }\n}\n\
         rule sleepy_forever for everyone {\n  offer cloud_backup\n  gain script { sleep(1e300); 1.0 }\n}\n",
    )
    .unwrap();
    let package = dir.path().to_str().unwrap();
    let started = Instant::now();
    let out = vasrec(&["dry-run", "--rules", package]);
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(101), "{stderr}");
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("sleep is not available"), "{stderr}");
    // 5,000 customers: a sleep that ran would take hours, not seconds.
    assert!(took < Duration::from_secs(60), "took {took:?}");
}
