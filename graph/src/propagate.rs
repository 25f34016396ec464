//! Traversals over propagating edges: what a thesis rests on, and what an edit reaches.

use std::collections::{HashMap, VecDeque};

use crate::model::{Graph, NodeIx, NodeKind};

/// Everything a thesis rests on, found by walking propagating edges upstream.
///
/// The walk stops at other theses: a thesis depends on an upstream thesis only through its score,
/// never through that thesis's own evidence. `next` maps each upstream node to the next hop
/// towards the thesis, so a causal path can be read off without a second search.
#[derive(Debug, Clone, Default)]
pub struct Upstream {
    pub nodes: Vec<NodeIx>,
    pub next: HashMap<NodeIx, NodeIx>,
}

impl Upstream {
    /// The hops from `node` down to the thesis, `node` first and the thesis last.
    pub fn path(&self, node: NodeIx) -> Vec<NodeIx> {
        let mut path = vec![node];
        let mut cur = node;
        while let Some(&n) = self.next.get(&cur) {
            path.push(n);
            cur = n;
        }
        path
    }
}

pub fn upstream(graph: &Graph, thesis: NodeIx) -> Upstream {
    let mut up = Upstream::default();
    let mut queue = VecDeque::from([thesis]);
    while let Some(ix) = queue.pop_front() {
        if ix != thesis && graph.node(ix).kind == NodeKind::Thesis {
            continue;
        }
        for (from, edge) in graph.incoming(ix) {
            if !edge.kind.propagates() || from == thesis || up.next.contains_key(&from) {
                continue;
            }
            up.next.insert(from, ix);
            up.nodes.push(from);
            queue.push_back(from);
        }
    }
    up
}

/// Theses reachable downstream of `changed` over propagating edges, through thesis chains too,
/// in breadth-first order. Cost is proportional to the part of the graph reached, not its size.
pub fn downstream_theses(graph: &Graph, changed: &[NodeIx]) -> Vec<NodeIx> {
    let mut seen = vec![false; graph.len()];
    let mut queue: VecDeque<NodeIx> = VecDeque::new();
    for &ix in changed {
        if ix.index() < seen.len() && !seen[ix.index()] {
            seen[ix.index()] = true;
            queue.push_back(ix);
        }
    }
    let mut theses = Vec::new();
    while let Some(ix) = queue.pop_front() {
        if graph.node(ix).kind == NodeKind::Thesis {
            theses.push(ix);
        }
        for (to, edge) in graph.outgoing(ix) {
            if edge.kind.propagates() && !seen[to.index()] {
                seen[to.index()] = true;
                queue.push_back(to);
            }
        }
    }
    theses
}

/// Nodes within `depth` hops of `start` in one direction over any edge (selectors' `+N`).
pub fn within(graph: &Graph, start: NodeIx, downstream: bool, depth: Option<usize>) -> Vec<NodeIx> {
    let mut dist: HashMap<NodeIx, usize> = HashMap::from([(start, 0)]);
    let mut queue = VecDeque::from([start]);
    let mut out = Vec::new();
    while let Some(ix) = queue.pop_front() {
        let d = dist[&ix];
        out.push(ix);
        if depth.is_some_and(|max| d >= max) {
            continue;
        }
        let next: Vec<NodeIx> = if downstream {
            graph
                .outgoing(ix)
                .filter(|(_, e)| e.kind.propagates())
                .map(|(n, _)| n)
                .collect()
        } else {
            graph
                .incoming(ix)
                .filter(|(_, e)| e.kind.propagates())
                .map(|(n, _)| n)
                .collect()
        };
        for n in next {
            if let std::collections::hash_map::Entry::Vacant(v) = dist.entry(n) {
                v.insert(d + 1);
                queue.push_back(n);
            }
        }
    }
    out
}
