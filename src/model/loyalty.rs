//! Loyalty: how a satisfaction gain turns into loyalty outcomes.
//!
//! In: the catalog's conversion graph (`satisfaction -> trust / belonging ->
//! repurchase / recommendation`, each link with a coefficient). Out: per
//! outcome, the factor by which a satisfaction gain moves it: the sum over all
//! paths from `satisfaction` of the product of the coefficients along the path
//! (the graph is linear, so a gain of `g` moves outcome `o` by `k_o * g`).
//! The graph is checked with petgraph: unknown outcomes and cycles are errors.

use crate::package::satisfaction::LoyaltySpec;
use petgraph::algo::{kosaraju_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;
use std::collections::BTreeMap;

/// The node every path starts from.
pub const SATISFACTION: &str = "satisfaction";

/// Outcome factors, in the order the catalog lists the outcomes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Loyalty {
    /// `(outcome, factor)`: the outcome moves by `factor * gain`.
    pub factors: Vec<(String, f64)>,
}

/// Largest coefficient of one link, in absolute value.
pub const MAX_COEFFICIENT: f64 = 1e6;
/// Largest factor of an outcome (the product of coefficients along its
/// paths, summed), in absolute value, so reports stay finite.
pub const MAX_FACTOR: f64 = 1e12;

/// A problem with the loyalty graph, and the link or outcome at fault.
#[derive(Debug, Clone, PartialEq)]
pub struct LoyaltyError {
    /// What is wrong.
    pub text: String,
    /// The key path below `satisfaction.loyalty` at fault (`links[3]`,
    /// `outcomes[1]`), for the diagnostic to point at.
    pub at: Option<String>,
}

fn fault(text: String, at: String) -> LoyaltyError {
    LoyaltyError { text, at: Some(at) }
}

/// Checks the graph and computes each outcome's factor.
pub fn factors(spec: &LoyaltySpec) -> Result<Loyalty, LoyaltyError> {
    fn node<'a>(
        graph: &mut DiGraph<&'a str, f64>,
        nodes: &mut BTreeMap<&'a str, NodeIndex>,
        name: &'a str,
    ) -> NodeIndex {
        *nodes.entry(name).or_insert_with(|| graph.add_node(name))
    }
    let mut graph: DiGraph<&str, f64> = DiGraph::new();
    let mut nodes: BTreeMap<&str, NodeIndex> = BTreeMap::new();
    let root = node(&mut graph, &mut nodes, SATISFACTION);
    for (k, link) in spec.links.iter().enumerate() {
        let at = format!("links[{k}].coefficient");
        if !link.coefficient.is_finite() {
            return Err(fault(
                format!(
                    "the link {} -> {} needs a finite coefficient",
                    link.from, link.to
                ),
                at,
            ));
        }
        if link.coefficient.abs() > MAX_COEFFICIENT {
            return Err(fault(
                format!(
                    "the link {} -> {} has coefficient {}; a coefficient is outcome points per point of `{}` and must lie between -{MAX_COEFFICIENT} and {MAX_COEFFICIENT}",
                    link.from, link.to, link.coefficient, link.from
                ),
                at,
            ));
        }
        if link.to == SATISFACTION {
            return Err(fault(
                format!(
                    "the link {} -> satisfaction points back at the start",
                    link.from
                ),
                format!("links[{k}].to"),
            ));
        }
        let (a, b) = (
            node(&mut graph, &mut nodes, &link.from),
            node(&mut graph, &mut nodes, &link.to),
        );
        graph.add_edge(a, b, link.coefficient);
    }
    let order = match toposort(&graph, None) {
        Ok(order) => order,
        Err(_) => {
            let circle = kosaraju_scc(&graph).into_iter().find(|c| c.len() > 1);
            let names: Vec<&str> = circle
                .iter()
                .flat_map(|c| c.iter().rev().map(|n| graph[*n]))
                .collect();
            // Point at the circle's last link in the file: reading down, it closes the circle.
            let closing = spec
                .links
                .iter()
                .rposition(|l| names.contains(&l.from.as_str()) && names.contains(&l.to.as_str()));
            return Err(LoyaltyError {
                text: format!(
                    "the loyalty links go round in a circle: {} -> {}",
                    names.join(" -> "),
                    names.first().unwrap_or(&"")
                ),
                at: closing.map(|k| format!("links[{k}]")),
            });
        }
    };
    let mut value = vec![0.0; graph.node_count()];
    value[root.index()] = 1.0;
    for n in order {
        let here = value[n.index()];
        let mut edges = graph.neighbors(n).detach();
        while let Some((edge, next)) = edges.next(&graph) {
            value[next.index()] += here * graph[edge];
        }
    }
    let mut factors = Vec::new();
    for (k, outcome) in spec.outcomes.iter().enumerate() {
        let at = format!("outcomes[{k}]");
        let index = graph
            .node_indices()
            .find(|n| graph[*n] == outcome.as_str())
            .ok_or_else(|| {
                fault(
                    format!("outcome `{outcome}` appears in no link"),
                    at.clone(),
                )
            })?;
        let factor = value[index.index()];
        // Long chains of large coefficients multiply; a factor past this
        // would turn every report's figure into `inf`.
        if !factor.is_finite() || factor.abs() > MAX_FACTOR {
            return Err(fault(
                format!(
                    "outcome `{outcome}` moves by {factor:e} points per point of satisfaction along its links; keep it within ±{MAX_FACTOR:e}"
                ),
                at,
            ));
        }
        factors.push((outcome.clone(), factor));
    }
    Ok(Loyalty { factors })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::package::satisfaction::Link;

    fn link(from: &str, to: &str, coefficient: f64) -> Link {
        Link {
            from: from.into(),
            to: to.into(),
            coefficient,
        }
    }

    #[test]
    fn factors_sum_products_over_paths() {
        let spec = LoyaltySpec {
            links: vec![
                link("satisfaction", "trust", 0.6),
                link("satisfaction", "belonging", 0.4),
                link("trust", "repurchase", 0.5),
                link("belonging", "repurchase", 0.25),
                link("belonging", "recommendation", 0.7),
            ],
            outcomes: vec!["repurchase".into(), "recommendation".into()],
        };
        let l = factors(&spec).unwrap();
        // repurchase: 0.6 * 0.5 + 0.4 * 0.25 = 0.4; recommendation: 0.4 * 0.7 = 0.28
        assert!((l.factors[0].1 - 0.4).abs() < 1e-12);
        assert!((l.factors[1].1 - 0.28).abs() < 1e-12);
    }

    #[test]
    fn cycles_and_unknown_outcomes_are_errors() {
        let spec = LoyaltySpec {
            links: vec![
                link("satisfaction", "trust", 1.0),
                link("trust", "belonging", 1.0),
                link("belonging", "trust", 1.0),
            ],
            outcomes: vec!["trust".into()],
        };
        assert!(factors(&spec).unwrap_err().text.contains("circle"));
        let spec = LoyaltySpec {
            links: vec![link("satisfaction", "trust", 1.0)],
            outcomes: vec!["loyalty".into()],
        };
        assert_eq!(
            factors(&spec).unwrap_err().text,
            "outcome `loyalty` appears in no link"
        );
    }

    #[test]
    fn coefficients_that_would_overflow_a_report_are_refused() {
        let spec = |c: f64| LoyaltySpec {
            links: vec![
                link("satisfaction", "trust", c),
                link("trust", "repurchase", c),
            ],
            outcomes: vec!["repurchase".to_string()],
        };
        assert!(
            factors(&spec(1e308))
                .unwrap_err()
                .text
                .contains("must lie between")
        );
        assert!(
            factors(&spec(-2e6))
                .unwrap_err()
                .text
                .contains("must lie between")
        );
        let chained = LoyaltySpec {
            links: vec![
                link("satisfaction", "a", 1e6),
                link("a", "b", 1e6),
                link("b", "repurchase", 1e6),
            ],
            outcomes: vec!["repurchase".to_string()],
        };
        assert!(
            factors(&chained)
                .unwrap_err()
                .text
                .contains("keep it within")
        );
        assert!(factors(&spec(0.5)).is_ok());
    }
}
