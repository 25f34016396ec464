//! Nothing dropped in silence (issue 11, item 4): Evidence near-misses are read as meant, what
//! looks meant but is not read is a located warning in every output format, a folder that is no
//! research repo is an error, and notes take no part in the id space.

mod common;

use common::{tiny, TempRepo};
use serde_json::Value;

const CONCEPT: &str = "+++
kind = \"concept\"
+++
# Adapters

- Adapters match full fine-tuning on GLUE. {#glue}
  evidence: strong ([[LoRA paper]])
- Adapters halve memory.
  Evidence - moderate
- Adapters train faster.
  EVIDENCE – weak
- Adapters need no warm-up.
  **Evidence:** speculative
- Adapters lack evidence: more runs are needed, says this prose item.
- Adapters compose across tasks. {#compose}
";

const SOURCE: &str = "+++
kind = \"source\"
+++
# LoRA paper
";

const THESIS: &str = "+++
kind = \"thesis\"
score = 0.7
+++
# Adapters are enough

- [[adapters#glue]]
";

/// A clean, accepted repo whose pages hold every kind of near-miss warning.
fn warned() -> TempRepo {
    let repo = tiny(&[
        ("rescore.toml", ""),
        ("concepts/adapters.md", CONCEPT),
        ("sources/lora.md", SOURCE),
        ("theses/enough.md", THESIS),
        (
            "drafts/maybe.md",
            "+++\nscore = 0.4\n+++\n# A thesis without a kind\n",
        ),
        (
            "02-Theses/later.md",
            "# Later\n\nNotes in a folder that looks like theses/.\n",
        ),
        ("02-Theses/more.md", "# More\n"),
    ]);
    repo.ok(&["init"], 0);
    repo
}

fn claims(repo: &TempRepo) -> Vec<(String, String)> {
    let (code, out, err) = repo.run(&["ls", "--kind", "claim", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).expect("ls json");
    doc["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| {
            (
                n["key"].as_str().expect("key").to_string(),
                n["state"]["level"].as_str().expect("level").to_string(),
            )
        })
        .collect()
}

#[test]
fn evidence_near_misses_are_read_as_meant() {
    let repo = warned();
    let got = claims(&repo);
    assert_eq!(got.len(), 4, "{got:?}");
    for level in ["strong", "moderate", "weak", "speculative"] {
        assert!(got.iter().any(|(_, l)| l == level), "{level}: {got:?}");
    }
    assert!(got.iter().any(|(k, _)| k == "adapters#glue"), "{got:?}");
}

#[test]
fn a_lowercase_evidence_word_inside_prose_is_no_claim() {
    let repo = warned();
    let got = claims(&repo);
    assert!(
        !got.iter().any(|(k, _)| k.contains("lack")),
        "the prose item became a claim: {got:?}"
    );
}

#[test]
fn warnings_are_located_in_human_output() {
    let repo = warned();
    let (code, out, err) = repo.run(&["check"]);
    assert_eq!(code, 0, "warnings do not fail the gate\n{out}\n{err}");
    let headers: Vec<&str> = err.lines().filter(|l| l.starts_with("warning[")).collect();
    insta::assert_snapshot!("warnings_human", headers.join("\n"));
}

#[test]
fn warnings_are_annotations_in_github_output() {
    let repo = warned();
    let out = repo.ok(&["check", "--format", "github"], 0);
    for line in out.lines() {
        assert!(line.starts_with("::warning file="), "{line}");
    }
    insta::assert_snapshot!("warnings_github", out);
}

#[test]
fn warnings_are_in_the_json_report() {
    let repo = warned();
    let (code, out, err) = repo.run(&["check", "--format", "json"]);
    assert_eq!(code, 0);
    assert_eq!(
        err, "",
        "the report carries the warnings, stderr does not repeat them"
    );
    insta::assert_snapshot!("warnings_json", out);
}

#[test]
fn warnings_are_a_suite_in_junit() {
    let repo = warned();
    let out = repo.ok(&["check", "--format", "junit"], 0);
    let mut reader = quick_xml::Reader::from_str(&out);
    let mut suites = Vec::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Start(e) if e.name().as_ref() == b"testsuite" => {
                let name = e
                    .try_get_attribute("name")
                    .expect("attribute")
                    .expect("name")
                    .unescape_value()
                    .expect("text")
                    .into_owned();
                suites.push(name);
            }
            _ => {}
        }
    }
    assert_eq!(suites, ["theses", "warnings"], "{out}");
    assert_eq!(
        out.matches("classname=\"rescore.warning\"").count(),
        3,
        "{out}"
    );
}

#[test]
fn no_research_repo_here_is_an_error() {
    for files in [
        &[][..],
        &[
            ("README.md", "# A project\n"),
            ("docs/guide.md", "# Guide\n"),
        ][..],
    ] {
        let repo = tiny(files);
        let (code, out, err) = repo.run(&["check"]);
        assert_eq!(code, 2, "{files:?}\nstdout:\n{out}\nstderr:\n{err}");
        assert!(err.contains("no research repo here"), "{err}");
        assert!(err.contains("--root"), "{err}");
        assert!(err.contains("rescore init"), "{err}");
    }
}

#[test]
fn a_rescore_toml_alone_is_a_research_repo() {
    let repo = tiny(&[("rescore.toml", "")]);
    let out = repo.ok(&["check"], 0);
    assert!(
        out.contains("0 stale, 0 pending, 0 unscored, 0 clean"),
        "{out}"
    );
}

#[test]
fn notes_with_one_id_are_no_duplicate() {
    let repo = tiny(&[
        ("rescore.toml", ""),
        ("README.md", "# Repo\n"),
        ("concepts/README.md", "# About concepts\n"),
        ("theses/README.md", "# About theses\n"),
        ("concepts/a.md", "# A\n\n- A holds.\n  Evidence: weak (x)\n"),
        (
            "theses/t.md",
            "+++\nscore = 0.5\n+++\n# T\n\n- [[a]], see [[README]]\n",
        ),
    ]);
    let (code, out, err) = repo.run(&["check"]);
    assert_eq!(code, 1, "one unscored thesis\n{out}\n{err}");
    assert!(!err.contains("duplicate-id"), "{err}");
}

#[test]
fn concepts_with_one_id_are_still_a_duplicate() {
    let repo = tiny(&[
        ("rescore.toml", ""),
        ("concepts/a.md", "# A\n"),
        ("concepts/old/a.md", "# Old A\n"),
    ]);
    let (code, _, err) = repo.run(&["check"]);
    assert_eq!(code, 2);
    assert!(err.contains("error[duplicate-id]"), "{err}");
}

#[test]
fn a_concept_wins_a_name_over_a_note() {
    let repo = tiny(&[
        ("rescore.toml", ""),
        ("notes/a.md", "# A note\n"),
        ("concepts/a.md", "# A\n\n- A holds.\n  Evidence: weak (x)\n"),
        ("theses/t.md", "+++\nscore = 0.5\n+++\n# T\n\n- [[a]]\n"),
    ]);
    repo.ok(&["init"], 0);
    repo.edit("concepts/a.md", "Evidence: weak", "Evidence: strong");
    assert_eq!(repo.ids("stale"), ["t"]);
}
