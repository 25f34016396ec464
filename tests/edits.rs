//! The labelled edit corpus: old/new claim texts in `tests/edits/*.tsv`, each labelled cosmetic
//! or material with the rules it must fire and the class of its change, run through the real
//! parse → graph → lock → evaluate path of the library. Any case that fires other rules than
//! its label says fails the test; the rates by class are printed (`cargo test --test edits --
//! --nocapture`). A property test checks that cosmetic transformations of random claims fire
//! nothing.
//!
//! A case line is `label TAB class TAB rules TAB old TAB new`: `rules` is `-` or rule names
//! joined by `+`; in the texts `\n` is a line break. The first line of a text is the claim's
//! first paragraph; further lines go below its Evidence line, inside the list item.

// `lock::update` takes an edit that can fail with a diagnostic, which is large.
#![allow(clippy::result_large_err)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use rescore::eval::{self, Status};
use rescore::lock::Lock;
use rescore::page::slug;

struct Case {
    file: String,
    line: usize,
    material: bool,
    class: String,
    rules: BTreeSet<String>,
    old: String,
    new: String,
}

fn cases() -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/edits");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/edits")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "tsv"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let name = f.file_stem().expect("stem").to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&f).expect("read corpus");
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols.len(), 5, "{name}.tsv:{}: want 5 columns", i + 1);
            assert!(
                matches!(cols[0], "cosmetic" | "material"),
                "{name}.tsv:{}: label {}",
                i + 1,
                cols[0]
            );
            let rules: BTreeSet<String> = match cols[2] {
                "-" => BTreeSet::new(),
                r => r.split('+').map(str::to_string).collect(),
            };
            assert_eq!(
                cols[0] == "material",
                !rules.is_empty(),
                "{name}.tsv:{}: a material case fires rules, a cosmetic one none",
                i + 1
            );
            out.push(Case {
                file: name.clone(),
                line: i + 1,
                material: cols[0] == "material",
                class: cols[1].to_string(),
                rules,
                old: cols[3].replace("\\n", "\n"),
                new: cols[4].replace("\\n", "\n"),
            });
        }
    }
    out
}

/// The concept page holding one claim: its first line, the id, the Evidence line, then the rest
/// of the item.
fn concept(claim: &str) -> String {
    let mut lines = claim.lines();
    let first = lines.next().unwrap_or_default();
    let mut page = format!(
        "+++\nkind = \"concept\"\n+++\n# C\n\n- {first} {{#c}}\n  Evidence: strong ([[Base Source]])\n"
    );
    for l in lines {
        if l.is_empty() {
            page.push('\n');
        } else {
            page.push_str(&format!("  {l}\n"));
        }
    }
    page
}

/// Source pages for every `[[Name]]` and `../sources/x.md` link in the texts, so that links
/// resolve.
fn sources(texts: &[&str]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    out.insert("base-source".to_string(), "Base Source".to_string());
    for t in texts {
        let mut rest = *t;
        while let Some(i) = rest.find("[[") {
            let Some(len) = rest[i..].find("]]") else {
                break;
            };
            let name = rest[i + 2..i + len].split('#').next().unwrap_or_default();
            // A title, not an id, names the page: `[[V-JEPA 2]]` and `[[v-jepa-2]]` both resolve.
            if name != slug(name) || !out.contains_key(&slug(name)) {
                out.insert(slug(name), name.to_string());
            }
            rest = &rest[i + len..];
        }
        let mut rest = *t;
        while let Some(i) = rest.find("../sources/") {
            let tail = &rest[i + "../sources/".len()..];
            if let Some(end) = tail.find(".md") {
                let stem = &tail[..end];
                out.entry(stem.to_string())
                    .or_insert_with(|| stem.to_string());
            }
            rest = tail;
        }
    }
    out
}

fn pages(claim: &str, sources: &BTreeMap<String, String>) -> Vec<(PathBuf, String)> {
    let mut out = vec![
        (PathBuf::from("concepts/c.md"), concept(claim)),
        (
            PathBuf::from("theses/t.md"),
            "+++\nkind = \"thesis\"\nscore = 0.5\n+++\n# T\n\n- rests on [[c#c]]\n".to_string(),
        ),
    ];
    for (stem, title) in sources {
        out.push((
            PathBuf::from(format!("sources/{stem}.md")),
            format!("+++\nkind = \"source\"\n+++\n# {title}\n"),
        ));
    }
    out
}

/// What an edit of the claim from `old` to `new` fires: (rule, detail) of every cause, or why
/// the pages did not load.
fn fired(old: &str, new: &str) -> Result<Vec<(String, String)>, String> {
    let src = sources(&[old, new]);
    // As in a user's repo: the pages in a git repo, accepted into a lock on disk (which names
    // the claim's text by its page's git blob), and the lock read back for the check.
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (ok, out) = common::git_try(dir.path(), &["init", "-q"]);
    if !ok {
        return Err(format!("git init: {out}"));
    }
    let old_pages = pages(old, &src);
    for (path, text) in &old_pages {
        let at = dir.path().join(path);
        std::fs::create_dir_all(at.parent().expect("a folder")).map_err(|e| e.to_string())?;
        std::fs::write(at, text).map_err(|e| e.to_string())?;
    }
    let before = common::load_pages_at(dir.path(), &old_pages);
    if !before.diags.is_empty() {
        return Err(format!("old page: {:?}", before.diags));
    }
    rescore::lock::update(dir.path(), |lock| {
        let trees = eval::trees(&before);
        for ix in eval::thesis_order(&before) {
            let snap = eval::baseline(&before, &trees, lock, ix);
            lock.accept(&before.graph.node(ix).key, 0.5, &snap);
        }
        Ok(())
    })
    .map_err(|d| format!("accept: {d:?}"))?;
    let lock = Lock::read(dir.path())
        .map_err(|d| format!("lock: {d:?}"))?
        .ok_or("no lock written")?;
    let after = common::load_pages_at(dir.path(), &pages(new, &src));
    if !after.diags.is_empty() {
        return Err(format!("new page: {:?}", after.diags));
    }
    let e = eval::evaluate(&after, &lock);
    let v = e.get("t").ok_or("no verdict for t")?;
    if v.status != Status::Clean && v.status != Status::Stale {
        return Err(format!("thesis is {:?}", v.status));
    }
    Ok(v.causes
        .iter()
        .map(|c| (c.rule.clone(), c.detail.clone().unwrap_or_default()))
        .collect())
}

#[derive(Default)]
struct Tally {
    material: usize,
    caught: usize,
    cosmetic: usize,
    flagged: usize,
}

#[test]
fn labelled_edits_fire_exactly_their_rules() {
    let cases = cases();
    assert!(cases.len() >= 300, "only {} cases", cases.len());
    let mut by_class: BTreeMap<String, Tally> = BTreeMap::new();
    let mut total = Tally::default();
    let mut wrong = Vec::new();
    for c in &cases {
        let here = format!("{}.tsv:{}", c.file, c.line);
        let causes = match fired(&c.old, &c.new) {
            Ok(x) => x,
            Err(e) => {
                wrong.push(format!("{here}: {e}"));
                continue;
            }
        };
        let rules: BTreeSet<String> = causes.iter().map(|(r, _)| r.clone()).collect();
        let t = by_class.entry(c.class.clone()).or_default();
        for t in [t, &mut total] {
            if c.material {
                t.material += 1;
                t.caught += usize::from(!rules.is_empty());
            } else {
                t.cosmetic += 1;
                t.flagged += usize::from(!rules.is_empty());
            }
        }
        // A text rule must name the class the case is labelled with.
        let text_rule = ["meaning-changed", "wording-changed"];
        let text_causes: Vec<&(String, String)> = causes
            .iter()
            .filter(|(r, _)| text_rule.contains(&r.as_str()))
            .collect();
        let class_named = text_causes.is_empty()
            || text_causes
                .iter()
                .any(|(_, d)| d.split([',', ';']).any(|w| w.trim() == c.class));
        if rules != c.rules || !class_named {
            wrong.push(format!(
                "{here}: expected {:?}, fired {causes:?}\n    old: {:?}\n    new: {:?}",
                c.rules, c.old, c.new
            ));
        }
    }
    eprintln!("edit corpus: {} cases", cases.len());
    eprintln!(
        "{:<15} {:>17} {:>17}",
        "class", "material caught", "cosmetic flagged"
    );
    let rate = |n: usize, d: usize| {
        if d == 0 {
            "-".to_string()
        } else {
            format!("{n}/{d} ({:.0}%)", n as f64 * 100.0 / d as f64)
        }
    };
    for (class, t) in by_class.iter().chain([(&"all".to_string(), &total)]) {
        eprintln!(
            "{class:<15} {:>17} {:>17}",
            rate(t.caught, t.material),
            rate(t.flagged, t.cosmetic)
        );
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cases mislabelled:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}

/// The harness can fail: a negation dropped from a cosmetic label is caught.
#[test]
fn the_corpus_harness_sees_a_material_edit() {
    let causes = fired("The tool shall not run.", "The tool shall run.").expect("loads");
    assert_eq!(
        causes,
        [("meaning-changed".to_string(), "negation".to_string())]
    );
    assert!(fired("The tool shall run.", "The tool shall run.")
        .expect("loads")
        .is_empty());
}

// ---- cosmetic transformations of random claims ----

const WORDS: [&str; 24] = [
    "model",
    "planner",
    "video",
    "latent",
    "physics",
    "benchmark",
    "training",
    "policy",
    "simulation",
    "representation",
    "generation",
    "prediction",
    "robot",
    "driving",
    "scene",
    "frames",
    "objective",
    "encoder",
    "failure",
    "transfer",
    "memory",
    "rollout",
    "dataset",
    "accuracy",
];

/// A claim of sentences made of pool words, each sentence capitalised and closed.
fn claim_text(words: &[usize], breaks: &[bool]) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = true;
    for (k, &w) in words.iter().enumerate() {
        let mut word = WORDS[w % WORDS.len()].to_string();
        if start {
            word[..1].make_ascii_uppercase();
            start = false;
        }
        if breaks.get(k).copied().unwrap_or(false) || k + 1 == words.len() {
            word.push('.');
            start = true;
        }
        out.push(word);
    }
    out
}

#[derive(Debug, Clone, Copy)]
enum Cosmetic {
    Reflow,
    Case,
    Punctuation,
    Articles,
    Markup,
    Typo,
    Footnote,
}

fn apply(words: &[String], how: Cosmetic, at: usize) -> String {
    let mut w: Vec<String> = words.to_vec();
    let i = at % w.len();
    match how {
        Cosmetic::Reflow => {
            return w
                .iter()
                .enumerate()
                .map(|(k, x)| {
                    if k == i && k > 0 {
                        format!("\n{x}")
                    } else {
                        x.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(" ");
        }
        Cosmetic::Case => w[i] = w[i].to_uppercase(),
        Cosmetic::Punctuation => {
            if !w[i].ends_with('.') {
                w[i].push(',');
            }
        }
        Cosmetic::Articles => w.insert(i, "the".into()),
        Cosmetic::Markup => {
            let (word, dot) = match w[i].strip_suffix('.') {
                Some(x) => (x.to_string(), "."),
                None => (w[i].clone(), ""),
            };
            w[i] = format!("**{word}**{dot}");
        }
        Cosmetic::Footnote => w[i].push_str("[^1]"),
        Cosmetic::Typo => {
            // Two inner letters swapped.
            let mut c: Vec<char> = w[i].chars().collect();
            let n = c.iter().take_while(|x| x.is_alphabetic()).count();
            if n >= 5 {
                c.swap(2, 3);
            }
            w[i] = c.into_iter().collect();
        }
    }
    w.join(" ")
}

fn cosmetic() -> impl Strategy<Value = Cosmetic> {
    prop_oneof![
        Just(Cosmetic::Reflow),
        Just(Cosmetic::Case),
        Just(Cosmetic::Punctuation),
        Just(Cosmetic::Articles),
        Just(Cosmetic::Markup),
        Just(Cosmetic::Typo),
        Just(Cosmetic::Footnote),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn cosmetic_transformations_of_random_claims_fire_nothing(
        words in prop::collection::vec(0usize..WORDS.len(), 3..14),
        breaks in prop::collection::vec(any::<bool>(), 14),
        edits in prop::collection::vec((cosmetic(), 0usize..14), 1..5),
    ) {
        let base = claim_text(&words, &breaks);
        let old = base.join(" ");
        let mut new_words = base.clone();
        let mut new = old.clone();
        for (how, at) in &edits {
            new = apply(&new_words, *how, *at);
            new_words = new.split(' ').map(str::to_string).collect();
        }
        let causes = fired(&old, &new).map_err(TestCaseError::fail)?;
        prop_assert!(causes.is_empty(), "{old:?} → {new:?} fired {causes:?}");
    }
}
