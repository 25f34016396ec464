//! Identity that survives cosmetics (issue 11, item 2): benchmark rows keep their id through
//! footnote marks and markup, a typo fixed in a label pairs a row with its old self, and a
//! thesis whose cited claim or row is gone (or renamed) is stale, never an input error.

mod common;

use std::path::PathBuf;

use common::{example_init, tiny, TempRepo};
use proptest::prelude::*;
use rescore::eval::{self, Status};
use rescore::lock::Lock;
use serde_json::Value;

const GWM: &str = "concepts/generative-world-models.md";
const SIM: &str = "theses/realtime-sim-ready.md";

/// The causes of one stale thesis in `check --format json`.
fn causes(doc: &Value, thesis: &str) -> Vec<Value> {
    doc["stale"]
        .as_array()
        .and_then(|a| a.iter().find(|v| v["thesis"] == thesis))
        .and_then(|v| v["causes"].as_array())
        .cloned()
        .unwrap_or_else(|| panic!("{thesis} is not stale in {doc:#}"))
}

const RESULTS: &str = "+++
kind = \"concept\"
+++
# Adapters

| Metric | Value | System | Source |
|---|---|---|---|
| Accuracy | 71.2% | PET-LoRA | paper |
| Accuracy | 69.0% | Full fine-tune | paper |
| Supports int8 | √ | PET-LoRA | paper |
| Memory | n/a[^7] | Full fine-tune | paper |

[^7]: not reported.
";

const WHOLE: &str = "+++
kind = \"thesis\"
score = 0.5
+++
# Adapters are enough

- [[adapters]]
";

const ROW: &str = "+++
kind = \"thesis\"
score = 0.6
+++
# PET-LoRA matches full fine-tuning

- [[adapters#accuracy@pet-lora]]
";

fn adapters() -> TempRepo {
    let repo = tiny(&[
        ("rescore.toml", ""),
        ("concepts/adapters.md", RESULTS),
        ("theses/whole.md", WHOLE),
        ("theses/row.md", ROW),
    ]);
    repo.ok(&["init"], 0);
    repo
}

#[test]
fn a_cited_row_keeps_its_id_through_footnote_marks_and_markup() {
    let repo = example_init();
    repo.edit(
        GWM,
        "| Parameters | 11B | Genie 3 |",
        "| **Parameters**[^2] | 11B | [Genie 3](../sources/genie-3.md)¹ |",
    );
    repo.edit(GWM, "| Metric | Value |", "| Metric [^1] | Value |");
    repo.ok(&["check"], 0);
}

#[test]
fn value_decorations_are_cosmetic() {
    let repo = adapters();
    repo.edit("concepts/adapters.md", "| √ |", "| ✅ |");
    repo.edit("concepts/adapters.md", "| n/a[^7] |", "| N/A |");
    repo.ok(&["check"], 0);
}

#[test]
fn a_typo_fixed_in_a_system_label_pairs_the_row_with_its_old_self() {
    let repo = adapters();
    repo.edit(
        "concepts/adapters.md",
        "| Accuracy | 71.2% | PET-LoRA |",
        "| Accuracy | 71.2% | PEFT-LoRA |",
    );
    let doc = repo.check_json();
    // Citing the whole concept: same row, same value, nothing material.
    assert_eq!(common::ids(&doc, "stale"), ["row"], "{doc:#}");
    // Citing the row itself: the link names an anchor that moved.
    let c = causes(&doc, "row");
    assert_eq!(c.len(), 1, "{c:#?}");
    assert_eq!(c[0]["rule"], "claim-removed");
    assert_eq!(c[0]["node"], "adapters#accuracy@peft-lora");
    assert_eq!(c[0]["was"], "adapters#accuracy@pet-lora");
    assert_eq!(
        c[0]["detail"],
        "renamed to #accuracy@peft-lora: update the link"
    );
    let human = repo.ok(&["check"], 1);
    insta::assert_snapshot!("renamed_row_human", human);

    // Updating the link settles it: the row is compared with its old self, and is the same.
    repo.edit("theses/row.md", "#accuracy@pet-lora", "#accuracy@peft-lora");
    repo.ok(&["check"], 0);
}

#[test]
fn a_relabelled_row_with_a_new_value_reports_the_value_as_its_own() {
    let repo = adapters();
    repo.edit(
        "concepts/adapters.md",
        "| Accuracy | 71.2% | PET-LoRA |",
        "| Accuracy | 52.0% | PEFT-LoRA |",
    );
    let doc = repo.check_json();
    let c = causes(&doc, "whole");
    assert_eq!(c.len(), 1, "{c:#?}");
    assert_eq!(c[0]["rule"], "value-shift");
    assert_eq!(c[0]["was"], "adapters#accuracy@pet-lora");
    assert_eq!(c[0]["node"], "adapters#accuracy@peft-lora");
}

#[test]
fn another_system_is_another_row() {
    let repo = adapters();
    repo.edit(
        "concepts/adapters.md",
        "| Accuracy | 71.2% | PET-LoRA |",
        "| Accuracy | 71.2% | PET-LoRA-2 |",
    );
    let doc = repo.check_json();
    let whole: Vec<(String, String)> = causes(&doc, "whole")
        .iter()
        .map(|c| (c["rule"].to_string(), c["node"].to_string()))
        .collect();
    for (rule, node) in [
        ("claim-removed", "adapters#accuracy@pet-lora"),
        ("claim-added", "adapters#accuracy@pet-lora-2"),
    ] {
        assert!(
            whole.contains(&(format!("\"{rule}\""), format!("\"{node}\""))),
            "{rule} {node}: {whole:?}"
        );
    }
    let row = causes(&doc, "row");
    assert_eq!(row[0]["rule"], "claim-removed");
    assert!(row[0].get("was").is_none(), "{row:#?}");
}

#[test]
fn a_thesis_whose_cited_row_is_gone_is_stale_not_an_input_error() {
    let repo = example_init();
    repo.edit(GWM, "| Parameters | 11B | Genie 3 | [[Genie 3]] |\n", "");
    let (code, out, err) = repo.run(&["check"]);
    assert_eq!(code, 1, "stdout:\n{out}\nstderr:\n{err}");
    assert_eq!(err, "", "no diagnostic for a gone row");
    insta::assert_snapshot!("gone_row_human", out);
    let json = repo.ok(&["check", "--format", "json"], 1);
    insta::assert_snapshot!("gone_row_json", json);
    let github = repo.ok(&["check", "--format", "github"], 1);
    insta::assert_snapshot!("gone_row_github", github);
}

#[test]
fn a_thesis_whose_cited_claim_was_renamed_names_the_new_anchor() {
    let repo = example_init();
    repo.edit(GWM, "{#genie3-realtime}", "{#genie3-real-time}");
    let doc = repo.check_json();
    let c = causes(&doc, "hybrid-world-models");
    assert_eq!(c.len(), 1, "{c:#?}");
    assert_eq!(c[0]["rule"], "claim-removed");
    assert_eq!(c[0]["severity"], "major");
    assert_eq!(c[0]["was"], "generative-world-models#genie3-realtime");
    assert_eq!(
        c[0]["detail"],
        "renamed to #genie3-real-time: update the link"
    );
}

#[test]
fn a_thesis_whose_cited_claim_is_deleted_is_stale_with_claim_removed() {
    let repo = example_init();
    let text = repo.read_str(GWM);
    let start = text.find("- Genie 3 achieves").expect("claim");
    let end = start
        + text[start..]
            .find("- Consistency currently")
            .expect("next claim");
    repo.write(GWM, format!("{}{}", &text[..start], &text[end..]));
    let doc = repo.check_json();
    let c = causes(&doc, "hybrid-world-models");
    assert!(
        c.iter().any(|c| c["rule"] == "claim-removed"
            && c["node"] == "generative-world-models#genie3-realtime"
            && c.get("was").is_none()),
        "{c:#?}"
    );
}

#[test]
fn an_anchor_that_never_existed_is_an_error() {
    let repo = example_init();
    repo.edit(
        SIM,
        "[[generative-world-models#parameters@genie-3]]",
        "[[generative-world-models#parameters@genie-3]] [[generative-world-models#paramters@genie-3]]",
    );
    let (code, _, err) = repo.run(&["check"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("error[anchor-to-no-claim]"), "{err}");
    assert!(err.contains("did you mean `#parameters@genie-3`"), "{err}");
}

#[test]
fn a_gone_anchor_linked_after_accepting_is_stale_for_that_thesis_too() {
    let repo = example_init();
    // physics-wall was not scored against the row; realtime-sim-ready was.
    repo.edit(
        "theses/physics-wall.md",
        "## Evidence\n",
        "## Evidence\n\n- Size: [[generative-world-models#parameters@genie-3]]\n",
    );
    repo.edit(GWM, "| Parameters | 11B | Genie 3 | [[Genie 3]] |\n", "");
    let doc = repo.check_json();
    for t in ["physics-wall", "realtime-sim-ready"] {
        assert!(
            causes(&doc, t).iter().any(|c| c["rule"] == "claim-removed"
                && c["node"] == "generative-world-models#parameters@genie-3"),
            "{t}: {doc:#}"
        );
    }
}

#[test]
fn accepting_without_fixing_the_link_leaves_a_broken_link() {
    let repo = example_init();
    repo.edit(GWM, "| Parameters | 11B | Genie 3 | [[Genie 3]] |\n", "");
    repo.ok(&["accept", "realtime-sim-ready"], 0);
    let (code, _, err) = repo.run(&["check"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("error[anchor-to-no-claim]"), "{err}");
}

// ---- property: decorating row labels and values never flags anything ----

/// Decorations a label may get: markup around it, a footnote mark after it, another case.
const LABEL_DECORATIONS: [fn(&str) -> String; 7] = [
    |s| format!("**{s}**"),
    |s| format!("`{s}`"),
    |s| format!("{s} [^4]"),
    |s| format!("{s}²"),
    |s| format!("{s}*"),
    |s| format!("{s} †"),
    |s| s.to_uppercase(),
];

/// Decorations a value may get: a footnote mark after it.
const VALUE_DECORATIONS: [fn(&str) -> String; 2] = [|s| format!("{s}[^9]"), |s| format!("{s}¹")];

fn example_pages() -> Vec<(PathBuf, String)> {
    common::tree(&common::example_dir())
        .into_iter()
        .filter(|(p, _)| p.extension().is_some_and(|x| x == "md"))
        .map(|(p, b)| (p, String::from_utf8(b).expect("utf-8 page")))
        .collect()
}

fn load(pages: &[(PathBuf, String)]) -> rescore::load::Repo {
    common::load_pages(pages)
}

/// Every thesis of the example accepted, in memory.
fn accepted(pages: &[(PathBuf, String)]) -> Lock {
    let repo = load(pages);
    assert!(repo.diags.is_empty(), "{:?}", repo.diags);
    let mut lock = Lock::new();
    rescore::accept::every_thesis(&mut lock, &repo);
    lock
}

/// The benchmark rows of a page with decoration `k` (cycling through `picks`) applied to cell
/// `col` (1 metric, 2 value, 3 system) of each row.
fn decorate_rows(text: &str, picks: &[(usize, usize)]) -> String {
    let mut row = 0;
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        let is_row = line.starts_with('|') && !line.contains("---") && !line.contains("Metric");
        if !is_row || picks.is_empty() {
            out.push_str(line);
            continue;
        }
        let mut cells: Vec<String> = line.split('|').map(str::to_string).collect();
        let (col, k) = picks[row % picks.len()];
        row += 1;
        if let Some(cell) = cells.get_mut(col) {
            let inner = cell.trim().to_string();
            let new = if col == 2 {
                VALUE_DECORATIONS[k % VALUE_DECORATIONS.len()](&inner)
            } else {
                LABEL_DECORATIONS[k % LABEL_DECORATIONS.len()](&inner)
            };
            *cell = format!(" {new} ");
        }
        out.push_str(&cells.join("|"));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn decorated_rows_flag_nothing(
        picks in prop::collection::vec((1usize..4, 0usize..7), 1..6),
    ) {
        let pages = example_pages();
        let lock = accepted(&pages);
        let decorated: Vec<(PathBuf, String)> = pages
            .iter()
            .map(|(p, t)| {
                let t = if p.ends_with("generative-world-models.md") {
                    decorate_rows(t, &picks)
                } else {
                    t.clone()
                };
                (p.clone(), t)
            })
            .collect();
        let repo = load(&decorated);
        prop_assert!(repo.diags.is_empty(), "diagnostics: {:?}", repo.diags);
        let e = eval::evaluate(&repo, &lock);
        prop_assert_eq!(e.verdicts.len(), 7);
        for v in &e.verdicts {
            prop_assert_eq!(v.status, Status::Clean, "{} is {:?}: {:?}", v.thesis, v.status, v.causes);
        }
    }
}

#[test]
fn the_decoration_property_can_fail() {
    let pages = example_pages();
    let lock = accepted(&pages);
    let changed: Vec<(PathBuf, String)> = pages
        .iter()
        .map(|(p, t)| {
            (
                p.clone(),
                t.replacen("| Parameters | 11B |", "| Parameters | 20B |", 1),
            )
        })
        .collect();
    let e = eval::evaluate(&load(&changed), &lock);
    assert!(e.verdicts.iter().any(|v| v.status == Status::Stale));
}

#[test]
fn a_thesis_whose_cited_concept_page_is_deleted_is_stale() {
    let repo = tiny(&[
        ("rescore.toml", ""),
        (
            "concepts/c.md",
            "# C\n\n- C holds. {#x}\n  Evidence: weak (y)\n",
        ),
        ("sources/s.md", "# S\n"),
        (
            "theses/t.md",
            "+++\nscore = 0.5\n+++\n# T\n\n- [[c]] and [[c#x]]\n",
        ),
        ("theses/u.md", "+++\nscore = 0.5\n+++\n# U\n\n- [[s]]\n"),
    ]);
    repo.ok(&["init"], 0);
    std::fs::remove_file(repo.path("concepts/c.md")).expect("rm");
    let doc = repo.check_json();
    let got: Vec<(String, String)> = causes(&doc, "t")
        .iter()
        .map(|c| (c["node"].to_string(), c["rule"].to_string()))
        .collect();
    assert_eq!(
        got,
        [
            ("\"c\"".to_string(), "\"claim-removed\"".to_string()),
            ("\"c#x\"".to_string(), "\"claim-removed\"".to_string())
        ],
        "{doc:#}"
    );
}

#[test]
fn a_deleted_source_that_no_rule_reports_stays_a_broken_link() {
    let repo = tiny(&[
        ("rescore.toml", ""),
        ("sources/s.md", "# S\n"),
        ("theses/u.md", "+++\nscore = 0.5\n+++\n# U\n\n- [[s]]\n"),
    ]);
    repo.ok(&["init"], 0);
    std::fs::remove_file(repo.path("sources/s.md")).expect("rm");
    let (code, _, err) = repo.run(&["check"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("error[link-to-no-page]"), "{err}");
}

#[test]
fn a_marked_row_beside_its_unmarked_twin_stays_its_own_row() {
    let repo = tiny(&[
        ("rescore.toml", ""),
        (
            "concepts/c.md",
            "# C\n\n| Metric | Value | System |\n|---|---|---|\n| GPQA | 50% | X |\n| GPQA¹ | 61% | X |\n",
        ),
        ("theses/t.md", "+++\nscore = 0.5\n+++\n# T\n\n- [[c#gpqa@x]]\n"),
    ]);
    repo.ok(&["init"], 0);
    let (code, out, err) = repo.run(&["ls", "--kind", "benchmark"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("c#gpqa@x "), "{out}");
    assert!(out.contains("c#gpqa¹@x "), "{out}");
}
