//! Micro-benchmarks of the graph traversals on a synthetic research repo.
//!
//! The graph is shaped like a real one: sources cite claims, claims sit in concepts, concepts form
//! `part_of` trees, theses take evidence from concepts and claims and build on each other in
//! chains. Run with `cargo bench -p rescore-graph --bench propagate`.

use std::sync::LazyLock;

use divan::{black_box, Bencher};
use rescore_graph::propagate::{downstream_theses, upstream};
use rescore_graph::{
    ClaimState, Edge, EdgeKind, Graph, Loc, MaterialState, Node, NodeIx, NodeKind,
};

fn main() {
    divan::main();
}

/// Total node counts of the synthetic graphs.
const SIZES: &[usize] = &[10_000, 100_000];

/// Concepts per `part_of` tree and children per concept (a tree is four levels deep).
const TREE: usize = 512;
const FANOUT: usize = 8;
/// Theses per `builds_on` chain.
const CHAIN: usize = 10;

struct Fixture {
    graph: Graph,
    /// A claim of a leaf concept (three `part_of` hops below its tree's root) in the middle of
    /// the graph: the edit that `downstream_theses` starts from.
    changed_claim: NodeIx,
    /// The last thesis of a chain in the middle of the graph, the one `upstream` starts from.
    thesis: NodeIx,
    /// A thesis whose only evidence is the root of a whole `part_of` tree (512 concepts and
    /// everything under them): `upstream`'s large case.
    umbrella: NodeIx,
}

/// A small deterministic generator (SplitMix64), so every run benches the same graph.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
}

fn edge(kind: EdgeKind, file: usize) -> Edge {
    Edge {
        kind,
        loc: Loc {
            file: file as u32,
            line: 1,
            col: 1,
        },
    }
}

fn add(g: &mut Graph, key: String, kind: NodeKind, file: usize, state: MaterialState) -> NodeIx {
    g.add_node(Node {
        key,
        kind,
        loc: Loc {
            file: file as u32,
            line: 1,
            col: 1,
        },
        state,
    })
    .expect("fresh key")
}

/// About `n` nodes: 10% sources, 60% claims, 10% concepts, 10% benchmark rows, 10% theses.
fn build(n: usize) -> Fixture {
    let mut rng = Rng(1);
    let mut g = Graph::new();
    let (n_src, n_concept, n_thesis) = (n / 10, n / 10, n / 10);
    let n_claim = n * 6 / 10;
    let n_row = n - n_src - n_concept - n_thesis - n_claim;

    let sources: Vec<NodeIx> = (0..n_src)
        .map(|i| {
            let state = MaterialState::Source {
                retracted: false,
                superseded_by: None,
            };
            add(&mut g, format!("source-{i}"), NodeKind::Source, i, state)
        })
        .collect();

    let concepts: Vec<NodeIx> = (0..n_concept)
        .map(|i| {
            let state = MaterialState::Concept {
                status: Some("active-frontier".into()),
            };
            add(&mut g, format!("concept-{i}"), NodeKind::Concept, i, state)
        })
        .collect();
    for (i, &c) in concepts.iter().enumerate() {
        let local = i % TREE;
        if local > 0 {
            let parent = concepts[i - local + (local - 1) / FANOUT];
            g.add_edge(c, parent, edge(EdgeKind::PartOf, i));
        }
    }

    let claims: Vec<NodeIx> = (0..n_claim)
        .map(|i| {
            let concept = i % n_concept;
            let cited = [rng.below(n_src), rng.below(n_src)];
            let mut ids: Vec<String> = cited.iter().map(|s| format!("source-{s}")).collect();
            ids.sort();
            ids.dedup();
            let state = MaterialState::Claim(ClaimState {
                level: "strong".into(),
                qualifier: None,
                sources: ids.into_iter().map(Into::into).collect(),
                quantities: Box::default(),
                text: format!("claim {i} of concept {concept}").into(),
            });
            let key = format!("concept-{concept}#claim-{i}");
            let ix = add(&mut g, key, NodeKind::Claim, concept, state);
            for s in cited {
                g.add_edge(sources[s], ix, edge(EdgeKind::Cites, concept));
            }
            g.add_edge(ix, concepts[concept], edge(EdgeKind::Contains, concept));
            ix
        })
        .collect();

    for i in 0..n_row {
        let concept = i % n_concept;
        let state = MaterialState::Benchmark {
            value: rescore_graph::quantity::parse_value("77.3%"),
            sources: Box::default(),
        };
        let key = format!("concept-{concept}#row-{i}");
        let ix = add(&mut g, key, NodeKind::Benchmark, concept, state);
        g.add_edge(
            sources[rng.below(n_src)],
            ix,
            edge(EdgeKind::Cites, concept),
        );
        g.add_edge(ix, concepts[concept], edge(EdgeKind::Contains, concept));
    }

    let theses: Vec<NodeIx> = (0..n_thesis)
        .map(|i| {
            let file = n_concept + i;
            let state = MaterialState::Thesis { score: 0.5 };
            let ix = add(&mut g, format!("thesis-{i}"), NodeKind::Thesis, file, state);
            for _ in 0..3 {
                let c = concepts[rng.below(n_concept)];
                g.add_edge(c, ix, edge(EdgeKind::Evidence, file));
            }
            for _ in 0..2 {
                let c = claims[rng.below(n_claim)];
                g.add_edge(c, ix, edge(EdgeKind::Evidence, file));
            }
            ix
        })
        .collect();
    for (i, w) in theses.windows(2).enumerate() {
        if (i + 1) % CHAIN != 0 {
            g.add_edge(w[0], w[1], edge(EdgeKind::BuildsOn, n_concept + i + 1));
        }
    }

    // Claim `i` sits in concept `i % n_concept`, so claim `leaf + n_concept` sits in `leaf`.
    let leaf = (n_concept / 2 / TREE) * TREE + TREE - 1;
    let root = concepts[leaf - (TREE - 1)];
    let state = MaterialState::Thesis { score: 0.5 };
    let umbrella = add(&mut g, "thesis-umbrella".into(), NodeKind::Thesis, n, state);
    g.add_edge(root, umbrella, edge(EdgeKind::Evidence, n));

    let mid_chain = (n_thesis / 2) / CHAIN * CHAIN + CHAIN - 1;
    Fixture {
        graph: g,
        changed_claim: claims[leaf + n_concept],
        umbrella,
        thesis: theses[mid_chain.min(n_thesis - 1)],
    }
}

static SMALL: LazyLock<Fixture> = LazyLock::new(|| build(SIZES[0]));
static LARGE: LazyLock<Fixture> = LazyLock::new(|| build(SIZES[1]));

fn fixture(n: usize) -> &'static Fixture {
    if n == SIZES[0] {
        &SMALL
    } else {
        &LARGE
    }
}

/// Everything one thesis rests on (stops at upstream theses).
#[divan::bench(args = SIZES)]
fn upstream_of_thesis(bencher: Bencher, n: usize) {
    let f = fixture(n);
    bencher.bench(|| upstream(black_box(&f.graph), black_box(f.thesis)));
}

/// Everything a thesis resting on a whole concept tree rests on.
#[divan::bench(args = SIZES)]
fn upstream_of_umbrella_thesis(bencher: Bencher, n: usize) {
    let f = fixture(n);
    bencher.bench(|| upstream(black_box(&f.graph), black_box(f.umbrella)));
}

/// The theses one edited claim reaches, through concept trees and `builds_on` chains.
#[divan::bench(args = SIZES)]
fn downstream_theses_of_claim(bencher: Bencher, n: usize) {
    let f = fixture(n);
    let changed = [f.changed_claim];
    bencher.bench(|| downstream_theses(black_box(&f.graph), black_box(&changed)));
}

/// The whole-graph cycle check on an acyclic graph (its worst case: every node is visited).
#[divan::bench(args = SIZES)]
fn find_cycle(bencher: Bencher, n: usize) {
    let f = fixture(n);
    assert!(
        f.graph.find_cycle().is_none(),
        "the synthetic graph is acyclic"
    );
    bencher.bench(|| black_box(&f.graph).find_cycle());
}
