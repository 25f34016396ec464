//! Claim and row material (texts, quantities, levels, qualifiers, row values) moved between a
//! page and the graph's node states, so that what keeps both (the watcher) holds it once.
//!
//! A page whose material went into the graph says so (`Page::material_in_graph`); on such a page
//! a claim or row whose material is in the graph holds none (`None`). Its node is the one of its
//! key at its own place (`Loc`) in the graph it went into, and holds exactly that material until
//! the page changes (a changed page is a new, whole `Page`).

use rayon::prelude::*;
use rescore_graph::quantity::Value;
use rescore_graph::{ClaimState, Graph, Loc, MaterialState, NodeKind};

use crate::page::{Claim, ClaimMaterial, Page, PageKind, Row};

use super::{loc, node_keys};

/// A page's claim texts, quantities, levels and qualifiers and its row values, moved out of it
/// (`None` for a claim or row that held none).
#[derive(Default)]
pub(super) struct Material {
    pub(super) claims: Vec<Option<Box<ClaimMaterial>>>,
    pub(super) rows: Vec<Option<Box<Value>>>,
}

/// A claim's material as its node's state, with no sources yet: `m`, or a copy of the claim's
/// own when nothing was taken from it.
pub(super) fn claim_state(c: &Claim, m: Option<Box<ClaimMaterial>>) -> ClaimState {
    let ClaimMaterial {
        level,
        qualifier,
        text,
        quantities,
    } = match m {
        Some(m) => *m,
        // Empty for a claim whose material is in another graph, as for a row (`row_value`).
        None => c.material.as_deref().cloned().unwrap_or_default(),
    };
    ClaimState {
        level,
        qualifier,
        sources: Box::default(),
        quantities,
        text,
    }
}

/// A row's value as its node's state holds it: `v`, or a copy of the row's own when nothing was
/// taken from it.
pub(super) fn row_value(r: &Row, v: Option<Box<Value>>) -> Value {
    match v.or_else(|| r.value.clone()) {
        Some(v) => *v,
        None => Value::Text {
            text: String::new(),
        },
    }
}

impl Material {
    pub(super) fn take(p: &mut Page) -> Material {
        Material {
            claims: p.claims.iter_mut().map(|c| c.material.take()).collect(),
            rows: p.rows.iter_mut().map(|r| r.value.take()).collect(),
        }
    }
}

/// Material taken from claims and rows that got no node, by their place on the page.
#[derive(Default)]
pub(super) struct Unused {
    pub(super) claims: Vec<(usize, Option<Box<ClaimMaterial>>)>,
    pub(super) rows: Vec<(usize, Option<Box<Value>>)>,
}

/// Whether `build_parts_moving` moves a page's material into the graph: a concept's or a
/// source's with claims or rows, not a thesis's (a warning block's write compares it with the
/// page on disk), nor a note's (no nodes).
pub(super) fn moves(p: &Page) -> bool {
    matches!(p.kind, PageKind::Concept | PageKind::Source)
        && !(p.claims.is_empty() && p.rows.is_empty())
}

/// Gives back to a page whose material was taken what got no node, and marks it as holding
/// the rest in the graph.
pub(super) fn put_back(p: &mut Page, unused: Unused) {
    for (k, m) in unused.claims {
        p.claims[k].material = m;
    }
    for (k, v) in unused.rows {
        p.rows[k].value = v;
    }
    p.material_in_graph = true;
}

/// Puts back into each page marked `material_in_graph` the material `graph` holds for it;
/// `numbers[at]` is the number (`Loc::file`) the graph knows the page at `at` by. Returns the
/// places of the pages some material of which the graph does not hold (none unless a caller
/// broke the module's invariant); the rest of their material is back all the same.
pub fn restore_material(pages: &mut [Page], numbers: &[u32], graph: &Graph) -> Vec<usize> {
    pages
        .par_iter_mut()
        .enumerate()
        .filter(|(_, p)| p.material_in_graph)
        .filter_map(|(at, p)| (!restore_page(p, numbers[at], graph)).then_some(at))
        .collect()
}

/// The state of the node of `key` when it is of `kind` and at `at`.
fn held(graph: &Graph, key: Option<String>, kind: NodeKind, at: Loc) -> Option<&MaterialState> {
    let n = graph.node(graph.get(&key?)?);
    (n.kind == kind && n.loc == at).then_some(&n.state)
}

/// `restore_material` for one page; whether all of its material was found.
fn restore_page(p: &mut Page, file: u32, graph: &Graph) -> bool {
    let (claim_keys, row_keys) = node_keys(p, &mut Vec::new());
    let state = |key, kind, at| held(graph, key, kind, at);
    let mut whole = true;
    for (c, key) in p.claims.iter_mut().zip(claim_keys) {
        if c.material.is_some() {
            continue;
        }
        match state(key, NodeKind::Claim, loc(file as usize, &c.pos)) {
            Some(MaterialState::Claim(s)) => {
                c.material = Some(Box::new(ClaimMaterial {
                    level: s.level.clone(),
                    qualifier: s.qualifier.clone(),
                    text: s.text.clone(),
                    quantities: s.quantities.clone(),
                }));
            }
            _ => whole = false,
        }
    }
    for (r, key) in p.rows.iter_mut().zip(row_keys) {
        if r.value.is_some() {
            continue;
        }
        match state(key, NodeKind::Benchmark, loc(file as usize, &r.pos)) {
            Some(MaterialState::Benchmark { value, .. }) => r.value = Some(Box::new(value.clone())),
            _ => whole = false,
        }
    }
    p.material_in_graph = false;
    whole
}

/// Whether a claim's node state holds the material `m`.
fn holds(s: &ClaimState, m: &ClaimMaterial) -> bool {
    (&s.text, &s.quantities, &s.level, &s.qualifier)
        == (&m.text, &m.quantities, &m.level, &m.qualifier)
}

/// Drops from page `p` (number `file` in `graph`) the material of each claim and row whose
/// node holds the very same, marking the page `material_in_graph`: for a page whose nodes were
/// just given their states from it (the watcher's patch and splice tiers). Thesis pages keep
/// theirs, as in `build_parts_moving`.
pub fn shed_material(p: &mut Page, file: u32, graph: &Graph) {
    if !moves(p) {
        return;
    }
    let (claim_keys, row_keys) = node_keys(p, &mut Vec::new());
    let state = |key, kind, at| held(graph, key, kind, at);
    let mut shed = false;
    for (c, key) in p.claims.iter_mut().zip(claim_keys) {
        let same = match (
            state(key, NodeKind::Claim, loc(file as usize, &c.pos)),
            &c.material,
        ) {
            (Some(MaterialState::Claim(s)), Some(m)) => holds(s, m),
            _ => false,
        };
        if same {
            c.material = None;
            shed = true;
        }
    }
    for (r, key) in p.rows.iter_mut().zip(row_keys) {
        let same = match (
            state(key, NodeKind::Benchmark, loc(file as usize, &r.pos)),
            &r.value,
        ) {
            (Some(MaterialState::Benchmark { value, .. }), Some(v)) => value == &**v,
            _ => false,
        };
        if same {
            r.value = None;
            shed = true;
        }
    }
    p.material_in_graph |= shed;
}

#[cfg(test)]
mod tests {
    use super::super::tests::pages;
    use super::super::{build_parts, build_parts_moving};
    use super::*;

    type Held = (Vec<Option<Box<ClaimMaterial>>>, Vec<Option<Box<Value>>>);

    fn material(p: &Page) -> Held {
        (
            p.claims.iter().map(|c| c.material.clone()).collect(),
            p.rows.iter().map(|r| r.value.clone()).collect(),
        )
    }

    fn claim_out(c: &Claim) -> bool {
        c.material.is_none()
    }

    fn row_out(r: &Row) -> bool {
        r.value.is_none()
    }

    fn by_place(pages: &[Page]) -> Vec<u32> {
        (0..pages.len() as u32).collect()
    }

    #[test]
    fn a_graph_built_moving_the_material_is_the_one_built_reading_it_and_the_material_comes_back() {
        let whole = pages();
        let mut read_diags = Vec::new();
        let (read, _) = build_parts(&whole, &[], &mut read_diags);
        let mut moved = whole.clone();
        let mut diags = Vec::new();
        let (graph, _) = build_parts_moving(&mut moved, &[], &mut diags);
        assert_eq!(diags, read_diags);
        assert_eq!(graph.len(), read.len());
        for (ix, n) in read.nodes() {
            assert_eq!(graph.node(ix), n);
        }
        for (w, m) in whole.iter().zip(&moved) {
            assert_eq!(m.material_in_graph, moves(w), "{}", w.path.display());
            if !moves(w) {
                assert_eq!(
                    material(m),
                    material(w),
                    "{} keeps its own",
                    w.path.display()
                );
            }
        }
        let out = claim_out;
        assert!(moved.iter().any(|p| p.claims.iter().any(out)));
        assert!(moved.iter().any(|p| p.rows.iter().any(row_out)));
        // The second `{#a}` of each concept has no node, and keeps its material.
        assert!(moved
            .iter()
            .filter(|p| p.kind == PageKind::Concept)
            .all(|p| !out(&p.claims[1]) && out(&p.claims[0])));

        let numbers = by_place(&moved);
        assert!(restore_material(&mut moved, &numbers, &graph).is_empty());
        for (w, m) in whole.iter().zip(&moved) {
            assert_eq!(material(m), material(w), "{}", w.path.display());
            assert!(!m.material_in_graph);
        }
    }

    #[test]
    fn shedding_drops_only_what_the_pages_own_nodes_hold() {
        let whole = pages();
        let (graph, _) = build_parts(&whole, &[], &mut Vec::new());
        let at = whole
            .iter()
            .position(|p| p.kind == PageKind::Concept)
            .expect("a concept");
        let mut edited = whole[at].clone();
        fn said(c: &Claim) -> Option<&str> {
            c.material.as_deref().map(|m| &*m.text)
        }
        if let Some(m) = edited.claims[2].material.as_deref_mut() {
            m.text = "Other words".into();
        }
        shed_material(&mut edited, at as u32, &graph);
        assert!(edited.material_in_graph);
        assert!(claim_out(&edited.claims[0]) && claim_out(&edited.claims[3]));
        assert_eq!(
            said(&edited.claims[2]),
            Some("Other words"),
            "not what its node holds"
        );
        assert!(!claim_out(&edited.claims[1]), "no node of its own");

        // Under another page's number, no node is its own.
        let mut elsewhere = whole[at].clone();
        shed_material(&mut elsewhere, at as u32 + 1, &graph);
        assert!(!elsewhere.material_in_graph);
        assert_eq!(material(&elsewhere), material(&whole[at]));

        let mut shed = whole.clone();
        for (k, p) in shed.iter_mut().enumerate() {
            shed_material(p, k as u32, &graph);
            assert_eq!(p.material_in_graph, moves(p));
        }
        assert!(restore_material(&mut shed, &by_place(&whole), &graph).is_empty());
        for (w, s) in whole.iter().zip(&shed) {
            assert_eq!(material(s), material(w), "{}", w.path.display());
        }
    }

    /// An empty cell is an empty text value, which says nothing of where the row's value is: a
    /// row that got no node keeps its value, empty or not, and nothing is missing.
    #[test]
    fn a_row_with_an_empty_cell_and_no_node_keeps_its_value() {
        let rules = crate::rules::RuleSet::shipped().expect("shipped rules");
        let folders = crate::config::Folders::default();
        let cx = crate::page::ParseContext {
            folders: &folders,
            scale: &rules.scale,
        };
        let text = "# C\n\n| Metric | Value |\n|---|---|\n| Score | 5 |\n| Score | |\n";
        let (page, _) = crate::page::parse(std::path::Path::new("concepts/c.md"), text, &cx);
        let mut pages = vec![page.expect("a page")];
        let whole = material(&pages[0]);
        let mut diags = Vec::new();
        let (graph, _) = build_parts_moving(&mut pages, &[], &mut diags);
        assert!(
            diags.iter().any(|d| d.code == "duplicate-anchor"),
            "{diags:?}"
        );
        assert!(pages[0].material_in_graph);
        assert!(restore_material(&mut pages, &[0], &graph).is_empty());
        assert_eq!(material(&pages[0]), whole);
    }

    #[test]
    fn material_a_graph_does_not_hold_is_told() {
        let mut moved = pages();
        let (_, _) = build_parts_moving(&mut moved, &[], &mut Vec::new());
        let flagged: Vec<usize> = (0..moved.len())
            .filter(|&at| moved[at].material_in_graph)
            .collect();
        assert!(!flagged.is_empty());
        let numbers = by_place(&moved);
        let short = restore_material(&mut moved, &numbers, &Graph::default());
        assert_eq!(short, flagged);
    }
}
