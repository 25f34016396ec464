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

/// Nodes within `depth` hops of `start` in one direction over propagating edges (selectors'
/// `+N`); `related` edges are drawn only, so they are not followed.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Edge, EdgeKind, Loc, Node};
    use crate::state::MaterialState;

    /// source s → claim c#x → concept c → part_of parent p; thesis t cites c#x;
    /// thesis w cites p; thesis u builds on t; thesis v builds on u; r related to c.
    struct Fixture {
        g: Graph,
        ix: HashMap<&'static str, NodeIx>,
    }

    impl Fixture {
        fn new() -> Fixture {
            let mut g = Graph::new();
            let mut ix = HashMap::new();
            for (key, kind) in [
                ("s", NodeKind::Source),
                ("c#x", NodeKind::Claim),
                ("c", NodeKind::Concept),
                ("p", NodeKind::Concept),
                ("r", NodeKind::Concept),
                ("t", NodeKind::Thesis),
                ("u", NodeKind::Thesis),
                ("v", NodeKind::Thesis),
                ("w", NodeKind::Thesis),
                ("lonely", NodeKind::Source),
            ] {
                let n = g
                    .add_node(Node {
                        key: key.into(),
                        kind,
                        loc: Loc::default(),
                        state: MaterialState::Concept { status: None },
                    })
                    .expect("fresh");
                ix.insert(key, n);
            }
            let mut f = Fixture { g, ix };
            f.edge("s", "c#x", EdgeKind::Cites);
            f.edge("c#x", "c", EdgeKind::Contains);
            f.edge("c", "p", EdgeKind::PartOf);
            f.edge("c#x", "t", EdgeKind::Evidence);
            f.edge("p", "w", EdgeKind::Evidence);
            f.edge("t", "u", EdgeKind::BuildsOn);
            f.edge("u", "v", EdgeKind::BuildsOn);
            f.edge("r", "c", EdgeKind::Related);
            f.edge("c", "r", EdgeKind::Related);
            f
        }

        fn edge(&mut self, a: &str, b: &str, kind: EdgeKind) {
            let (a, b) = (self.ix[a], self.ix[b]);
            self.g.add_edge(
                a,
                b,
                Edge {
                    kind,
                    loc: Loc::default(),
                },
            );
        }

        fn keys(&self, v: &[NodeIx]) -> Vec<String> {
            let mut k: Vec<String> = v.iter().map(|&i| self.g.node(i).key.clone()).collect();
            k.sort();
            k
        }
    }

    #[test]
    fn upstream_stops_at_theses() {
        let f = Fixture::new();
        // v builds on u which builds on t: v rests on u's score only.
        let up = upstream(&f.g, f.ix["v"]);
        assert_eq!(f.keys(&up.nodes), vec!["u"]);
        let up = upstream(&f.g, f.ix["u"]);
        assert_eq!(f.keys(&up.nodes), vec!["t"]);
        // t rests on the claim and, through it, the source; not on the concept (downstream of
        // the claim) nor on related concepts.
        let up = upstream(&f.g, f.ix["t"]);
        assert_eq!(f.keys(&up.nodes), vec!["c#x", "s"]);
        // w cites the parent concept: everything under it via part_of, but not `r`.
        let up = upstream(&f.g, f.ix["w"]);
        assert_eq!(f.keys(&up.nodes), vec!["c", "c#x", "p", "s"]);
    }

    #[test]
    fn upstream_path_leads_to_the_thesis() {
        let f = Fixture::new();
        let up = upstream(&f.g, f.ix["w"]);
        let path: Vec<String> = up
            .path(f.ix["s"])
            .into_iter()
            .map(|i| f.g.node(i).key.clone())
            .collect();
        assert_eq!(path, vec!["s", "c#x", "c", "p", "w"]);
    }

    #[test]
    fn downstream_theses_follow_chains_and_part_of() {
        let f = Fixture::new();
        let down = downstream_theses(&f.g, &[f.ix["s"]]);
        assert_eq!(f.keys(&down), vec!["t", "u", "v", "w"]);
        // Breadth-first: the direct thesis before the ones that build on it.
        let pos = |k: &str| down.iter().position(|&i| i == f.ix[k]).expect("reached");
        assert!(pos("t") < pos("u") && pos("u") < pos("v"));
        // A related edge does not carry a change.
        assert!(downstream_theses(&f.g, &[f.ix["r"]]).is_empty());
        // A thesis reaches itself and what builds on it.
        assert_eq!(
            f.keys(&downstream_theses(&f.g, &[f.ix["u"]])),
            vec!["u", "v"]
        );
        assert!(downstream_theses(&f.g, &[f.ix["lonely"]]).is_empty());
        // Duplicates in the input are harmless.
        let twice = downstream_theses(&f.g, &[f.ix["c"], f.ix["c"]]);
        assert_eq!(f.keys(&twice), vec!["w"]);
    }

    #[test]
    fn within_respects_depth_and_direction() {
        let f = Fixture::new();
        let s = f.ix["s"];
        assert_eq!(f.keys(&within(&f.g, s, true, Some(0))), vec!["s"]);
        assert_eq!(f.keys(&within(&f.g, s, true, Some(1))), vec!["c#x", "s"]);
        assert_eq!(
            f.keys(&within(&f.g, s, true, Some(2))),
            vec!["c", "c#x", "s", "t"]
        );
        assert_eq!(
            f.keys(&within(&f.g, s, true, None)),
            vec!["c", "c#x", "p", "s", "t", "u", "v", "w"]
        );
        // Upstream from v, unbounded, walks through thesis chains.
        assert_eq!(
            f.keys(&within(&f.g, f.ix["v"], false, None)),
            vec!["c#x", "s", "t", "u", "v"]
        );
        assert_eq!(
            f.keys(&within(&f.g, f.ix["v"], false, Some(1))),
            vec!["u", "v"]
        );
        // Related edges are not followed.
        assert_eq!(f.keys(&within(&f.g, f.ix["r"], true, None)), vec!["r"]);
    }
}
