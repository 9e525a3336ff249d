//! The segment graph: segments under one or more parents, a DAG.
//!
//! In: each segment's parents (already resolved to ids). Out: a topological
//! order, each segment's depth (its specificity) and children, or one
//! diagnostic per cycle with the cycle's path.

use crate::lang::ids::SegmentId;
use petgraph::algo::kosaraju_scc;
use petgraph::graph::{DiGraph, NodeIndex};

/// How deep segments may nest below a root. Deeper chains are refused: no
/// real segmentation needs them, and the checks that follow each segment's
/// ancestors would grow with the square of the chain.
pub(crate) const MAX_SEGMENT_DEPTH: u32 = 64;

/// Shape of the segment graph that evaluation relies on.
#[derive(Debug, Clone, Default)]
pub(crate) struct SegmentGraph {
    /// Segment ids, parents before children; ties keep declaration order.
    pub order: Vec<SegmentId>,
    /// Longest path from a root; roots are 0. Deeper means more specific.
    pub depth: Vec<u32>,
    /// Children of each segment, in declaration order.
    pub children: Vec<Vec<SegmentId>>,
}

/// A cycle, as the segment ids along it (the first is repeated at the end).
pub(crate) type Cycle = Vec<SegmentId>;

/// Builds the graph; returns every cycle when there are any.
pub(crate) fn build(parents: &[Vec<SegmentId>]) -> Result<SegmentGraph, Vec<Cycle>> {
    let count = parents.len();
    let mut graph: DiGraph<SegmentId, ()> = DiGraph::with_capacity(count, count);
    let nodes: Vec<NodeIndex> = (0..count)
        .map(|i| graph.add_node(SegmentId::new(i)))
        .collect();
    let mut children = vec![Vec::new(); count];
    for (child, list) in parents.iter().enumerate() {
        for &parent in list {
            let (Some(&from), Some(&to)) = (nodes.get(parent.index()), nodes.get(child)) else {
                continue;
            };
            graph.add_edge(from, to, ());
            if let Some(c) = children.get_mut(parent.index()) {
                c.push(SegmentId::new(child));
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
    let mut ready: std::collections::BTreeSet<SegmentId> = indegree
        .iter()
        .enumerate()
        .filter(|(_, d)| **d == 0)
        .map(|(i, _)| SegmentId::new(i))
        .collect();
    let mut order = Vec::with_capacity(count);
    let mut depth = vec![0u32; count];
    while let Some(next) = ready.pop_first() {
        order.push(next);
        let next_depth = depth.get(next.index()).copied().unwrap_or(0);
        for &child in children.get(next.index()).map_or(&[][..], Vec::as_slice) {
            let c = child.index();
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
fn find_cycles(graph: &DiGraph<SegmentId, ()>) -> Vec<Cycle> {
    let mut cycles = Vec::new();
    // Kosaraju with petgraph's iterative walks: a chain of any length cannot
    // overflow the stack (Tarjan there recurses once per node).
    for component in kosaraju_scc(graph) {
        if component.len() < 2 {
            continue;
        }
        let Some(&start) = component.iter().min_by_key(|n| graph[**n]) else {
            continue;
        };
        // Walk inside the component until we come back to the start.
        let mut path = vec![graph[start]];
        let mut current = start;
        let mut visited = vec![false; graph.node_count()];
        visited[start.index()] = true;
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
            let Some(&next) = next_nodes.iter().find(|n| !visited[n.index()]) else {
                break;
            };
            visited[next.index()] = true;
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

    fn ids(list: &[usize]) -> Vec<SegmentId> {
        list.iter().copied().map(SegmentId::new).collect()
    }

    fn graph(parents: &[&[usize]]) -> Result<SegmentGraph, Vec<Cycle>> {
        build(&parents.iter().map(|p| ids(p)).collect::<Vec<_>>())
    }

    #[test]
    fn order_depth_and_children() {
        // 0 root; 1 under 0; 2 under 0; 3 under 1 and 2; 4 under 3
        let g = graph(&[&[], &[0], &[0], &[1, 2], &[3]]).unwrap();
        assert_eq!(g.order, ids(&[0, 1, 2, 3, 4]));
        assert_eq!(g.depth, vec![0, 1, 1, 2, 3]);
        assert_eq!(g.children[0], ids(&[1, 2]));
    }

    #[test]
    fn declaration_order_kept_when_child_comes_first() {
        let g = graph(&[&[1], &[]]).unwrap();
        assert_eq!(g.order, ids(&[1, 0]));
        assert_eq!(g.depth, vec![1, 0]);
    }

    #[test]
    fn cycles_are_reported_with_their_path() {
        // 0 root; 1 under 3; 2 under 1; 3 under 2
        let cycles = graph(&[&[], &[3], &[1], &[2]]).unwrap_err();
        assert_eq!(cycles, vec![ids(&[1, 2, 3, 1])]);
    }
}
