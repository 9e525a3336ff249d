//! Evaluating a customer allocates nothing once an evaluator is warm: its
//! buffers have grown and the offers come back as a borrowed slice. Counted
//! with a global allocator that counts every allocation of this test binary.
//!
//! A script is the one exception: a script result that is not in the
//! evaluator's cache runs rhai, which allocates. So the package here is the
//! bundled one with its one script gain written as a rule expression, and a
//! second test checks the script case: once every input has been seen,
//! every run is a cache hit and allocates nothing either.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;
use vasrec::{Customer, Engine, InputFormat};

struct Counting;

thread_local! {
    /// Per thread, so that tests running side by side do not count each
    /// other's allocations.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: the thread may be tearing its locals down.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

// SAFETY: every call is passed on to the system allocator unchanged; the
// counter is the only addition.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller upholds `alloc`'s contract, passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: as for `dealloc`; `new_size` is the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn bundled(replace_script: bool) -> Engine {
    let dir = root().join("rules");
    let catalog = std::fs::read_to_string(dir.join("catalog.yaml")).expect("catalog");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("rules/") {
        let path = entry.expect("entry").path();
        let table_rows = path.extension().is_some_and(|e| e == "csv")
            && path.file_name().is_some_and(|n| n != "customers.csv");
        if table_rows {
            let text = std::fs::read_to_string(&path).expect("table rows");
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            files.push((name, text));
        } else if path.extension().is_some_and(|e| e == "vas") {
            let mut text = std::fs::read_to_string(&path).expect("rule file");
            if replace_script {
                text = without_script(&text);
            }
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            files.push((name, text));
        }
    }
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    Engine::from_sources(&catalog, &borrowed).expect("the bundled package compiles")
}

/// The bundled tenure tiers, `gain script { if ... }`, as a rule expression
/// that gives the same gains.
fn without_script(text: &str) -> String {
    let Some(start) = text.find("gain script {") else {
        return text.to_string();
    };
    let body = &text[start..];
    let mut depth = 0;
    let mut end = body.len();
    for (i, c) in body.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    end = i + 1;
                    break;
                }
            }
            _ => {}
        }
    }
    let tiers = "gain 2 + 0.5 * min(max(tenure_months - 23, 0), 1) \
                 + 0.5 * min(max(tenure_months - 35, 0), 1) \
                 + min(max(tenure_months - 59, 0), 1)";
    format!("{}{}{}", &text[..start], tiers, &body[end..])
}

fn customers(engine: &Engine) -> Vec<Customer> {
    let file = std::fs::File::open(root().join("rules/customers.csv")).expect("sample");
    vasrec::batch::read_all(engine, "customers.csv", Box::new(file), InputFormat::Csv)
        .expect("sample customers read")
}

/// Evaluates every customer; returns the allocations made and the offers.
fn evaluate_all(engine: &Engine, customers: &[Customer]) -> (usize, usize) {
    let mut evaluator = engine.evaluator();
    for customer in customers {
        evaluator.evaluate(customer).expect("evaluates");
    }
    let before = allocations();
    let mut offers = 0;
    for customer in customers {
        offers += evaluator.evaluate(customer).expect("evaluates").len();
    }
    (allocations() - before, offers)
}

#[test]
fn a_warm_evaluator_allocates_nothing_per_customer() {
    let engine = bundled(true);
    let customers = customers(&engine);
    // The rewrite keeps the bundled package's offers, so this is the same work.
    let with_script = bundled(false);
    let mut a = engine.evaluator();
    let mut b = with_script.evaluator();
    for c in &customers {
        assert_eq!(
            a.evaluate(c).expect("evaluates"),
            b.evaluate(c).expect("evaluates")
        );
    }
    let (allocations, offers) = evaluate_all(&engine, &customers);
    assert!(offers > customers.len(), "the sample gets offers: {offers}");
    assert_eq!(
        allocations,
        0,
        "{allocations} allocations over {} warm evaluations",
        customers.len()
    );
}

#[test]
fn with_a_script_only_uncached_runs_allocate() {
    let engine = bundled(false);
    let customers = customers(&engine);
    let (allocations, offers) = evaluate_all(&engine, &customers);
    assert!(offers > customers.len(), "the sample gets offers: {offers}");
    // 5,000 customers, of whom more than half run the tier script: without
    // the cache that would be thousands of runs, each allocating several
    // times (over 10,000 allocations). The warm-up saw each of the 73 tenure
    // values, and the cache loses none of them to another.
    assert_eq!(
        allocations,
        0,
        "{allocations} allocations over {} warm evaluations with a script",
        customers.len()
    );
}
