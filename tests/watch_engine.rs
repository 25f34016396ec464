//! Property: random edit sequences applied through the watcher's engine, a batch at a time,
//! end every batch in the verdicts a fresh `check` gives on the same files (load and evaluate
//! from scratch): material and cosmetic edits, new and deleted pages of every kind, changed
//! links, retracted sources, changed scores, pages broken and fixed, and accepts. While the
//! fresh load has errors the engine must hold evaluation back (and keep its last good graph).

#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use rescore::eval;
use rescore::load::{self, Repo};
use rescore::lock::Lock;
use rescore::trees::Trees;
use rescore::watch::engine::{Engine, FileNow};
use rescore::writeback;
use rescore_graph::NodeKind;

const CONCEPTS: usize = 4;
const THESES: usize = 4;
const SOURCES: usize = 3;
const LEVELS: [&str; 4] = ["speculative", "weak", "moderate", "strong"];
const VALUES: [u32; 4] = [10, 11, 40, 64];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Link {
    Concept(usize),
    Claim(usize, usize),
    Thesis(usize),
}

#[derive(Debug, Clone)]
struct Concept {
    alive: bool,
    broken: bool,
    cosmetic: bool,
    /// (evidence level, value) of claims `a` and `b`.
    claims: [(usize, usize); 2],
    source: usize,
    /// Claim `b` is written without its `{#b}` anchor (so its id is a slug of its words).
    b_unanchored: bool,
}

#[derive(Debug, Clone)]
struct Thesis {
    alive: bool,
    broken: bool,
    score: u8,
    links: Vec<Link>,
}

#[derive(Debug, Clone)]
struct Source {
    alive: bool,
    retracted: bool,
}

#[derive(Debug, Clone)]
struct Model {
    concepts: Vec<Concept>,
    theses: Vec<Thesis>,
    sources: Vec<Source>,
}

#[derive(Debug, Clone)]
enum Op {
    Level(usize, usize, usize),
    Value(usize, usize, usize),
    Cosmetic(usize),
    Anchor(usize),
    ToggleConcept(usize),
    ToggleThesis(usize),
    ToggleSource(usize),
    Retract(usize),
    CiteSource(usize, usize),
    Relink(usize, usize, Link),
    AddLink(usize, Link),
    DropLink(usize),
    Score(usize, u8),
    BreakConcept(usize),
    BreakThesis(usize),
    Accept(usize),
}

fn link() -> impl Strategy<Value = Link> {
    prop_oneof![
        (0..CONCEPTS).prop_map(Link::Concept),
        (0..CONCEPTS, 0..2usize).prop_map(|(c, k)| Link::Claim(c, k)),
        (0..THESES).prop_map(Link::Thesis),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..CONCEPTS, 0..2usize, 0..LEVELS.len()).prop_map(|(c, k, l)| Op::Level(c, k, l)),
        4 => (0..CONCEPTS, 0..2usize, 0..VALUES.len()).prop_map(|(c, k, v)| Op::Value(c, k, v)),
        2 => (0..CONCEPTS).prop_map(Op::Cosmetic),
        1 => (0..CONCEPTS).prop_map(Op::Anchor),
        2 => (0..CONCEPTS).prop_map(Op::ToggleConcept),
        2 => (0..THESES).prop_map(Op::ToggleThesis),
        1 => (0..SOURCES).prop_map(Op::ToggleSource),
        1 => (0..SOURCES).prop_map(Op::Retract),
        1 => (0..CONCEPTS, 0..SOURCES).prop_map(|(c, s)| Op::CiteSource(c, s)),
        2 => (0..THESES, 0..3usize, link()).prop_map(|(t, k, l)| Op::Relink(t, k, l)),
        1 => (0..THESES, link()).prop_map(|(t, l)| Op::AddLink(t, l)),
        1 => (0..THESES).prop_map(Op::DropLink),
        2 => (0..THESES, 0..10u8).prop_map(|(t, s)| Op::Score(t, s)),
        1 => (0..CONCEPTS).prop_map(Op::BreakConcept),
        1 => (0..THESES).prop_map(Op::BreakThesis),
        2 => (0..THESES).prop_map(Op::Accept),
    ]
}

impl Model {
    fn new() -> Model {
        Model {
            concepts: (0..CONCEPTS)
                .map(|c| Concept {
                    alive: c < 3,
                    broken: false,
                    cosmetic: false,
                    claims: [(3, c % VALUES.len()), (2, 0)],
                    // Only the sources alive at the start.
                    source: c % 2,
                    b_unanchored: false,
                })
                .collect(),
            theses: (0..THESES)
                .map(|t| Thesis {
                    alive: t < 3,
                    broken: false,
                    score: 5,
                    links: match t {
                        0 => vec![Link::Claim(0, 0)],
                        1 => vec![Link::Concept(1), Link::Thesis(0)],
                        2 => vec![Link::Claim(2, 1), Link::Concept(0)],
                        _ => vec![Link::Concept(2)],
                    },
                })
                .collect(),
            sources: (0..SOURCES)
                .map(|s| Source {
                    alive: s < 2,
                    retracted: false,
                })
                .collect(),
        }
    }

    /// Applies an edit; `Some(thesis)` for an accept, which the caller records in the lock.
    fn apply(&mut self, op: &Op) -> Option<usize> {
        match *op {
            Op::Level(c, k, l) => self.concepts[c].claims[k].0 = l,
            Op::Value(c, k, v) => self.concepts[c].claims[k].1 = v,
            Op::Cosmetic(c) => self.concepts[c].cosmetic ^= true,
            Op::Anchor(c) => self.concepts[c].b_unanchored ^= true,
            Op::ToggleConcept(c) => self.concepts[c].alive ^= true,
            Op::ToggleThesis(t) => self.theses[t].alive ^= true,
            Op::ToggleSource(s) => self.sources[s].alive ^= true,
            Op::Retract(s) => self.sources[s].retracted ^= true,
            Op::CiteSource(c, s) => self.concepts[c].source = s,
            Op::Relink(t, k, l) => {
                let links = &mut self.theses[t].links;
                if !links.is_empty() {
                    let k = k % links.len();
                    links[k] = l;
                }
            }
            Op::AddLink(t, l) => self.theses[t].links.push(l),
            Op::DropLink(t) => {
                self.theses[t].links.pop();
            }
            Op::Score(t, s) => self.theses[t].score = s,
            Op::BreakConcept(c) => self.concepts[c].broken ^= true,
            Op::BreakThesis(t) => self.theses[t].broken ^= true,
            Op::Accept(t) => return Some(t),
        }
        None
    }

    fn files(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut files = BTreeMap::new();
        for (i, c) in self.concepts.iter().enumerate() {
            if c.alive {
                files.insert(
                    PathBuf::from(format!("concepts/c{i}.md")),
                    concept_text(i, c).into_bytes(),
                );
            }
        }
        for (i, t) in self.theses.iter().enumerate() {
            if t.alive {
                files.insert(
                    PathBuf::from(format!("theses/t{i}.md")),
                    thesis_text(i, t).into_bytes(),
                );
            }
        }
        for (i, s) in self.sources.iter().enumerate() {
            if s.alive {
                let text = format!(
                    "+++\nkind = \"source\"\nretracted = {}\n+++\n# Source {i}\n",
                    s.retracted
                );
                files.insert(PathBuf::from(format!("sources/s{i}.md")), text.into_bytes());
            }
        }
        files
    }
}

fn concept_text(i: usize, c: &Concept) -> String {
    if c.broken {
        return format!("+++\nkind = \"concept\"\n# Concept {i}\n\nhalf-typed");
    }
    let (la, va) = c.claims[0];
    let (lb, vb) = c.claims[1];
    let b_anchor = if c.b_unanchored { "" } else { " {#b}" };
    let text = format!(
        "+++\nkind = \"concept\"\n+++\n# Concept {i}\n\n## Key Claims\n\n\
         - Alpha systems of concept {i} reach {}% on the test suite. {{#a}}\n  \
         Evidence: {} ([[s{}]])\n\
         - Beta systems of concept {i} reach {}% on the second suite.{b_anchor}\n  \
         Evidence: {}\n",
        VALUES[va], LEVELS[la], c.source, VALUES[vb], LEVELS[lb]
    );
    if c.cosmetic {
        text.lines().map(|l| format!("{l}   \n")).collect()
    } else {
        text
    }
}

fn thesis_text(i: usize, t: &Thesis) -> String {
    if t.broken {
        return format!("+++\nkind = \"thesis\"\nscore = \n+++\n# Thesis {i}\n");
    }
    let mut s = format!(
        "+++\nkind = \"thesis\"\nscore = 0.{}\n+++\n# Thesis {i}\n\n## Evidence\n\n",
        t.score
    );
    for l in &t.links {
        let target = match *l {
            Link::Concept(c) => format!("[[c{c}]]"),
            Link::Claim(c, 0) => format!("[[c{c}#a]]"),
            Link::Claim(c, _) => format!("[Concept {c}](../concepts/c{c}.md#b)"),
            // Only earlier theses, so thesis links never make a cycle.
            Link::Thesis(j) if j < i => format!("[[t{j}]]"),
            Link::Thesis(_) => "[[c0]]".to_string(),
        };
        s.push_str(&format!("- Rests on {target}\n"));
    }
    s
}

fn no_rules(_: &Path) -> Option<String> {
    None
}

/// A fresh `check`: load the files from scratch, settle against the lock.
fn fresh(files: &BTreeMap<PathBuf, Vec<u8>>, lock: &Lock) -> Repo {
    let (config, rules) = load::settings(None, &no_rules).expect("default settings");
    let texts = files
        .iter()
        .map(|(p, b)| (p.clone(), load::decode(p, b.clone())))
        .collect();
    let mut repo = load::build(PathBuf::from("."), config, rules, texts);
    repo.settle_dangling(lock);
    repo
}

/// Verdicts as JSON by thesis: status, causes, waiting_on, path and line.
fn verdicts_of(vs: impl Iterator<Item = eval::Verdict>) -> BTreeMap<String, serde_json::Value> {
    vs.map(|v| {
        let j = serde_json::to_value(&v).expect("verdict as JSON");
        (v.thesis, j)
    })
    .collect()
}

fn accept(lock: &mut Lock, repo: &Repo, thesis: &str) {
    let Some(ix) = repo.graph.get(thesis) else {
        return;
    };
    if repo.graph.node(ix).kind != NodeKind::Thesis {
        return;
    }
    let score = repo
        .page_of(repo.graph.node(ix).loc)
        .and_then(|p| p.score())
        .unwrap_or(0.0);
    let trees = Trees::eager_for_theses(&repo.graph);
    let snap = eval::baseline(repo, &trees, lock, ix);
    lock.accept(thesis, score, &snap);
}

/// An engine started on these files and this lock.
fn engine_on(files: &BTreeMap<PathBuf, Vec<u8>>, lock: &Lock) -> Engine {
    let (engine, _) = Engine::from_files(
        Path::new("."),
        None,
        &no_rules,
        files.clone().into_iter().collect(),
        lock.clone(),
    )
    .expect("engine starts");
    engine
}

/// The engine agrees with a fresh check: held back exactly when the fresh load has errors,
/// and otherwise the same verdict for every thesis.
fn agree(engine: &mut Engine, files: &BTreeMap<PathBuf, Vec<u8>>, lock: &Lock, step: &str) {
    let drift = engine.drift();
    assert!(
        drift.is_empty(),
        "{step}: what the engine keeps in step drifted: {drift:#?}"
    );
    let repo = fresh(files, lock);
    if repo.has_errors() {
        assert!(
            engine.held_back(),
            "{step}: a fresh check has errors, the engine evaluated: {:#?}",
            repo.diags
        );
        return;
    }
    assert!(
        !engine.held_back(),
        "{step}: the engine holds back, a fresh check has no errors"
    );
    let want = verdicts_of(eval::evaluate(&repo, lock).verdicts.into_iter());
    let got = verdicts_of(engine.verdicts().values().cloned());
    assert_eq!(
        got, want,
        "{step}: the engine's verdicts differ from a fresh check"
    );
    assert_eq!(
        placed(engine.repo()),
        placed(&repo),
        "{step}: the engine's nodes or edges say they are written elsewhere than a fresh check's"
    );
}

/// Where each node and edge of a graph is written, by key and by page path: a page number that
/// was not moved when pages came or left names the wrong file in a diagnostic. An edge's line
/// and column are left out: only a cycle message reads them, and the engine builds a graph
/// with a cycle anew, so a patched page may keep its edges' old columns.
fn placed(repo: &Repo) -> (Vec<String>, Vec<String>) {
    let g = &repo.graph;
    let file = |loc: &rescore_graph::Loc| repo.page_of(*loc).map(|p| &p.path);
    let mut nodes: Vec<String> = g
        .nodes()
        .map(|(_, n)| {
            format!(
                "{} at {:?}:{}:{}",
                n.key,
                file(&n.loc),
                n.loc.line,
                n.loc.col
            )
        })
        .collect();
    let mut edges: Vec<String> = g
        .edges()
        .map(|(f, t, e)| {
            let (f, t) = (&g.node(f).key, &g.node(t).key);
            format!("{f} -{}-> {t} in {:?}", e.kind.as_str(), file(&e.loc))
        })
        .collect();
    nodes.sort();
    edges.sort();
    (nodes, edges)
}

fn block_of(v: &eval::Verdict) -> Option<Vec<eval::Cause>> {
    (v.status == eval::Status::Stale).then(|| v.causes.clone())
}

/// Writes the blocks the report lists (telling the engine, as the watcher does), then checks
/// that every evaluated thesis's page shows the block of its verdict: the blocks left out were
/// in line already.
fn blocks_in_line(
    engine: &mut Engine,
    files: &BTreeMap<PathBuf, Vec<u8>>,
    shown: &mut BTreeMap<String, Option<Vec<eval::Cause>>>,
    report: &rescore::watch::engine::Report,
    step: &str,
) {
    for v in &report.blocks {
        let block = block_of(v);
        if shown.get(&v.path).cloned().flatten() != block {
            let path = PathBuf::from(&v.path);
            let text = String::from_utf8_lossy(&files[&path]).into_owned();
            let stale = block.is_some().then_some(v);
            let written = writeback::updated(&text, stale).unwrap_or(text);
            engine.wrote(&[(path, written)]);
        }
        shown.insert(v.path.clone(), block);
    }
    for v in &report.evaluated {
        let on_page = shown.get(&v.path).cloned().flatten();
        assert_eq!(
            on_page,
            block_of(v),
            "{step}: the warning block of {} is out of date and not listed",
            v.thesis
        );
    }
}

/// Runs the batches through the engine, checking each; returns how each batch reached the graph.
fn run(batches: &[Vec<Op>]) -> Vec<&'static str> {
    run_seeing(batches, |_, _, _| {})
}

/// `run`, showing `see` the engine after each batch with the files the batch changed and how
/// it reached the graph.
fn run_seeing(
    batches: &[Vec<Op>],
    mut see: impl FnMut(&Engine, &[PathBuf], Option<&'static str>),
) -> Vec<&'static str> {
    let mut tiers = Vec::new();
    let mut model = Model::new();
    let mut files = model.files();
    let mut lock = Lock::new();
    let start = fresh(&files, &lock);
    // Starting clean, so every batch until an error is compared verdict by verdict.
    assert!(!start.has_errors(), "the starting repo: {:#?}", start.diags);
    for t in 0..THESES {
        accept(&mut lock, &start, &format!("t{t}"));
    }
    let mut engine = engine_on(&files, &lock);
    // The warning block each thesis page shows, as the watcher would leave it writing only
    // the blocks the engine lists (a page rewritten by an edit shows none).
    let mut shown: BTreeMap<String, Option<Vec<eval::Cause>>> = BTreeMap::new();
    let report = engine.initial();
    blocks_in_line(&mut engine, &files, &mut shown, &report, "start");
    agree(&mut engine, &files, &lock, "start");
    for (n, batch) in batches.iter().enumerate() {
        let mut accepts = Vec::new();
        for op in batch {
            accepts.extend(model.apply(op));
        }
        let now = model.files();
        let mut lock_now = None;
        if !accepts.is_empty() {
            let repo = fresh(&now, &lock);
            if !repo.has_errors() {
                for t in accepts {
                    accept(&mut lock, &repo, &format!("t{t}"));
                }
                lock_now = Some(lock.clone());
            }
        }
        let mut changed: Vec<(PathBuf, FileNow)> = Vec::new();
        for (p, b) in &now {
            if files.get(p) != Some(b) {
                changed.push((p.clone(), FileNow::Bytes(b.clone())));
            }
        }
        for p in files.keys() {
            if !now.contains_key(p) {
                changed.push((p.clone(), FileNow::Gone));
            }
        }
        for (p, _) in &changed {
            shown.insert(p.to_string_lossy().into_owned(), None);
        }
        let paths: Vec<PathBuf> = changed.iter().map(|(p, _)| p.clone()).collect();
        let report = engine.apply(changed, lock_now);
        blocks_in_line(
            &mut engine,
            &now,
            &mut shown,
            &report,
            &format!("batch {n}"),
        );
        let tier = report.batch.map(|b| b.graph);
        tiers.extend(tier);
        files = now;
        agree(&mut engine, &files, &lock, &format!("batch {n} {batch:?}"));
        see(&engine, &paths, tier);
    }
    tiers
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn engine_batches_end_in_the_verdicts_of_a_fresh_check(
        batches in prop::collection::vec(prop::collection::vec(op(), 1..4), 1..10)
    ) {
        run(&batches);
    }
}

#[test]
fn a_material_edit_then_its_revert_through_the_engine() {
    let tiers = run(&[
        vec![Op::Value(0, 0, 2)],
        vec![Op::Value(0, 0, 0)],
        vec![Op::Cosmetic(0)],
    ]);
    assert_eq!(tiers, ["patched", "patched", "patched"]);
}

#[test]
fn a_thesis_put_back_before_another_leaves_that_ones_edges_in_its_own_page() {
    let tiers = run(&[vec![Op::ToggleThesis(1)], vec![Op::ToggleThesis(1)]]);
    assert_eq!(tiers[1], "added");
}

#[test]
fn each_tier_of_graph_update_is_taken() {
    let tiers = run(&[
        vec![Op::Value(0, 0, 2)],
        vec![Op::Relink(0, 0, Link::Concept(1))],
        vec![Op::AddLink(1, Link::Claim(2, 1))],
        vec![Op::ToggleThesis(3)],
        // A new concept, a new source, a concept's changed link, a claim's changed anchor.
        vec![Op::ToggleConcept(3)],
        vec![Op::ToggleSource(2)],
        vec![Op::CiteSource(3, 2)],
        vec![Op::Anchor(2)],
        // A deleted thesis, concept and source.
        vec![Op::ToggleThesis(3)],
        vec![Op::ToggleConcept(3)],
        vec![Op::ToggleSource(2)],
        // A deleted concept that theses cite (stale, not an error: the lock knows it), back.
        vec![Op::ToggleConcept(0)],
        vec![Op::ToggleConcept(0)],
        // A deleted source that concepts cite: their links are errors, held back with the
        // graph spliced; put back, spliced again, with no rebuild.
        vec![Op::ToggleSource(0)],
        vec![Op::ToggleSource(0)],
        // A thesis linked to a page that is not there (an error: no baseline knows it), back.
        vec![Op::Relink(0, 0, Link::Concept(3))],
        vec![Op::Relink(0, 0, Link::Concept(1))],
    ]);
    assert_eq!(
        tiers,
        [
            "patched", "relinked", "relinked", "added", "spliced", "spliced", "spliced", "spliced",
            "spliced", "spliced", "spliced", "spliced", "spliced", "kept", "spliced", "kept",
            "relinked"
        ]
    );
}

#[test]
fn structural_edits_through_the_engine() {
    run(&[
        vec![Op::ToggleConcept(3)],
        vec![Op::AddLink(0, Link::Concept(3))],
        vec![Op::ToggleThesis(3)],
        vec![Op::ToggleConcept(0)],
        vec![Op::ToggleConcept(0)],
        vec![Op::Relink(1, 0, Link::Claim(2, 0))],
        vec![Op::ToggleSource(2), Op::CiteSource(1, 2)],
        vec![Op::BreakConcept(1)],
        vec![Op::BreakConcept(1)],
        vec![Op::Accept(1), Op::Accept(0)],
    ]);
}

/// Every node's page number (`Loc::file`), by key.
fn numbers(repo: &Repo) -> BTreeMap<String, u32> {
    repo.graph
        .nodes()
        .map(|(_, n)| (n.key.clone(), n.loc.file))
        .collect()
}

#[test]
fn pages_coming_and_going_in_any_order_leave_the_other_pages_their_numbers() {
    // A new concept, source and thesis, and a cited concept deleted: each toggled on, then
    // off again, in every order.
    let toggles = [
        Op::ToggleConcept(3),
        Op::ToggleSource(2),
        Op::ToggleThesis(3),
        Op::ToggleConcept(0),
    ];
    let mut orders: Vec<Vec<usize>> = vec![Vec::new()];
    for _ in 0..toggles.len() {
        orders = orders
            .iter()
            .flat_map(|o| {
                (0..toggles.len())
                    .filter(|k| !o.contains(k))
                    .map(|k| [o.as_slice(), &[k]].concat())
            })
            .collect();
    }
    assert_eq!(orders.len(), 24);
    for order in orders {
        let batches: Vec<Vec<Op>> = order
            .iter()
            .chain(order.iter().rev())
            .map(|&k| vec![toggles[k].clone()])
            .collect();
        let mut before: Option<BTreeMap<String, u32>> = None;
        let tiers = run_seeing(&batches, |engine, changed, tier| {
            let repo = engine.repo();
            let now = numbers(repo);
            // Every node is found on its own page by its number.
            for (key, &file) in &now {
                let page = key.split('#').next().unwrap_or(key);
                let loc = rescore_graph::Loc {
                    file,
                    ..Default::default()
                };
                assert_eq!(
                    repo.page_of(loc).map(rescore::resolve::page_key).as_deref(),
                    Some(page),
                    "{order:?}: {key} after {changed:?}"
                );
            }
            // The nodes of the pages the batch left alone kept their numbers.
            let stems: Vec<String> = changed
                .iter()
                .filter_map(|p| p.file_stem())
                .map(|s| s.to_string_lossy().into_owned())
                .collect();
            for (key, file) in before.iter().flatten() {
                let page = key.split('#').next().unwrap_or(key);
                if !stems.iter().any(|s| s == page) {
                    assert_eq!(
                        now.get(key),
                        Some(file),
                        "{order:?}: {key} was renumbered by {changed:?} ({tier:?})"
                    );
                }
            }
            before = Some(now);
        });
        assert!(
            tiers.iter().all(|t| ["added", "spliced"].contains(t)),
            "{order:?}: every page in place: {tiers:?}"
        );
    }
}

/// The sources of every edge into `key`, by key, in a graph.
fn feeding(repo: &Repo, key: &str) -> Vec<String> {
    let Some(ix) = repo.graph.get(key) else {
        return Vec::new();
    };
    let mut from: Vec<String> = repo
        .graph
        .edges()
        .filter(|&(_, to, _)| to == ix)
        .map(|(f, _, _)| repo.graph.node(f).key.clone())
        .collect();
    from.sort();
    from
}

#[test]
fn a_new_thesis_taking_a_notes_title_is_linked_where_a_fresh_check_links_it() {
    let mut files: BTreeMap<PathBuf, Vec<u8>> = BTreeMap::new();
    let put = |files: &mut BTreeMap<PathBuf, Vec<u8>>, p: &str, text: &str| {
        files.insert(PathBuf::from(p), text.as_bytes().to_vec());
    };
    put(
        &mut files,
        "concepts/c.md",
        "+++\nkind = \"concept\"\n+++\n# C\n\n- A claim at 40%. {#a}\n  Evidence: strong\n",
    );
    put(&mut files, "notes/shared.md", "# Shared Name\n\nA note.\n");
    put(
        &mut files,
        "theses/a.md",
        "+++\nkind = \"thesis\"\nscore = 0.5\n+++\n# A\n\n## Evidence\n\n- [[c]]\n- [[Shared Name]]\n",
    );
    let mut lock = Lock::new();
    let start = fresh(&files, &lock);
    accept(&mut lock, &start, "a");
    let mut engine = engine_on(&files, &lock);
    engine.initial();
    assert!(feeding(engine.repo(), "a").iter().all(|k| k != "b"));
    // A thesis titled as the note: a concept, thesis or source takes a title before a note,
    // so `[[Shared Name]]` in `a` now names it.
    let b = "+++\nkind = \"thesis\"\nscore = 0.7\n+++\n# Shared Name\n\n## Evidence\n\n- [[c]]\n";
    put(&mut files, "theses/b.md", b);
    engine.apply(
        vec![(
            PathBuf::from("theses/b.md"),
            FileNow::Bytes(b.as_bytes().to_vec()),
        )],
        None,
    );
    let want = fresh(&files, &lock);
    assert!(feeding(&want, "a").iter().any(|k| k == "b"));
    assert_eq!(feeding(engine.repo(), "a"), feeding(&want, "a"));
    agree(&mut engine, &files, &lock, "thesis b added");
}

#[test]
fn a_title_taken_after_pages_came_out_of_order_goes_to_the_first_page_in_path_order() {
    let mut files: BTreeMap<PathBuf, Vec<u8>> = BTreeMap::new();
    let concept = |title: &str, value: u32| {
        format!(
            "+++\nkind = \"concept\"\n+++\n# {title}\n\n- A claim at {value}%. {{#a}}\n  Evidence: strong\n"
        )
    };
    files.insert("concepts/m.md".into(), concept("Shared", 40).into_bytes());
    files.insert(
        "theses/t.md".into(),
        b"+++\nkind = \"thesis\"\nscore = 0.5\n+++\n# T\n\n## Evidence\n\n- [[Shared]]\n".to_vec(),
    );
    let mut lock = Lock::new();
    let start = fresh(&files, &lock);
    accept(&mut lock, &start, "t");
    let mut engine = engine_on(&files, &lock);
    engine.initial();
    // Pages the engine takes at the end of its list, so it is out of path order; then one
    // titled as `m` that sorts before it, which a fresh check links `[[Shared]]` to.
    for (path, title, value) in [
        ("concepts/z.md", "Z", 11),
        ("concepts/b.md", "B", 12),
        ("concepts/a.md", "Shared", 64),
    ] {
        let text = concept(title, value).into_bytes();
        files.insert(path.into(), text.clone());
        engine.apply(vec![(path.into(), FileNow::Bytes(text))], None);
        agree(&mut engine, &files, &lock, &format!("{path} added"));
    }
    assert_eq!(feeding(engine.repo(), "t"), ["a"]);
    assert_eq!(feeding(&fresh(&files, &lock), "t"), ["a"]);
}
