//! `--select` on `ls`, `why`, `accept` and `graph`, against the example research repo.

mod common;

use common::run_in as run;

use std::collections::BTreeSet;
use std::path::Path;

fn example() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("rescore-select-")
        .tempdir()
        .expect("tempdir");
    common::copy_example(dir.path());
    let (code, _, err) = run(dir.path(), &["init"]);
    assert_eq!(code, 0, "{err}");
    dir
}

/// The node keys `ls --select SEL --format json` lists.
fn selected(root: &Path, sel: &[&str]) -> BTreeSet<String> {
    let mut args = vec!["ls", "--format", "json"];
    for s in sel {
        args.extend(["--select", s]);
    }
    let (code, out, err) = run(root, &args);
    assert_eq!(code, 0, "{sel:?}: {err}");
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    doc["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["key"].as_str().expect("key").to_string())
        .collect()
}

fn set(keys: &[&str]) -> BTreeSet<String> {
    keys.iter().map(|s| s.to_string()).collect()
}

fn theses(keys: &BTreeSet<String>) -> BTreeSet<String> {
    const THESES: [&str; 7] = [
        "genie-platform",
        "hybrid-world-models",
        "latent-planning-wins",
        "physics-wall",
        "realtime-sim-ready",
        "scaling-is-not-enough",
        "world-model-agents",
    ];
    keys.iter()
        .filter(|k| THESES.contains(&k.as_str()))
        .cloned()
        .collect()
}

/// jepa's planning claim weakened: stale latent-planning-wins, hybrid-world-models,
/// world-model-agents.
fn weaken_jepa(root: &Path) {
    let p = root.join("concepts/jepa.md");
    let text = std::fs::read_to_string(&p).expect("read");
    let new = text.replacen(
        "Evidence: moderate (two labs, small task set)",
        "Evidence: weak (two labs, small task set)",
        1,
    );
    assert_ne!(new, text);
    std::fs::write(&p, new).expect("write");
}

#[test]
fn downstream_upstream_and_depth() {
    let dir = example();
    let root = dir.path();

    let down = selected(root, &["generative-world-models+"]);
    assert!(down.contains("generative-world-models"));
    assert!(down.contains("world-models"), "part_of is followed");
    assert!(!down.contains("jepa"), "related is drawn, never followed");
    assert!(
        !down
            .iter()
            .any(|k| k.starts_with("generative-world-models#")),
        "claims are upstream of their concept"
    );
    assert_eq!(
        theses(&down),
        set(&[
            "latent-planning-wins",
            "physics-wall",
            "scaling-is-not-enough",
            "world-model-agents"
        ])
    );

    assert_eq!(
        selected(root, &["generative-world-models+1"]),
        set(&[
            "generative-world-models",
            "scaling-is-not-enough",
            "world-models"
        ])
    );

    let up1 = selected(root, &["1+physics-wall"]);
    assert_eq!(
        up1,
        set(&[
            "generative-world-models#phyworldbench",
            "generative-world-models#videoscience-bench",
            "physics-wall",
            "scaling-is-not-enough"
        ])
    );
    let up = selected(root, &["+physics-wall"]);
    assert!(up.is_superset(&up1));
    assert!(up.contains("videoscience-bench"), "the cited source");
    assert!(!up.contains("jepa"));
    assert!(
        !up.contains("latent-planning-wins"),
        "downstream is not upstream"
    );

    let both = selected(root, &["+physics-wall+"]);
    assert!(both.contains("latent-planning-wins") && both.contains("videoscience-bench"));
}

#[test]
fn kinds_unions_and_intersections() {
    let dir = example();
    let root = dir.path();
    let all = selected(root, &["kind:thesis"]);
    assert_eq!(all.len(), 7);
    assert_eq!(theses(&all), all);
    // Space-separated and repeated --select are one union.
    assert_eq!(
        selected(root, &["jepa physics-wall", "genie-3"]),
        set(&["genie-3", "jepa", "physics-wall"])
    );
    // A comma intersects: the theses downstream of jepa (latent-planning-wins cites one of its
    // claims, which sits upstream of the concept, not below it).
    assert_eq!(
        selected(root, &["kind:thesis,jepa+"]),
        set(&["hybrid-world-models", "world-model-agents"])
    );
    assert_eq!(
        theses(&selected(root, &["jepa#vjepa2-ac-planning+"])),
        set(&[
            "hybrid-world-models",
            "latent-planning-wins",
            "world-model-agents"
        ])
    );
    // `ls --kind` still applies on top.
    let (_, out, _) = run(
        root,
        &["ls", "--kind", "concept", "--select", "+physics-wall"],
    );
    assert!(
        out.lines()
            .all(|l| l.starts_with("concept") || l.starts_with(' ')),
        "{out}"
    );
}

#[test]
fn status_selects_from_the_evaluation_and_accept_takes_it() {
    let dir = example();
    let root = dir.path();
    assert!(selected(root, &["status:stale"]).is_empty());
    // Nothing stale: accept --select has nothing to do, and says so.
    let (code, _, err) = run(root, &["accept", "--select", "status:stale"]);
    assert_eq!(code, 0);
    assert!(err.contains("nothing to accept"), "{err}");

    weaken_jepa(root);
    let stale = set(&[
        "hybrid-world-models",
        "latent-planning-wins",
        "world-model-agents",
    ]);
    assert_eq!(selected(root, &["status:stale"]), stale);
    assert_eq!(theses(&selected(root, &["status:clean"])).len(), 4);

    // why --select explains each selected thesis; JSON is an array of verdicts.
    let (code, out, _) = run(root, &["why", "--select", "status:stale"]);
    assert_eq!(code, 0);
    for t in &stale {
        assert!(
            out.contains(&format!(
                "{t} ← jepa#vjepa2-ac-planning: evidence moderate → weak"
            )),
            "{out}"
        );
    }
    let (_, out, _) = run(
        root,
        &["why", "--select", "status:stale", "--format", "json"],
    );
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    let names: BTreeSet<String> = doc
        .as_array()
        .expect("array")
        .iter()
        .map(|v| v["thesis"].as_str().expect("thesis").to_string())
        .collect();
    assert_eq!(names, stale);

    // accept --select takes only the selected theses that need it.
    let (code, out, err) = run(
        root,
        &["accept", "--select", "kind:thesis,+hybrid-world-models"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "accepted hybrid-world-models at score 0.5");
    assert_eq!(
        selected(root, &["status:stale"]),
        set(&["latent-planning-wins", "world-model-agents"])
    );
    let (code, out, err) = run(root, &["accept", "--select", "status:stale"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 2, "{out}");
    assert_eq!(run(root, &["check"]).0, 0);
}

#[test]
fn graph_draws_the_selected_subgraph() {
    let dir = example();
    let root = dir.path();
    let keys = selected(root, &["jepa+"]);
    let (code, out, _) = run(root, &["graph", "--select", "jepa+"]);
    assert_eq!(code, 0);
    let labels: BTreeSet<String> = out
        .lines()
        .filter_map(|l| l.split("label=\"").nth(1))
        .filter(|l| l.contains("shape="))
        .map(|l| l.split('"').next().expect("label").to_string())
        .collect();
    assert_eq!(labels, keys);
    let (_, mermaid, _) = run(root, &["graph", "--select", "jepa+", "--format", "mermaid"]);
    let nodes = mermaid.lines().filter(|l| l.contains(":::")).count();
    assert_eq!(nodes, keys.len());
}

#[test]
fn bad_selectors_exit_2_and_say_why() {
    let dir = example();
    let root = dir.path();
    for (args, says) in [
        (
            vec!["ls", "--select", "a+b"],
            "`+` only goes before or after a node",
        ),
        (
            vec!["ls", "--select", "kind:widget"],
            "unknown kind `widget`",
        ),
        (
            vec!["graph", "--select", "status:meh"],
            "unknown status `meh`",
        ),
        (vec!["why", "--select", "tag:x"], "unknown method `tag:`"),
        (
            vec!["accept", "--select", "physics-walls+"],
            "did you mean `physics-wall`?",
        ),
        (vec!["why", "--select", "genie-3"], "selects no thesis"),
    ] {
        let (code, out, err) = run(root, &args);
        assert_eq!(code, 2, "{args:?}\n{out}\n{err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    // --all and --select do not mix; why needs a thesis or a selector.
    assert_eq!(run(root, &["accept", "--all", "--select", "x"]).0, 2);
    assert_eq!(run(root, &["why"]).0, 2);
}
