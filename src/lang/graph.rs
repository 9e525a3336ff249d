//! The segment graph: segments under one or more parents, a DAG.
//!
//! In: each segment's parents (already resolved to ids). Out: a topological
//! order, each segment's depth (its specificity) and children, or one
//! diagnostic per cycle with the cycle's path.

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

/// Shape of the segment graph that evaluation relies on.
#[derive(Debug, Clone, Default)]
pub(crate) struct SegmentGraph {
    /// Segment ids, parents before children; ties keep declaration order.
    pub order: Vec<u32>,
    /// Longest path from a root; roots are 0. Deeper means more specific.
    pub depth: Vec<u32>,
    /// Children of each segment, in declaration order.
    pub children: Vec<Vec<u32>>,
}

/// A cycle, as the segment ids along it (the first is repeated at the end).
pub(crate) type Cycle = Vec<u32>;

/// Builds the graph; returns every cycle when there are any.
pub(crate) fn build(parents: &[Vec<u32>]) -> Result<SegmentGraph, Vec<Cycle>> {
    let count = parents.len();
    let mut graph: DiGraph<u32, ()> = DiGraph::with_capacity(count, count);
    let nodes: Vec<NodeIndex> = (0..count)
        .map(|i| graph.add_node(u32::try_from(i).unwrap_or(u32::MAX)))
        .collect();
    let mut children = vec![Vec::new(); count];
    for (child, list) in parents.iter().enumerate() {
        for &parent in list {
            let (Some(&from), Some(&to)) = (nodes.get(parent as usize), nodes.get(child)) else {
                continue;
            };
            graph.add_edge(from, to, ());
            if let Some(c) = children.get_mut(parent as usize) {
                c.push(u32::try_from(child).unwrap_or(u32::MAX));
            }
        }
    }

    let cycles = find_cycles(&graph);
    if !cycles.is_empty() {
        return Err(cycles);
    }

    // Kahn's algorithm, always taking the smallest ready id, so the order is
    // stable and follows declaration order where the graph allows.
    let mut indegree: Vec<usize> = parents.iter().map(Vec::len).collect();
    let mut ready: std::collections::BTreeSet<u32> = indegree
        .iter()
        .enumerate()
        .filter(|(_, d)| **d == 0)
        .map(|(i, _)| u32::try_from(i).unwrap_or(u32::MAX))
        .collect();
    let mut order = Vec::with_capacity(count);
    let mut depth = vec![0u32; count];
    while let Some(next) = ready.pop_first() {
        order.push(next);
        let next_depth = depth.get(next as usize).copied().unwrap_or(0);
        for &child in children.get(next as usize).map_or(&[][..], Vec::as_slice) {
            let c = child as usize;
            if let Some(d) = depth.get_mut(c) {
                *d = (*d).max(next_depth + 1);
            }
            if let Some(n) = indegree.get_mut(c) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    ready.insert(child);
                }
            }
        }
    }
    Ok(SegmentGraph {
        order,
        depth,
        children,
    })
}

/// One cycle per strongly connected component with more than one segment
/// (self-parents are reported before the graph is built).
fn find_cycles(graph: &DiGraph<u32, ()>) -> Vec<Cycle> {
    let mut cycles = Vec::new();
    for component in tarjan_scc(graph) {
        if component.len() < 2 {
            continue;
        }
        let Some(&start) = component.iter().min_by_key(|n| graph[**n]) else {
            continue;
        };
        // Walk inside the component until we come back to the start.
        let mut path = vec![graph[start]];
        let mut current = start;
        let mut visited = vec![start];
        loop {
            let mut next_nodes: Vec<NodeIndex> = graph
                .neighbors(current)
                .filter(|n| component.contains(n))
                .collect();
            next_nodes.sort_by_key(|n| graph[*n]);
            if next_nodes.contains(&start) {
                path.push(graph[start]);
                break;
            }
            let Some(&next) = next_nodes.iter().find(|n| !visited.contains(n)) else {
                break;
            };
            visited.push(next);
            path.push(graph[next]);
            current = next;
        }
        cycles.push(path);
    }
    cycles.sort();
    cycles
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_depth_and_children() {
        // 0 root; 1 under 0; 2 under 0; 3 under 1 and 2; 4 under 3
        let g = build(&[vec![], vec![0], vec![0], vec![1, 2], vec![3]]).unwrap();
        assert_eq!(g.order, vec![0, 1, 2, 3, 4]);
        assert_eq!(g.depth, vec![0, 1, 1, 2, 3]);
        assert_eq!(g.children[0], vec![1, 2]);
    }

    #[test]
    fn declaration_order_kept_when_child_comes_first() {
        let g = build(&[vec![1], vec![]]).unwrap();
        assert_eq!(g.order, vec![1, 0]);
        assert_eq!(g.depth, vec![1, 0]);
    }

    #[test]
    fn cycles_are_reported_with_their_path() {
        // 0 root; 1 under 3; 2 under 1; 3 under 2
        let cycles = build(&[vec![], vec![3], vec![1], vec![2]]).unwrap_err();
        assert_eq!(cycles, vec![vec![1, 2, 3, 1]]);
    }
}
