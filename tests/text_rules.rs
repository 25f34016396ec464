//! The claim-text rules through the binary: what a changed span reports, what counts as a
//! claim's text, and how a research repo tunes the classes.

mod common;

use common::TempRepo;

const CONCEPT: &str = "concepts/store.md";

/// A requirement claim with a nested item, a table and a code block, cited by one thesis.
fn repo(config: &str) -> TempRepo {
    let mut files = vec![
        (
            CONCEPT,
            "+++\nkind = \"concept\"\n+++\n# Store\n\n\
             - The system shall store permanent identifiers for each item. {#ids}\n  \
             Evidence: strong ([[Spec]])\n  \
             - Identifiers are never reused.\n\n  \
             | Field | Kind |\n  |---|---|\n  | uid | text |\n\n  \
             ```\n  doorstop new REQ ./reqs\n  ```\n",
        ),
        ("sources/spec.md", "+++\nkind = \"source\"\n+++\n# Spec\n"),
        (
            "theses/t.md",
            "+++\nkind = \"thesis\"\nscore = 0.5\n+++\n# T\n\n- rests on [[store#ids]]\n",
        ),
    ];
    if !config.is_empty() {
        files.push(("rescore.toml", config));
    }
    let repo = common::tiny(&files);
    repo.ok(&["init"], 0);
    repo.ok(&["check"], 0);
    repo
}

fn causes(repo: &TempRepo) -> Vec<(String, String)> {
    let doc = repo.check_json();
    doc["stale"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|v| v["causes"].as_array().cloned().unwrap_or_default())
        .map(|c| {
            (
                c["rule"].as_str().unwrap_or_default().to_string(),
                c["detail"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn pair(rule: &str, detail: &str) -> (String, String) {
    (rule.to_string(), detail.to_string())
}

#[test]
fn a_negation_is_reported_with_its_span() {
    let repo = repo("");
    repo.edit(CONCEPT, "shall store", "shall not store");
    let out = repo.ok(&["check"], 1);
    insta::assert_snapshot!("shall_not_human", out);
}

#[test]
fn a_cosmetic_rewrite_of_the_whole_item_is_clean() {
    let repo = repo("");
    repo.edit(
        CONCEPT,
        "- The system shall store permanent identifiers for each item.",
        "- The System shall **store** permanent\n  identifers for each item[^1].",
    );
    repo.edit(CONCEPT, "| uid | text |", "| UID  | text |");
    repo.edit(CONCEPT, "doorstop new", "$ doorstop new");
    repo.ok(&["check"], 0);
}

#[test]
fn nested_items_tables_and_code_are_part_of_the_claim() {
    let repo = repo("");
    repo.edit(CONCEPT, "are never reused", "are reused");
    assert_eq!(causes(&repo), [pair("meaning-changed", "negation")]);
    repo.edit(CONCEPT, "are reused", "are never reused");
    repo.ok(&["check"], 0);

    repo.edit(CONCEPT, "| uid | text |", "| uid | number |");
    assert_eq!(causes(&repo), [pair("wording-changed", "word")]);
    repo.edit(CONCEPT, "| uid | number |", "| uid | text |");

    repo.edit(CONCEPT, "doorstop new REQ", "doorstop create REQ");
    assert_eq!(causes(&repo), [pair("meaning-changed", "code")]);
}

#[test]
fn word_lists_and_severities_are_overridable() {
    // Without negations on the list, an added `not` is just a word, and a major flag_at hides it
    // until wording-changed is made major.
    let repo = repo("[text]\nnegation = []\nnegation_suffixes = []\n");
    repo.edit(CONCEPT, "shall store", "shall not store");
    assert_eq!(causes(&repo), [pair("wording-changed", "word")]);

    let config = "[rules]\nflag_at = \"major\"\n\n[text]\nnegation = []\n";
    repo.write("rescore.toml", config);
    repo.ok(&["check"], 0);
    repo.write(
        "rescore.toml",
        format!(
            "{config}\n[[rules.rule]]\nname = \"wording-changed\"\nnode = [\"claim\"]\nfield = \"text\"\n\
             compare = \"span-changed\"\nclasses = [\"word\", \"typo\"]\nseverity = \"major\"\n"
        ),
    );
    assert_eq!(causes(&repo), [pair("wording-changed", "word")]);
}

#[test]
fn claim_reworded_still_loads_and_fires_when_given_a_threshold() {
    let repo = repo("[rules.threshold]\nclaim-reworded = 0.999\n");
    repo.edit(CONCEPT, "identifiers for", "identifers for");
    let fired = causes(&repo);
    assert_eq!(fired.len(), 1, "{fired:?}");
    assert_eq!(fired[0].0, "claim-reworded");
    repo.write("rescore.toml", "[rules]\ndisable = [\"claim-reworded\"]\n");
    repo.ok(&["check"], 0);
}

#[test]
fn a_bad_class_or_classes_on_another_compare_is_an_error() {
    let repo = repo("");
    repo.write(
        "rescore.toml",
        "[[rules.rule]]\nname = \"x\"\nnode = [\"claim\"]\nfield = \"text\"\n\
         compare = \"span-changed\"\nclasses = [\"negations\"]\nseverity = \"major\"\n",
    );
    let (code, _, err) = repo.run(&["check"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("rescore.toml:6"), "{err}");
    assert!(err.contains("negation"), "{err}");
    repo.write(
        "rescore.toml",
        "[[rules.rule]]\nname = \"x\"\nnode = [\"claim\"]\nfield = \"text\"\n\
         compare = \"similarity-below\"\nclasses = [\"word\"]\nseverity = \"major\"\n",
    );
    let (code, _, err) = repo.run(&["check"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("span-changed"), "{err}");
    repo.write("rescore.toml", "[text]\nnegations = [\"not\"]\n");
    let (code, _, err) = repo.run(&["check"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("did you mean `negation`?"), "{err}");
}

#[test]
fn a_lock_written_by_the_previous_version_stays_clean() {
    // Both locks hold lowercase claim texts without code marks: the format-1 lock of the
    // previous release, and the shipped format-2 lock written before claim text kept its case.
    let v1 = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/world-models-v1.lock"),
    )
    .expect("v1 lock");
    assert!(v1.contains("text = \"genie 3 achieves"), "a lowercase lock");
    let repo = common::example();
    repo.write("rescore.lock", &v1);
    repo.ok(&["check"], 0);

    let repo = common::example();
    let shipped = common::example_dir();
    repo.write(
        "rescore.lock",
        std::fs::read(shipped.join("rescore.lock")).expect("lock"),
    );
    common::copy_dir(
        &shipped.join("rescore.lock.d"),
        &repo.path("rescore.lock.d"),
    );
    let shards = common::tree(&repo.path("rescore.lock.d"));
    assert!(
        shards
            .values()
            .any(|b| String::from_utf8_lossy(b).contains("text = \"genie 3 achieves")),
        "a lowercase lock"
    );
    repo.ok(&["check"], 0);
}
