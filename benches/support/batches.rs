//! The timed loops over a batch of customers, shared by the criterion bench
//! (`benches/engine.rs`) and `examples/versus_baseline.rs`, so that both time
//! the same work. The sums keep the work observable to the optimiser.

use crate::baseline;
use vasrec::{Customer, Engine};

/// Evaluates a slice of customers with a fresh evaluator.
pub fn run_engine(engine: &Engine, customers: &[Customer]) -> (usize, f64) {
    let mut evaluator = engine.evaluator();
    let (mut count, mut gain) = (0, 0.0);
    for customer in customers {
        if let Ok(offers) = evaluator.evaluate(customer) {
            count += offers.len();
            gain += offers.iter().map(|o| o.gain).sum::<f64>();
        }
    }
    (count, gain)
}

/// Each customer through [`Engine::evaluate`], a new evaluator each time,
/// as a request of `vasrec serve` or the Python `evaluate` is served.
pub fn run_engine_one_by_one(engine: &Engine, customers: &[Customer]) -> (usize, f64) {
    let (mut count, mut gain) = (0, 0.0);
    for customer in customers {
        if let Ok(offers) = engine.evaluate(customer) {
            count += offers.len();
            gain += offers.iter().map(|o| o.gain).sum::<f64>();
        }
    }
    (count, gain)
}

/// The hand-written baseline over the same customers.
pub fn run_baseline(customers: &[baseline::BaselineCustomer]) -> (usize, f64) {
    let mut out = Vec::with_capacity(3);
    let (mut count, mut gain) = (0, 0.0);
    for customer in customers {
        baseline::recommend(customer, &mut out);
        count += out.len();
        gain += out.iter().map(|o| o.1).sum::<f64>();
    }
    (count, gain)
}
