//! Micro-benchmarks of page parsing and of the whole load on the example research repo.
//!
//! Run with `cargo bench --bench parse`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use divan::{black_box, Bencher};
use rescore::config::Folders;
use rescore::page::{self, ParseContext};
use rescore::rules::RuleSet;

fn main() {
    divan::main();
}

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/world-models");

/// Every markdown page of the example repo as (path relative to the root, text), sorted by path.
static PAGES: LazyLock<Vec<(PathBuf, String)>> = LazyLock::new(|| {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        for entry in std::fs::read_dir(dir).expect("example folder") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if path.extension().is_some_and(|e| e == "md") {
                let text = std::fs::read_to_string(&path).expect("UTF-8 page");
                let rel = path.strip_prefix(root).expect("under root").to_path_buf();
                out.push((rel, text));
            }
        }
    }
    let root = Path::new(EXAMPLE);
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
});

static RULES: LazyLock<RuleSet> =
    LazyLock::new(|| RuleSet::shipped().unwrap_or_else(|_| panic!("shipped rules load")));
static FOLDERS: LazyLock<Folders> = LazyLock::new(Folders::default);

fn cx() -> ParseContext<'static> {
    ParseContext {
        folders: &FOLDERS,
        scale: &RULES.scale,
    }
}

fn page_names() -> Vec<String> {
    PAGES.iter().map(|(p, _)| p.display().to_string()).collect()
}

/// One example page, parsed on its own.
#[divan::bench(args = page_names())]
fn parse_example_page(bencher: Bencher, name: &str) {
    let (path, text) = PAGES
        .iter()
        .find(|(p, _)| p.display().to_string() == name)
        .expect("page");
    let cx = cx();
    let (parsed, _) = page::parse(path, text, &cx);
    assert!(parsed.is_some(), "{name} parses");
    bencher.bench(|| page::parse(black_box(path), black_box(text), &cx));
}

/// A concept page with `claims` claims (each with an evidence line and a source link, a third of
/// them with an id) and a benchmark table of `claims / 2` rows.
fn concept_page(claims: usize) -> String {
    let mut s = String::from(
        "+++\nkind = \"concept\"\nid = \"generated\"\ntitle = \"Generated Concept\"\n\
         status = \"active-frontier\"\npart_of = [\"world-models\"]\n+++\n\
         # Generated Concept\n\nA concept page generated for benchmarking.\n\n## Key Claims\n\n",
    );
    let levels = ["strong", "moderate", "low"];
    for i in 0..claims {
        let id = if i % 3 == 0 {
            format!(" {{#claim-{i}}}")
        } else {
            String::new()
        };
        let _ = write!(
            s,
            "- System {i} reaches {}.{}% top-1 at {}B parameters — trained on ~{} hours of \
             video,\n  with 65–80% success on pick-and-place in unseen labs.{id}\n  \
             Evidence: {} (vendor technical report) ([Source {}](../sources/source-{}.md))\n",
            50 + i % 50,
            i % 10,
            1 + i % 20,
            100 * (1 + i % 9),
            levels[i % 3],
            i % 40,
            i % 40,
        );
    }
    s.push_str(
        "\n## Benchmarks & Data\n\n| Metric | Value | System | Source |\n|---|---|---|---|\n",
    );
    for i in 0..claims / 2 {
        let _ = writeln!(
            s,
            "| Metric {i} | {}.{}% | System {i} | [[Source {}]] |",
            50 + i % 50,
            i % 10,
            i % 40
        );
    }
    s.push_str("\n## Related Concepts\n\n- [[World Models]] — parent concept\n- [[JEPA]]\n");
    s
}

/// A generated concept page of 10, 100 and 1000 claims.
#[divan::bench(args = [10, 100, 1000])]
fn parse_generated_concept(bencher: Bencher, claims: usize) {
    let text = concept_page(claims);
    let path = Path::new("concepts/generated.md");
    let cx = cx();
    let (parsed, diags) = page::parse(path, &text, &cx);
    let parsed = parsed.expect("generated page parses");
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(parsed.claims.len(), claims);
    assert_eq!(parsed.rows.len(), claims / 2);
    bencher
        .counter(divan::counter::BytesCount::of_str(&text))
        .bench(|| page::parse(black_box(path), black_box(&text), &cx));
}

/// The whole pipeline on the example repo: config and rules, walk, read, parse, build the graph.
#[divan::bench]
fn load_example_repo(bencher: Bencher) {
    let root = Path::new(EXAMPLE);
    assert!(rescore::load::load(root).is_ok(), "example repo loads");
    bencher.bench(|| rescore::load::load(black_box(root)));
}
