//! README's worked example of stacking over several dimensions ("The
//! satisfaction model"): the gains computed by hand, step by step, against
//! the engine's. The package is the one README writes with here-documents.

use vasrec::Engine;

const CATALOG: &str = r#"
package: stacking-example
satisfaction:
  min: 0
  max: 10
  dimensions:
    - { id: comfort, perception: comfort_now }
    - { id: speed, perception: speed_now, preference: speed }
  weights: { comfort: 0.6, speed: 0.4 }
services:
  - { id: lounge, name: Lounge, category: convenience, stage: in_sale, channel: offline, participation: passive, effects: { comfort: 2, speed: 1 } }
  - { id: fast_track, name: Fast track, category: convenience, stage: in_sale, channel: offline, participation: passive, effects: { comfort: 2, speed: 2 } }
customer:
  id: id
  attributes:
    - { name: id, type: text }
    - { name: comfort_now, type: number }
    - { name: speed_now, type: number }
  preferences:
    - { name: speed }
"#;

const RULES: &str = "segment everyone { when true }
rule lounge_for_all for everyone { offer lounge }
rule fast_track_for_all for everyone { offer fast_track }
";

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn stacking_over_two_dimensions_scales_by_weighted_points() {
    // The customer: comfort 6 and speed 8 on a 0-10 scale, speed preference 0.25.
    let (max, comfort_now, speed_now, preference) = (10.0_f64, 6.0, 8.0, 0.25);
    let (w_comfort, w_speed) = (0.6, 0.4);
    let (h_comfort, h_speed) = (max - comfort_now, max - speed_now); // 4, 2
    // Each dimension's factor w × f × g: no preference on comfort (f = 1),
    // f = 2 × 0.25 = 0.5 on speed; no expectations, so g = 1.
    let (k_comfort, k_speed) = (w_comfort, w_speed * 2.0 * preference); // 0.6, 0.2

    // Derived gains alone: Σ k_d × min(e_d, H_d).
    let fast_track = k_comfort * 2.0_f64.min(h_comfort) + k_speed * 2.0_f64.min(h_speed);
    let lounge = k_comfort * 2.0_f64.min(h_comfort) + k_speed * 1.0_f64.min(h_speed);
    assert!(close(fast_track, 1.6) && close(lounge, 1.4));

    // Fast track ranks first and keeps its gain. It closes 2/4 of comfort's
    // headroom (2 points left) and 2/2 of speed's (0 left).
    let comfort_left = h_comfort - (2.0 / h_comfort) * h_comfort;
    let speed_left = h_speed - (2.0 / h_speed) * h_speed;
    assert!(close(comfort_left, 2.0) && close(speed_left, 0.0));
    // The lounge closes the same shares of what is left: 2/4 of 2 comfort
    // points and 1/2 of 0 speed points. Its gain is scaled by the weighted
    // points still closed over the weighted points closed alone.
    let closed_comfort = (2.0 / h_comfort) * comfort_left; // 1
    let closed_speed = (1.0 / h_speed) * speed_left; // 0
    // 0.6 / 1.4 = 3/7.
    let scale =
        (k_comfort * closed_comfort + k_speed * closed_speed) / (k_comfort * 2.0 + k_speed * 1.0);
    let lounge_stacked = lounge * scale;
    assert!(close(lounge_stacked, 0.6));
    // Unweighted points would give (1 + 0) / (2 + 1) = 1/3, a gain of 0.467.
    let unweighted = lounge * (closed_comfort + closed_speed) / (2.0 + 1.0);
    assert!((lounge_stacked - unweighted).abs() > 0.1);
    // The total 2.2 is below the headroom cap max − min = 10 (no current
    // overall score): no further scaling.
    assert!(fast_track + lounge_stacked < max);

    let engine = Engine::from_sources(CATALOG, &[("rules.vas", RULES)]).unwrap();
    let customer = engine
        .customer()
        .set("id", "c1")
        .set("comfort_now", comfort_now)
        .set("speed_now", speed_now)
        .set("pref.speed", preference)
        .build()
        .unwrap();
    let offers = engine.recommend(&customer).unwrap();
    let gains: Vec<(&str, f64)> = offers
        .iter()
        .map(|o| (o.service.id.as_str(), o.gain))
        .collect();
    assert_eq!(gains.len(), 2, "{gains:?}");
    assert_eq!((gains[0].0, gains[1].0), ("fast_track", "lounge"));
    assert!(close(gains[0].1, fast_track), "{gains:?}");
    assert!(close(gains[1].1, lounge_stacked), "{gains:?}");
}
