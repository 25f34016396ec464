//! Numbers that are numbers (issue 11): value rules on real-looking edits, and baselines written
//! by an older rescore, which read numbers differently, staying clean while nothing changed.

mod common;

use common::{copy_dir, example_dir, tiny_git, TempRepo};
use serde_json::Value;

const CONCEPT: &str = "concepts/c.md";

const PAGE: &str = r#"+++
kind = "concept"
+++
# Training

## Key Claims

- V-JEPA 2 was trained on 39 M clips at 256px with ~1 minute of context (June 2025),
  see [#776](https://github.com/x/y/issues/776) and `--steps 3000`. {#training}
  Evidence: strong ([[S]])

## Benchmarks

| Metric | Value | System | Source |
|---|---|---|---|
| Parameters | 11 B | V-JEPA 2 | [[S]] |
| Memory | 47.14GB GPU / 2.96GB CPU | V-JEPA 2 | [[S]] |
| Resolution | 256px | V-JEPA 2 | [[S]] |
"#;

fn repo() -> TempRepo {
    let repo = tiny_git(&[
        (CONCEPT, PAGE),
        ("sources/s.md", "+++\nkind = \"source\"\n+++\n# S\n"),
        (
            "theses/t.md",
            "+++\nkind = \"thesis\"\nscore = 0.5\n+++\n# T\n\n## Evidence\n\n- [[Training]]\n",
        ),
    ]);
    repo.ok(&["init"], 0);
    repo
}

/// (node, rule, before, after, detail) of every cause of thesis `t`, if it is stale.
fn causes(repo: &TempRepo) -> Vec<[String; 5]> {
    let doc = repo.check_json();
    let Some(t) = doc["stale"].as_array().and_then(|a| a.first()) else {
        return Vec::new();
    };
    let field = |c: &Value, k: &str| c[k].as_str().unwrap_or_default().to_string();
    t["causes"]
        .as_array()
        .expect("causes")
        .iter()
        .map(|c| ["node", "rule", "before", "after", "detail"].map(|k| field(c, k)))
        .collect()
}

/// The causes that come from the value rules.
fn value_causes(repo: &TempRepo) -> Vec<[String; 5]> {
    causes(repo)
        .into_iter()
        .filter(|c| c[1] == "value-shift" || c[1] == "unit-change" || c[1] == "text-value")
        .collect()
}

fn cause(node: &str, rule: &str, before: &str, after: &str, detail: &str) -> [String; 5] {
    [node, rule, before, after, detail].map(str::to_string)
}

#[test]
fn respelled_and_converted_numbers_are_no_value_change() {
    let repo = repo();
    repo.edit(CONCEPT, "39 M clips", "39M clips");
    repo.edit(CONCEPT, "~1 minute of", "~60 seconds of");
    repo.edit(CONCEPT, "| 11 B |", "| 11B |");
    repo.edit(CONCEPT, "47.14GB GPU", "47.14 GB GPU");
    assert_eq!(value_causes(&repo), Vec::<[String; 5]>::new());
}

#[test]
fn dates_versions_links_and_code_are_no_value_change() {
    let repo = repo();
    repo.edit(CONCEPT, " (June 2025)", "");
    repo.edit(CONCEPT, "V-JEPA 2 was", "V-JEPA 3 was");
    repo.edit(CONCEPT, "[#776]", "[#777]");
    repo.edit(CONCEPT, "--steps 3000", "--steps 4000");
    assert_eq!(value_causes(&repo), Vec::<[String; 5]>::new());
}

#[test]
fn a_pixel_size_move_in_a_claim_is_a_value_shift() {
    let repo = repo();
    repo.edit(CONCEPT, "256px with", "384px with");
    assert_eq!(
        value_causes(&repo),
        [cause(
            "c#training",
            "value-shift",
            "256 px",
            "384 px",
            "+50%"
        )]
    );
}

#[test]
fn a_move_across_units_is_reported_in_both() {
    let repo = repo();
    repo.edit(CONCEPT, "~1 minute of", "~90 seconds of");
    assert_eq!(
        value_causes(&repo),
        [cause(
            "c#training",
            "value-shift",
            "~1 minute",
            "~90 second",
            "+50%"
        )]
    );
}

#[test]
fn the_second_number_of_a_cell_is_compared() {
    let repo = repo();
    repo.edit(CONCEPT, "2.96GB CPU", "29.6GB CPU");
    assert_eq!(
        value_causes(&repo),
        [cause(
            "c#memory@v-jepa-2",
            "value-shift",
            "2.96 gb",
            "29.6 gb",
            "+900%"
        )]
    );
}

/// Replaces the lock `init` wrote by the one the previous rescore (lock version 1, one file)
/// wrote for the same pages: its readings of the numbers, under tree ids that no longer match,
/// so every node is compared.
fn write_previous_lock(repo: &TempRepo) {
    let shards = repo.path("rescore.lock.d");
    // The entries thesis `t` rests on, as format 1 wrote them: `ID = { key, state, up }`.
    let loaded = rescore::load::load(repo.root()).expect("loads");
    let trees = rescore::eval::trees(&loaded);
    let t = loaded.graph.get("t").expect("thesis t");
    let snap = rescore::eval::baseline(&loaded, &trees, &rescore::lock::Lock::new(), t);
    let mut nodes: Vec<String> = snap
        .entries
        .iter()
        .map(|(id, e)| {
            let value = toml::Value::try_from(e).expect("an entry is TOML");
            format!("{} = {}", rescore::trees::hex(*id), inline(&value))
        })
        .collect();
    nodes.sort();
    let concept = rescore::trees::hex(snap.against["c"]);
    let mut lock = format!(
        "version = 1\n\n[thesis.t]\nscore = 0.5\n\n[thesis.t.against]\nc = \"{concept}\"\n\n[node]\n{}\n",
        nodes.join("\n")
    );
    let previous = [
        (
            r#"value = { kind = "numbers", numbers = [{ value = 11000000000.0 }] }"#,
            r#"value = { kind = "quantity", value = 11.0 }"#,
        ),
        (
            r#"value = { kind = "numbers", numbers = [{ unit = "gb", value = 47.14 }, { unit = "gb", value = 2.96 }] }"#,
            r#"value = { kind = "quantity", unit = "gb", value = 47.14 }"#,
        ),
        (
            r#"value = { kind = "numbers", numbers = [{ unit = "px", value = 256.0 }] }"#,
            r#"value = { kind = "text", text = "256px" }"#,
        ),
        (
            r#"quantities = [{ unit = "clip", value = 39000000.0 }, { unit = "px", value = 256.0 }, { approx = true, unit = "minute", value = 1.0 }]"#,
            r#"quantities = [{ value = 2.0 }, { value = 39.0 }, { approx = true, unit = "minute", value = 1.0 }, { value = 2025.0 }, { value = 776.0 }, { value = 3000.0 }]"#,
        ),
    ];
    for (now, before) in previous {
        assert!(lock.contains(now), "{now} not in\n{lock}");
        lock = lock.replace(now, before);
    }
    let ids: Vec<String> = nodes
        .iter()
        .filter_map(|l| l.split_once(" = {").map(|(id, _)| id.to_string()))
        .collect();
    for id in ids {
        let moved: String = id.chars().rev().collect();
        lock = lock.replace(&id, &moved);
    }
    std::fs::remove_dir_all(shards).expect("remove the shards");
    repo.write("rescore.lock", lock);
}

/// A TOML value on one line, tables inline with their keys sorted, as format 1 wrote entries.
fn inline(v: &toml::Value) -> String {
    match v {
        toml::Value::Table(t) => {
            let mut keys: Vec<&String> = t.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .iter()
                .map(|k| format!("{k} = {}", inline(&t[k.as_str()])))
                .collect();
            if parts.is_empty() {
                "{}".into()
            } else {
                format!("{{ {} }}", parts.join(", "))
            }
        }
        toml::Value::Array(a) => {
            format!("[{}]", a.iter().map(inline).collect::<Vec<_>>().join(", "))
        }
        toml::Value::String(s) => serde_json::to_string(s).expect("a string"),
        other => other.to_string(),
    }
}

#[test]
fn a_baseline_from_the_previous_rescore_stays_clean() {
    let repo = repo();
    write_previous_lock(&repo);
    repo.ok(&["check"], 0);
    repo.edit(CONCEPT, "39 M clips", "39M clips");
    repo.edit(CONCEPT, "| 11 B |", "| 11B |");
    assert_eq!(value_causes(&repo), Vec::<[String; 5]>::new());
}

#[test]
fn a_baseline_from_the_previous_rescore_still_sees_moves() {
    let repo = repo();
    write_previous_lock(&repo);
    repo.edit(CONCEPT, "| 256px |", "| 384px |");
    repo.edit(CONCEPT, "| 11 B |", "| 20 B |");
    assert_eq!(
        value_causes(&repo),
        [
            cause("c#parameters@v-jepa-2", "value-shift", "11B", "20B", "+82%"),
            cause(
                "c#resolution@v-jepa-2",
                "value-shift",
                "256 px",
                "384 px",
                "+50%"
            ),
        ]
    );
}

#[test]
fn the_shipped_example_and_its_lock_stay_clean() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&example_dir(), dir.path());
    let (code, out, err) = common::run_in(dir.path(), &["check"]);
    assert_eq!(code, 0, "{out}{err}");
}
