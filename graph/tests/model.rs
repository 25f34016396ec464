//! Property tests of the graph model: `find_cycle` agrees with petgraph's own cycle check, and
//! every cycle it reports is a real loop of propagating edges.

use petgraph::graph::DiGraph;
use proptest::prelude::*;
use rescore_graph::{Edge, EdgeKind, Graph, Loc, MaterialState, Node, NodeKind};

const KINDS: [EdgeKind; 6] = [
    EdgeKind::Cites,
    EdgeKind::Contains,
    EdgeKind::PartOf,
    EdgeKind::Evidence,
    EdgeKind::BuildsOn,
    EdgeKind::Related,
];

fn build(n: usize, edges: &[(usize, usize, usize)]) -> Graph {
    let mut g = Graph::new();
    let ix: Vec<_> = (0..n)
        .map(|i| {
            g.add_node(Node {
                key: format!("n{i}"),
                kind: NodeKind::Concept,
                loc: Loc::default(),
                state: MaterialState::Concept { status: None },
            })
            .expect("fresh key")
        })
        .collect();
    for (k, &(a, b, kind)) in edges.iter().enumerate() {
        g.add_edge(
            ix[a % n],
            ix[b % n],
            Edge {
                kind: KINDS[kind % KINDS.len()],
                loc: Loc {
                    file: k as u32,
                    line: k as u32 + 1,
                    col: 1,
                },
            },
        );
    }
    g
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn find_cycle_agrees_with_petgraph(
        n in 1usize..8,
        edges in prop::collection::vec((0usize..8, 0usize..8, 0usize..6), 0..16),
    ) {
        let g = build(n, &edges);
        // The propagating subgraph, for petgraph's own opinion.
        let mut pg: DiGraph<(), ()> = DiGraph::new();
        let nodes: Vec<_> = (0..g.len()).map(|_| pg.add_node(())).collect();
        for (a, b, e) in g.edges() {
            if e.kind.propagates() {
                pg.add_edge(nodes[a.index()], nodes[b.index()], ());
            }
        }
        let cyclic = petgraph::algo::is_cyclic_directed(&pg);
        match g.find_cycle() {
            None => prop_assert!(!cyclic, "find_cycle missed a cycle"),
            Some(hops) => {
                prop_assert!(cyclic);
                prop_assert!(!hops.is_empty());
                for (k, hop) in hops.iter().enumerate() {
                    let next = hops[(k + 1) % hops.len()].node;
                    prop_assert!(hop.edge.kind.propagates());
                    let real = g
                        .outgoing(hop.node)
                        .any(|(to, e)| to == next && *e == hop.edge);
                    prop_assert!(real, "hop {k} is not an edge to the next hop");
                }
                // A loop visits each node once.
                let mut seen: Vec<_> = hops.iter().map(|h| h.node).collect();
                seen.sort();
                seen.dedup();
                prop_assert_eq!(seen.len(), hops.len());
            }
        }
    }
}

#[test]
fn remove_incoming_drops_the_edges_into_a_node_and_lets_them_be_added_again() {
    let mut g = build(3, &[(0, 2, 4), (1, 2, 3), (0, 1, 0), (2, 0, 5)]);
    let (n0, n1, n2) = (
        g.get("n0").expect("n0"),
        g.get("n1").expect("n1"),
        g.get("n2").expect("n2"),
    );
    g.remove_incoming(n2);
    assert_eq!(g.incoming(n2).count(), 0);
    // The other edges stay.
    assert_eq!(g.edge_count(), 2);
    assert_eq!(g.incoming(n1).count(), 1);
    assert_eq!(g.outgoing(n2).count(), 1);
    // A removed edge can be added again (the duplicate check forgot it).
    let edge = Edge {
        kind: EdgeKind::BuildsOn,
        loc: Loc::default(),
    };
    assert!(g.add_edge(n0, n2, edge).is_some());
    assert!(g.add_edge(n0, n2, edge).is_none());
}
