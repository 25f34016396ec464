//! `rescore backlinks`: the generated "Theses that depend on this concept" block.

mod common;

use common::run_in as run;

use std::path::{Path, PathBuf};

/// The example with its backlinks blocks taken out, so that every concept page is out of date.
fn example() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("rescore-backlinks-")
        .tempdir()
        .expect("tempdir");
    common::copy_example(dir.path());
    for page in [GWM, "concepts/jepa.md", "concepts/world-models.md"] {
        let stripped = common::without_backlinks(&read(dir.path(), page));
        std::fs::write(dir.path().join(page), stripped).expect("write");
    }
    dir
}

#[test]
fn the_shipped_example_has_its_backlinks_up_to_date() {
    let dir = tempfile::tempdir().expect("tempdir");
    common::copy_example(dir.path());
    let (code, out, err) = run(dir.path(), &["backlinks", "--check"]);
    assert_eq!(
        code, 0,
        "the pre-commit backlinks hook would fail on the example:\n{out}{err}"
    );
}

fn read(root: &Path, rel: &str) -> String {
    std::fs::read_to_string(root.join(rel)).expect("read")
}

fn tree(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).expect("read")));
            }
        }
    }
    out.sort();
    out
}

const GWM: &str = "concepts/generative-world-models.md";

#[test]
fn check_lists_out_of_date_pages_then_write_fixes_them_idempotently() {
    let dir = example();
    let root = dir.path();
    assert_eq!(run(root, &["init"]).0, 0);
    let (_, graph_before, _) = run(root, &["ls", "--format", "json"]);
    let original = read(root, GWM);

    // --check: exit 1, naming every concept page; nothing written.
    let snapshot = tree(root);
    let (code, out, _) = run(root, &["backlinks", "--check"]);
    assert_eq!(code, 1, "{out}");
    for page in [GWM, "concepts/jepa.md", "concepts/world-models.md"] {
        assert!(out.contains(&format!("out of date: {page}")), "{out}");
    }
    // --dry-run (and no flag at all) prints what would change; nothing written.
    let (code, out, _) = run(root, &["backlinks", "--dry-run"]);
    assert_eq!(code, 0);
    assert!(out.contains(&format!("would write {GWM}")), "{out}");
    assert!(
        out.contains(
            "+ - [[physics-wall]] — Pixel-level world models hit a physics wall before 2028"
        ),
        "{out}"
    );
    assert_eq!(tree(root), snapshot, "check and dry-run write nothing");

    // --write: the block goes at the end; bytes before it are kept exactly.
    let (code, out, _) = run(root, &["backlinks", "--write"]);
    assert_eq!(code, 0, "{out}");
    let written = read(root, GWM);
    assert!(
        written.starts_with(&original),
        "bytes outside the block changed"
    );
    let block = &written[original.len()..];
    assert_eq!(
        block,
        "\n<!-- rescore:backlinks:begin (managed by rescore: `rescore backlinks --write`) -->\n\
         ## Theses that depend on this concept\n\n\
         These research positions cite this concept in their evidence. If the concept changes \
         materially, these theses may need re-scoring.\n\n\
         - [[hybrid-world-models]] — The winning world model pairs a latent predictor with a pixel decoder\n\
         - [[physics-wall]] — Pixel-level world models hit a physics wall before 2028\n\
         - [[realtime-sim-ready]] — Interactive generative simulators become a standard robot-training environment by 2027\n\
         - [[scaling-is-not-enough]] — Scaling video pre-training alone will not yield physical reasoning\n\
         - [[world-model-agents]] — Every frontier lab ships a world-model-based agent by 2027\n\
         <!-- rescore:backlinks:end -->\n"
    );
    // Idempotent, and now up to date.
    let after_first = tree(root);
    assert_eq!(run(root, &["backlinks", "--write"]).0, 0);
    assert_eq!(tree(root), after_first);
    let (code, out, _) = run(root, &["backlinks", "--check"]);
    assert_eq!(code, 0, "{out}");

    // The block is never an input: the graph (nodes, states, edges) is what it was, and no
    // thesis went stale.
    let (_, graph_after, _) = run(root, &["ls", "--format", "json"]);
    assert_eq!(graph_before, graph_after);
    assert_eq!(run(root, &["check"]).0, 0);
}

#[test]
fn the_block_follows_the_graph_in_place() {
    let dir = example();
    let root = dir.path();
    // Text after the block (added by hand later) stays where it is.
    run(root, &["backlinks", "--write"]);
    let page = root.join(GWM);
    let with_tail = read(root, GWM) + "\n## Notes\n\nHand-written.\n";
    std::fs::write(&page, &with_tail).expect("write");
    // A thesis stops citing the concept: physics-wall cites only other things now.
    let thesis = root.join("theses/physics-wall.md");
    let text = std::fs::read_to_string(&thesis).expect("read");
    let text = text
        .replace(
            "- Frontier video models fail physics benchmarks: [[Generative World Models#videoscience-bench]]\n",
            "",
        )
        .replace(
            "- Violations grow with scene complexity: [[Generative World Models#phyworldbench]]\n",
            "",
        )
        .replace("- Builds on [[scaling-is-not-enough]]\n", "- Cites [[Genie 3]]\n");
    std::fs::write(&thesis, text).expect("write");
    let (code, _, err) = run(root, &["backlinks", "--write"]);
    assert_eq!(code, 0, "{err}");
    let new = read(root, GWM);
    assert!(!new.contains("[[physics-wall]]"), "{new}");
    assert!(new.contains("[[scaling-is-not-enough]]"));
    assert!(
        new.ends_with("<!-- rescore:backlinks:end -->\n\n## Notes\n\nHand-written.\n"),
        "{new}"
    );
    let before_block = with_tail
        .split("\n<!-- rescore:backlinks:begin")
        .next()
        .unwrap();
    assert!(new.starts_with(before_block));
}

#[test]
fn crlf_concept_pages_stay_crlf() {
    let dir = example();
    let root = dir.path();
    let page = root.join("concepts/jepa.md");
    let crlf = std::fs::read_to_string(&page)
        .expect("read")
        .replace('\n', "\r\n");
    std::fs::write(&page, &crlf).expect("write");
    assert_eq!(run(root, &["backlinks", "--write"]).0, 0);
    let new = std::fs::read_to_string(&page).expect("read");
    assert!(new.starts_with(&crlf));
    assert!(
        !new.replace("\r\n", "").contains('\n'),
        "a bare LF crept in"
    );
    assert_eq!(run(root, &["backlinks", "--check"]).0, 0);
}

#[test]
fn json_lists_the_out_of_date_pages() {
    let dir = example();
    let (code, out, _) = run(dir.path(), &["backlinks", "--check", "--format", "json"]);
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    let pages: Vec<&str> = doc["out_of_date"]
        .as_array()
        .expect("array")
        .iter()
        .map(|c| c["path"].as_str().expect("path"))
        .collect();
    assert_eq!(pages, [GWM, "concepts/jepa.md", "concepts/world-models.md"]);
    assert_eq!(
        doc["out_of_date"][1]["theses"],
        // jepa's claim vjepa2-ac-planning is cited by latent-planning-wins.
        serde_json::json!([
            "hybrid-world-models",
            "latent-planning-wins",
            "world-model-agents"
        ])
    );
}

#[test]
fn github_format_annotates_each_out_of_date_page() {
    let dir = example();
    let (code, out, _) = run(dir.path(), &["backlinks", "--check", "--format", "github"]);
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(lines[0].starts_with(&format!(
        "::error file={GWM},line=1,title=rescore backlinks::"
    )));
}
