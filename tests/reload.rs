//! Reloading a package while other threads evaluate with it.

mod common;

use common::{TempDir, copy_rules, root};
use std::sync::atomic::{AtomicBool, Ordering};
use vasrec::LiveEngine;

#[test]
fn a_broken_edit_keeps_the_old_engine_and_readers_never_see_half_an_engine() {
    let dir = TempDir::new("reload");
    copy_rules(dir.path());
    let live = LiveEngine::load(dir.path()).unwrap();
    let sample = root().join("rules/customers.csv");
    let customers = {
        let engine = live.current();
        vasrec::batch::read_all(
            &engine,
            "sample",
            Box::new(std::fs::File::open(&sample).unwrap()),
            vasrec::InputFormat::Csv,
        )
        .unwrap()
    };
    let customers = &customers[..200];
    let before: Vec<_> = customers
        .iter()
        .map(|c| live.current().evaluate(c).unwrap())
        .collect();

    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        // Readers evaluate continuously; every result must come from one whole
        // engine: the old one (same offers as before) or the new one (its own).
        let readers: Vec<_> = (0..3)
            .map(|_| {
                s.spawn(|| {
                    let mut rounds = 0;
                    while !stop.load(Ordering::Relaxed) || rounds == 0 {
                        let engine = live.current();
                        let mut evaluator = engine.evaluator();
                        for c in customers {
                            evaluator.evaluate(c).unwrap();
                        }
                        rounds += 1;
                    }
                    rounds
                })
            })
            .collect();

        // A broken edit: the reload fails and the old engine stays.
        let segments = dir.path().join("segments.vas");
        let good = std::fs::read_to_string(&segments).unwrap();
        std::fs::write(
            &segments,
            good.replace("tenure_months < 6", "tenure_month < 6"),
        )
        .unwrap();
        let error = live.reload().unwrap_err();
        assert_eq!(error.diagnostics[0].code, vasrec::Code::UnknownAttribute);
        let now: Vec<_> = customers
            .iter()
            .map(|c| live.current().evaluate(c).unwrap())
            .collect();
        assert_eq!(now, before, "a failed reload changed the engine");

        // A good edit: the reload succeeds and the new rules apply.
        std::fs::write(
            &segments,
            good.replace("tenure_months < 6", "tenure_months < 9"),
        )
        .unwrap();
        live.reload().unwrap();
        let after: Vec<_> = customers
            .iter()
            .map(|c| live.current().evaluate(c).unwrap())
            .collect();
        assert_ne!(after, before, "the new rules did not apply");

        stop.store(true, Ordering::Relaxed);
        for r in readers {
            assert!(r.join().unwrap() > 0);
        }
    });
}
