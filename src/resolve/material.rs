//! Claim and row material (texts, quantities, levels, qualifiers, row values) moved between a
//! page and the graph's node states, so that what keeps both (the watcher) holds it once.
//!
//! A page whose material went into the graph says so (`Page::material_in_graph`); on such a page
//! a claim whose material is in the graph has an empty level, a row an empty text value. Its
//! node is the one of its key at its own place (`Loc`) in the graph it went into, and holds
//! exactly that material until the page changes (a changed page is a new, whole `Page`).

use rayon::prelude::*;
use rescore_graph::quantity::{Quantity, Value};
use rescore_graph::{Graph, Loc, MaterialState, NodeKind};

use crate::page::{Claim, Page, PageKind, Row};

use super::{loc, node_keys};

/// A page's claim texts, quantities, levels and qualifiers and its row values, moved out of it.
#[derive(Default)]
pub(super) struct Material {
    pub(super) claims: Vec<ClaimMaterial>,
    pub(super) rows: Vec<Value>,
}

pub(super) struct ClaimMaterial {
    pub(super) text: Box<str>,
    pub(super) quantities: Box<[Quantity]>,
    pub(super) level: Box<str>,
    pub(super) qualifier: Option<Box<str>>,
}

impl ClaimMaterial {
    /// A copy of a claim's material.
    pub(super) fn of(c: &Claim) -> ClaimMaterial {
        ClaimMaterial {
            text: c.text.clone(),
            quantities: c.quantities.clone(),
            level: c.level.clone(),
            qualifier: c.qualifier.clone(),
        }
    }

    fn take(c: &mut Claim) -> ClaimMaterial {
        ClaimMaterial {
            text: std::mem::take(&mut c.text),
            quantities: std::mem::take(&mut c.quantities),
            level: std::mem::take(&mut c.level),
            qualifier: c.qualifier.take(),
        }
    }

    fn put(self, c: &mut Claim) {
        c.text = self.text;
        c.quantities = self.quantities;
        c.level = self.level;
        c.qualifier = self.qualifier;
    }
}

/// What a row holds once its value is in the graph.
fn no_value() -> Value {
    Value::Text {
        text: String::new(),
    }
}

impl Material {
    pub(super) fn take(p: &mut Page) -> Material {
        Material {
            claims: p.claims.iter_mut().map(ClaimMaterial::take).collect(),
            rows: p
                .rows
                .iter_mut()
                .map(|r| std::mem::replace(&mut r.value, no_value()))
                .collect(),
        }
    }
}

/// Material taken from claims and rows that got no node, by their place on the page.
#[derive(Default)]
pub(super) struct Unused {
    pub(super) claims: Vec<(usize, ClaimMaterial)>,
    pub(super) rows: Vec<(usize, Value)>,
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
        m.put(&mut p.claims[k]);
    }
    for (k, v) in unused.rows {
        p.rows[k].value = v;
    }
    p.material_in_graph = true;
}

fn claim_out(c: &Claim) -> bool {
    c.level.is_empty()
}

fn row_out(r: &Row) -> bool {
    matches!(&r.value, Value::Text { text } if text.is_empty())
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
        if !claim_out(c) {
            continue;
        }
        match state(key, NodeKind::Claim, loc(file as usize, &c.pos)) {
            Some(MaterialState::Claim(s)) => {
                c.text = s.text.clone();
                c.quantities = s.quantities.clone();
                c.level = s.level.clone();
                c.qualifier = s.qualifier.clone();
            }
            _ => whole = false,
        }
    }
    for (r, key) in p.rows.iter_mut().zip(row_keys) {
        if !row_out(r) {
            continue;
        }
        match state(key, NodeKind::Benchmark, loc(file as usize, &r.pos)) {
            Some(MaterialState::Benchmark { value, .. }) => r.value = value.clone(),
            _ => whole = false,
        }
    }
    p.material_in_graph = false;
    whole
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
        let same = matches!(
            state(key, NodeKind::Claim, loc(file as usize, &c.pos)),
            Some(MaterialState::Claim(s)) if !claim_out(c)
                && (&s.text, &s.quantities, &s.level, &s.qualifier)
                    == (&c.text, &c.quantities, &c.level, &c.qualifier)
        );
        if same {
            drop(ClaimMaterial::take(c));
            shed = true;
        }
    }
    for (r, key) in p.rows.iter_mut().zip(row_keys) {
        let same = matches!(
            state(key, NodeKind::Benchmark, loc(file as usize, &r.pos)),
            Some(MaterialState::Benchmark { value, .. }) if !row_out(r) && *value == r.value
        );
        if same {
            r.value = no_value();
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

    type Held = (
        Vec<(Box<str>, Box<[Quantity]>, Box<str>, Option<Box<str>>)>,
        Vec<Value>,
    );

    fn material(p: &Page) -> Held {
        let claims = p.claims.iter();
        let claims = claims.map(|c| {
            let m = ClaimMaterial::of(c);
            (m.text, m.quantities, m.level, m.qualifier)
        });
        (
            claims.collect(),
            p.rows.iter().map(|r| r.value.clone()).collect(),
        )
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
        let out = |c: &Claim| c.level.is_empty();
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
        edited.claims[2].text = "Other words".into();
        shed_material(&mut edited, at as u32, &graph);
        assert!(edited.material_in_graph);
        assert!(edited.claims[0].level.is_empty() && edited.claims[3].level.is_empty());
        assert_eq!(
            &*edited.claims[2].text, "Other words",
            "not what its node holds"
        );
        assert!(!edited.claims[1].level.is_empty(), "no node of its own");

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
