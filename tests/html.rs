//! `--format html`: the dry-run and diff pages, checked against the JSON
//! report, first as text and then as a person sees them, in headless
//! Chromium (skipped with a message where no browser is installed).
//! Pages, DOM dumps, browser logs and screenshots are kept under
//! `target/html-test/` for review.

mod common;

use common::{TempDir, root, vasrec};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const V2: &str = "tests/packages/telecom_v2";

const DIFF: [&str; 7] = [
    "diff",
    "--base",
    "rules",
    "--rules",
    V2,
    "--customers",
    "rules/customers.csv",
];

/// Runs vasrec and returns its standard output, failing on a non-zero exit.
fn stdout(args: &[&str]) -> String {
    let out = vasrec(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "vasrec {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn report(args: &[&str]) -> Value {
    serde_json::from_str(&stdout(&[args, &["--format", "json"]].concat())).unwrap()
}

fn page(args: &[&str]) -> String {
    stdout(&[args, &["--format", "html"]].concat())
}

/// The folder where pages and screenshots are kept for review.
fn output_dir() -> PathBuf {
    let dir = root().join("target/html-test");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// The page formats numbers like the table report.
fn count(v: &Value) -> String {
    let digits = v.as_u64().unwrap().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn decimal(v: &Value) -> String {
    format!("{:.2}", v.as_f64().unwrap())
}

fn signed(v: &Value) -> String {
    format!("{:+.2}", v.as_f64().unwrap())
}

/// The text of every element with a `data-key`, by key; a key appears once.
fn data_keys(html: &str) -> BTreeMap<String, String> {
    let mut keys = BTreeMap::new();
    let mut rest = html;
    while let Some(at) = rest.find("data-key=\"") {
        rest = &rest[at + 10..];
        let end = rest.find('"').unwrap();
        let key = rest[..end].to_string();
        let open = rest.find('>').unwrap();
        rest = &rest[open + 1..];
        let close = rest.find('<').unwrap();
        let text = rest[..close].replace("&amp;", "&");
        assert!(
            keys.insert(key.clone(), text).is_none(),
            "data-key `{key}` appears twice"
        );
    }
    keys
}

/// The key numbers of a dry-run report, as the page must show them.
fn dry_run_numbers(r: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let t = &r["totals"];
    for key in ["customers", "customers_with_offers", "offers"] {
        out.push((format!("totals.{key}"), count(&t[key])));
    }
    for key in [
        "expected_gain",
        "mean_gain_per_customer",
        "cost",
        "gain_per_cost",
    ] {
        out.push((format!("totals.{key}"), decimal(&t[key])));
    }
    for (n, customers) in r["offers_per_customer"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        out.push((format!("offers_per_customer.{n}"), count(customers)));
    }
    for s in r["services"].as_array().unwrap() {
        let id = s["service"].as_str().unwrap();
        out.push((format!("services.{id}.offers"), count(&s["offers"])));
        out.push((format!("services.{id}.blocked"), count(&s["blocked"])));
        for key in ["expected_gain", "cost"] {
            out.push((format!("services.{id}.{key}"), decimal(&s[key])));
        }
    }
    for s in r["segments"].as_array().unwrap() {
        let name = s["segment"].as_str().unwrap();
        out.push((format!("segments.{name}.customers"), count(&s["customers"])));
        out.push((format!("segments.{name}.offers"), count(&s["offers"])));
        out.push((
            format!("segments.{name}.mean_gain"),
            decimal(&s["mean_gain"]),
        ));
    }
    for rule in r["rules"].as_array().unwrap() {
        let name = rule["rule"].as_str().unwrap();
        out.push((format!("rules.{name}.fired"), count(&rule["fired"])));
        out.push((format!("rules.{name}.offers"), count(&rule["offers"])));
    }
    out.push((
        "rules_never_fired.count".into(),
        r["rules_never_fired"].as_array().unwrap().len().to_string(),
    ));
    for l in r["loyalty"].as_array().unwrap() {
        let outcome = l["outcome"].as_str().unwrap();
        out.push((format!("loyalty.{outcome}.uplift"), decimal(&l["uplift"])));
    }
    for c in r["capacity"].as_array().unwrap() {
        let id = c["service"].as_str().unwrap();
        out.push((format!("capacity.{id}.demand"), count(&c["demand"])));
        out.push((format!("capacity.{id}.allocated"), count(&c["allocated"])));
    }
    out
}

/// The key numbers of a diff report, as the page must show them.
fn diff_numbers(r: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for key in [
        "customers",
        "customers_affected",
        "customers_with_added_offers",
        "customers_with_removed_offers",
        "customers_with_reranked_offers",
        "customers_with_gain_changes",
    ] {
        out.push((key.to_string(), count(&r[key])));
    }
    out.push((
        "totals.offers_after".into(),
        count(&r["totals"]["offers_after"]),
    ));
    out.push((
        "totals.gain_delta".into(),
        signed(&r["totals"]["gain_delta"]),
    ));
    out.push((
        "totals.cost_delta".into(),
        signed(&r["totals"]["cost_delta"]),
    ));
    for section in ["services", "segments"] {
        for item in r[section].as_array().unwrap() {
            if item["offers_before"] == 0 && item["offers_after"] == 0 {
                continue;
            }
            let name = item["name"].as_str().unwrap();
            for key in ["offers_before", "offers_after"] {
                out.push((format!("{section}.{name}.{key}"), count(&item[key])));
            }
            for key in ["gain_delta", "cost_delta"] {
                out.push((format!("{section}.{name}.{key}"), signed(&item[key])));
            }
        }
    }
    out
}

/// Every expected number is on the page under its key, as the report has it.
fn assert_numbers(what: &str, html: &str, expected: &[(String, String)]) {
    let keys = data_keys(html);
    let wrong: Vec<String> = expected
        .iter()
        .filter(|(key, text)| keys.get(key) != Some(text))
        .map(|(key, text)| format!("  {key}: page {:?}, report {text:?}", keys.get(key)))
        .collect();
    assert!(
        wrong.is_empty(),
        "{what}: numbers that differ from the JSON report:\n{}",
        wrong.join("\n")
    );
}

/// Opening and closing tags of `tag` (`<tag>` or `<tag ...>` against `</tag>`).
fn tag_balance(html: &str, tag: &str) -> (usize, usize) {
    let open = format!("<{tag}");
    let opened = html
        .match_indices(&open)
        .filter(|(at, _)| {
            matches!(
                html[at + open.len()..].chars().next(),
                Some(' ' | '>' | '\n')
            )
        })
        .count();
    (opened, html.matches(&format!("</{tag}>")).count())
}

/// Well-formed enough for a browser and a reader, and nothing fetched from
/// the network: no scripts, no stylesheets or images from elsewhere.
fn assert_self_contained(html: &str) {
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(html.contains("<meta charset=\"utf-8\">"));
    assert!(html.contains("<meta name=\"viewport\""));
    assert!(html.contains("@media print"));
    assert!(html.contains("\"Noto Sans CJK SC\""));
    for tag in [
        "html", "head", "body", "main", "header", "nav", "section", "figure", "div", "table",
        "thead", "tbody", "tr", "th", "td", "svg", "g", "text", "title", "ul", "li", "pre", "code",
        "span", "dl", "dt", "dd", "h1", "h2", "h3", "p", "del", "ins",
    ] {
        let (opened, closed) = tag_balance(html, tag);
        assert_eq!(
            opened, closed,
            "<{tag}> opened {opened} times, closed {closed}"
        );
    }
    for needle in [
        "http://", "https://", "src=", "<script", "<link", "@import", "<iframe", "<img",
    ] {
        assert!(!html.contains(needle), "the page contains `{needle}`");
    }
    let urls: Vec<&str> = html
        .match_indices("url(")
        .map(|(at, _)| &html[at..at + 5])
        .collect();
    assert!(
        urls.iter().all(|u| *u == "url(#"),
        "only in-page references: {urls:?}"
    );
}

/// Display names from the report's services and segments, written in Chinese
/// in the example package.
fn chinese_names(r: &Value) -> Vec<String> {
    let mut names: Vec<String> = r["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    names.extend(
        r["segments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["label"].as_str().unwrap().to_string()),
    );
    assert!(names.iter().any(|n| n == "优先技术支持"));
    names
}

#[test]
fn dry_run_page_shows_the_json_reports_numbers() {
    let json = report(&["dry-run"]);
    let html = page(&["dry-run"]);
    assert_self_contained(&html);
    assert_numbers("dry-run page", &html, &dry_run_numbers(&json));
    for name in chinese_names(&json) {
        assert!(html.contains(&name), "the page lacks `{name}`");
    }
    // The graph: a node per segment, an edge per parent.
    let segments = json["segments"].as_array().unwrap();
    assert_eq!(html.matches("<g class=\"node").count(), segments.len());
    let edges: usize = segments
        .iter()
        .map(|s| s["parents"].as_array().unwrap().len())
        .sum();
    let graph = &html[html.find("<g class=\"edges\">").unwrap()..];
    let graph = &graph[..graph.find("</g>").unwrap()];
    assert_eq!(graph.matches("<path ").count(), edges);
    assert!(edges >= segments.len() - 1);
    // Where the page came from: package, folder, input file.
    assert!(html.contains("<dd>telecom-vas</dd>"));
    assert!(html.contains("<dd>rules/customers.csv</dd>"));
}

#[test]
fn diff_page_shows_the_json_reports_numbers() {
    let json = report(&DIFF);
    let html = page(&DIFF);
    assert_self_contained(&html);
    assert_numbers("diff page", &html, &diff_numbers(&json));
    // The changed rules, old and new side by side; the added and removed ones.
    for m in json["package"]["rules"]["modified"].as_array().unwrap() {
        let name = m["name"].as_str().unwrap();
        assert!(html.contains(&format!("<h4><code>{name}</code></h4>")));
    }
    assert!(
        html.contains("<span class=\"badge added\">added</span> rule <code>welcome_call</code>")
    );
    assert!(html.contains(
        "<span class=\"badge removed\">removed</span> rule <code>streaming_for_families</code>"
    ));
    // new_customer's threshold, marked where it changed.
    assert!(html.contains("tenure_months &lt; <del>6</del> }"), "{html}");
    assert!(html.contains("tenure_months &lt; <ins>9</ins> }"));
    // Services and segments by their display names.
    for name in ["专属客户经理", "新入网客户", "会员积分计划"] {
        assert!(html.contains(name), "the diff page lacks `{name}`");
    }
}

#[test]
fn html_goes_to_a_file_with_out() {
    let dir = TempDir::new("html-out");
    let path = dir.path().join("report.html");
    let out = vasrec(&[
        "dry-run",
        "--format",
        "html",
        "--out",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let html = std::fs::read_to_string(&path).unwrap();
    assert!(html.ends_with("</html>\n"));
}

// ---- in a browser ----------------------------------------------------------

/// Headless Chromium, if installed: `VASREC_CHROMIUM` (empty: none),
/// `/usr/bin/chromium`, or `chromium` on the PATH.
fn browser() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("VASREC_CHROMIUM") {
        return (!path.is_empty()).then(|| PathBuf::from(path));
    }
    let fixed = PathBuf::from("/usr/bin/chromium");
    if fixed.exists() {
        return Some(fixed);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("chromium"))
            .find(|p| p.exists())
    })
}

/// Flags for a root user on a machine without network: without them
/// Chromium refuses to start or stalls trying to reach its services.
const FLAGS: [&str; 10] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
];

/// How long Chromium may take before the test gives up on it.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs Chromium on `page` with a fresh profile, its standard output to
/// `stdout` and its log to `log`; fails the test if it stalls.
fn chromium(browser: &Path, page: &Path, args: &[String], stdout: Option<&Path>, log: &Path) {
    let profile = TempDir::new("chromium-profile");
    let mut child = Command::new(browser)
        .args(FLAGS)
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(stdout.map_or_else(Stdio::null, |p| std::fs::File::create(p).unwrap().into()))
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(
                status.success(),
                "chromium failed ({status}); its log is {}",
                log.display()
            );
            return;
        }
        if start.elapsed() > BROWSER_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "chromium did not finish within {BROWSER_TIMEOUT:?}; its log is {}",
                log.display()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Messages the page wrote to the browser console (it has no script, so
/// any is an error), and uncaught errors.
fn console_errors(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught"))
        .collect()
}

/// Loads a page in the browser: the DOM after load must show the report's
/// numbers and names, the console must stay quiet; screenshots (desktop
/// and phone width) are kept for review.
fn check_in_browser(
    browser: &Path,
    name: &str,
    html: &str,
    numbers: &[(String, String)],
    names: &[String],
) {
    let dir = output_dir();
    let page = dir.join(format!("{name}.html"));
    std::fs::write(&page, html).unwrap();
    let dom = dir.join(format!("{name}.dom.html"));
    let log = dir.join(format!("{name}.chromium.log"));
    chromium(browser, &page, &["--dump-dom".into()], Some(&dom), &log);
    let text = std::fs::read_to_string(&dom).unwrap();
    assert!(
        text.contains("</main>"),
        "{name}: no DOM dumped (see {})",
        log.display()
    );
    let errors = console_errors(&std::fs::read_to_string(&log).unwrap()).join("\n");
    assert!(errors.is_empty(), "{name}: console errors:\n{errors}");
    assert_numbers(name, &text, numbers);
    for n in names {
        assert!(text.contains(n.as_str()), "{name}: the DOM lacks `{n}`");
    }
    for (suffix, size) in [("", "1280,4200"), ("-phone", "390,2400")] {
        let shot = dir.join(format!("{name}{suffix}.png"));
        let _ = std::fs::remove_file(&shot);
        let log = dir.join(format!("{name}{suffix}.screenshot.log"));
        chromium(
            browser,
            &page,
            &[
                format!("--window-size={size}"),
                format!("--screenshot={}", shot.display()),
            ],
            None,
            &log,
        );
        let png = std::fs::read(&shot).unwrap();
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 10_000,
            "{}",
            shot.display()
        );
        let errors = console_errors(&std::fs::read_to_string(&log).unwrap()).join("\n");
        assert!(errors.is_empty(), "{name}: console errors:\n{errors}");
    }
}

/// A script, added to a copy of a page only (the page itself has none),
/// that measures the laid-out page and writes what it found into the DOM:
/// `overflow` lines for the body or a scrolling box wider than its room,
/// `contrast` lines with the contrast of each kind of bar, line and box
/// against white and against the striped rows (WCAG 2.1 1.4.11 asks 3:1).
const MEASURE: &str = r#"<script>
window.addEventListener('load', () => {
  const out = [];
  const de = document.documentElement;
  if (de.scrollWidth > de.clientWidth) out.push('overflow body ' + de.scrollWidth + ' px in ' + de.clientWidth);
  for (const el of document.querySelectorAll('.scroll')) {
    if (el.scrollWidth > el.clientWidth + 1) {
      const id = el.closest('section') ? el.closest('section').id : '';
      out.push('overflow ' + id + ' ' + el.scrollWidth + ' px in ' + el.clientWidth);
    }
  }
  const rgb = (text) => (text.match(/rgba?\(([^)]*)\)/) || ['', '255,255,255'])[1].split(',').map(Number);
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const backgrounds = [[255, 255, 255], [0xf6, 0xf8, 0xfa], [0xfa, 0xfb, 0xfc]];
  const seen = new Set();
  const check = (what, colour) => {
    if (seen.has(what)) return;
    seen.add(what);
    const worst = Math.min(...backgrounds.map((b) => ratio(rgb(colour), b)));
    out.push('contrast ' + what + ' ' + worst.toFixed(2));
  };
  for (const el of document.querySelectorAll('td.bar-cell')) check('td.bar-cell', getComputedStyle(el).backgroundImage);
  for (const sel of ['rect.bar-offers', 'rect.bar-gain', 'rect.bar-cost', 'rect.gain', 'rect.loss', 'rect.median-bar', '.whisker']) {
    for (const el of document.querySelectorAll(sel)) {
      const style = getComputedStyle(el);
      check(sel, sel === '.whisker' ? style.stroke : style.fill);
    }
  }
  for (const el of document.querySelectorAll('.edges path')) check('.edges path', getComputedStyle(el).stroke);
  for (const el of document.querySelectorAll('.node .box')) check('.node .box (border)', getComputedStyle(el).stroke);
  const pre = document.createElement('pre');
  pre.id = 'measure';
  pre.textContent = out.join('\n');
  document.body.appendChild(pre);
});
</script>"#;

/// Lays a page out in a window 1280 pixels wide: the body and every
/// scrolling box (the funnel table's, the graph's) must fit, and every
/// kind of bar, line and box border must have 3:1 contrast with the page.
fn check_layout(browser: &Path, name: &str, html: &str) -> Vec<String> {
    let dir = output_dir();
    let page = dir.join(format!("{name}.measure.html"));
    std::fs::write(&page, html.replace("</body>", &format!("{MEASURE}</body>"))).unwrap();
    let dom = dir.join(format!("{name}.measure.dom.html"));
    let log = dir.join(format!("{name}.measure.chromium.log"));
    chromium(
        browser,
        &page,
        &["--window-size=1280,4200".into(), "--dump-dom".into()],
        Some(&dom),
        &log,
    );
    let text = std::fs::read_to_string(&dom).unwrap();
    let found = text
        .split("<pre id=\"measure\">")
        .nth(1)
        .and_then(|rest| rest.split("</pre>").next())
        .unwrap_or_else(|| {
            panic!(
                "{name}: the measuring script did not run (see {})",
                log.display()
            )
        });
    let lines: Vec<String> = found.lines().map(str::to_string).collect();
    let overflow: Vec<&String> = lines.iter().filter(|l| l.starts_with("overflow")).collect();
    assert!(overflow.is_empty(), "{name} at 1280 px: {overflow:?}");
    let faint: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with("contrast"))
        .filter(|l| {
            l.rsplit(' ')
                .next()
                .and_then(|r| r.parse::<f64>().ok())
                .is_none_or(|r| r < 3.0)
        })
        .collect();
    assert!(
        faint.is_empty(),
        "{name}: graphics under 3:1 contrast: {faint:?}"
    );
    lines
}

#[test]
fn pages_open_in_a_browser_without_errors() {
    let Some(browser) = browser() else {
        eprintln!(
            "SKIPPED pages_open_in_a_browser_without_errors: no Chromium (looked for \
             $VASREC_CHROMIUM, /usr/bin/chromium, chromium on PATH); on Debian: \
             apt-get install chromium fonts-noto-cjk (.ci/run does this)"
        );
        return;
    };
    let json = report(&["dry-run"]);
    let names = chinese_names(&json);
    let dry_run = page(&["dry-run"]);
    check_in_browser(
        &browser,
        "dry-run",
        &dry_run,
        &dry_run_numbers(&json),
        &names,
    );
    let measured = check_layout(&browser, "dry-run", &dry_run);
    for kind in [
        "td.bar-cell",
        ".edges path",
        "rect.bar-cost",
        "rect.median-bar",
    ] {
        assert!(
            measured
                .iter()
                .any(|l| l.starts_with(&format!("contrast {kind} "))),
            "{kind} was not measured: {measured:?}"
        );
    }
    let json = report(&DIFF);
    check_layout(&browser, "diff", &page(&DIFF));
    check_in_browser(
        &browser,
        "diff",
        &page(&DIFF),
        &diff_numbers(&json),
        &["专属客户经理".to_string(), "新入网客户".to_string()],
    );
    eprintln!(
        "screenshots for review: {}",
        output_dir().join("{dry-run,diff}{,-phone}.png").display()
    );
}

/// A package whose script runs away: the page counts the failures per rule,
/// as the JSON report does.
#[test]
fn evaluation_errors_by_rule_are_on_the_page() {
    let dir = TempDir::new("html-runaway");
    common::copy_rules(dir.path());
    std::fs::write(
        dir.path().join("runaway.vas"),
        "rule runaway for everyone { when script { loop { } } offer cloud_backup gain 1 }\n",
    )
    .unwrap();
    let catalog = dir.path().join("catalog.yaml");
    let text = std::fs::read_to_string(&catalog).unwrap();
    std::fs::write(
        &catalog,
        format!("{text}\nscripts: {{ max_operations: 500 }}\n"),
    )
    .unwrap();
    let sample = root().join("rules/customers.csv");
    let args = [
        "dry-run",
        "--rules",
        dir.path().to_str().unwrap(),
        "--customers",
        sample.to_str().unwrap(),
        "--on-error",
        "skip",
        "--ignore-capacity",
    ];
    let json = report(&args);
    let html = page(&args);
    let keys = data_keys(&html);
    let errors = &json["evaluation_errors_by_source"][0];
    assert_eq!(errors["source"], "rule `runaway`");
    assert_eq!(
        keys.get("evaluation_errors.rule `runaway`"),
        Some(&count(&errors["errors"]))
    );
}
