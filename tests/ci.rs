//! What CI tools read: GitHub annotations and JUnit paths relative to the git root, GitHub's
//! escaping, and a valid document on bad input in every machine format.

mod common;

use std::path::Path;
use std::process::Command as Process;

use common::{run_in, tiny};

const THESIS: &str = "+++\nkind = \"thesis\"\nscore = 0.5\n+++\n# T\n\nA position.\n";
const BROKEN: &str = "+++\nkind = \"thesis\"\nscore = 0.5\n+++\n# T\n\n- [[ghost]]\n";

type Element = (String, Vec<(String, String)>);

/// Every element's name and attributes, in document order; panics unless well-formed.
fn xml_elements(text: &str) -> Vec<Element> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut out = Vec::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).expect("utf-8");
                let attrs = e
                    .attributes()
                    .map(|a| {
                        let a = a.expect("attribute");
                        (
                            String::from_utf8(a.key.as_ref().to_vec()).expect("utf-8"),
                            a.unescape_value().expect("escaped value").into_owned(),
                        )
                    })
                    .collect();
                out.push((name, attrs));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert!(!out.is_empty(), "no elements in:\n{text}");
    out
}

fn attr<'a>(e: &'a Element, key: &str) -> Option<&'a str> {
    e.1.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn git_init(dir: &Path) {
    let status = Process::new("git")
        .args(["init", "-q"])
        .current_dir(dir)
        .status()
        .expect("git runs");
    assert!(status.success(), "git init failed");
}

#[test]
fn a_research_repo_in_a_subfolder_is_annotated_at_paths_from_the_git_root() {
    let repo = tiny(&[("research/theses/t.md", THESIS)]);
    git_init(repo.root());
    let research = repo.path("research");

    let (code, out, err) = run_in(&research, &["check", "--format", "github"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        out.contains("::error file=research/theses/t.md,line="),
        "{out}"
    );

    let (code, out, err) = run_in(&research, &["check", "--format", "junit"]);
    assert_eq!(code, 1, "{out}\n{err}");
    let cases: Vec<_> = xml_elements(&out)
        .into_iter()
        .filter(|e| e.0 == "testcase")
        .collect();
    assert_eq!(cases.len(), 1, "{out}");
    assert_eq!(attr(&cases[0], "file"), Some("research/theses/t.md"));

    // Diagnostics on bad input too.
    std::fs::write(research.join("theses/t.md"), BROKEN).expect("write");
    let (code, _, err) = run_in(&research, &["check", "--format", "github"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("::error file=research/theses/t.md,line=7,col=3,"),
        "{err}"
    );
}

#[test]
fn without_git_paths_stay_relative_to_the_research_root() {
    let repo = tiny(&[("research/theses/t.md", THESIS)]);
    let (_, out, _) = run_in(&repo.path("research"), &["check", "--format", "github"]);
    assert!(out.contains("::error file=theses/t.md,line="), "{out}");
}

#[test]
fn github_properties_escape_commas_and_colons() {
    let repo = tiny(&[("theses/a,b.md", THESIS)]);
    let (code, out, err) = repo.run(&["check", "--format", "github"]);
    assert_eq!(code, 1, "{out}\n{err}");
    let line = out.lines().next().expect("an annotation");
    assert!(
        line.starts_with("::error file=theses/a%2Cb.md,line=5,title=thesis a%2Cb is unscored::"),
        "{line}"
    );
    // Warnings (no gate) are `::warning`.
    let (_, out, _) = repo.run(&["--dry-run", "--format", "github"]);
    assert!(out.starts_with("::warning file=theses/a%2Cb.md,"), "{out}");
}

#[test]
fn bad_input_as_json_is_one_object_on_stdout_carrying_the_diagnostics() {
    let repo = tiny(&[("theses/t.md", BROKEN)]);
    for args in [
        &["check", "--format", "json"][..],
        &["--dry-run", "--format", "json"],
    ] {
        let (code, out, _) = repo.run(args);
        assert_eq!(code, 2);
        let doc: serde_json::Value = serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("{args:?}: stdout is not one JSON document: {e}\n{out}"));
        assert_eq!(doc["errors"], 1, "{doc}");
        let d = &doc["diagnostics"][0];
        assert_eq!(d["code"], "link-to-no-page", "{doc}");
        assert_eq!(d["path"], "theses/t.md");
        assert_eq!(d["line"], 7);
    }
}

#[test]
fn bad_input_as_junit_is_a_document_with_a_failing_case() {
    let repo = tiny(&[("theses/t.md", BROKEN)]);
    let (code, out, _) = repo.run(&["check", "--format", "junit"]);
    assert_eq!(code, 2);
    let elements = xml_elements(&out);
    let case = elements
        .iter()
        .find(|e| e.0 == "testcase")
        .unwrap_or_else(|| panic!("no test case:\n{out}"));
    assert_eq!(attr(case, "file"), Some("theses/t.md"));
    let failure = elements
        .iter()
        .find(|e| e.0 == "failure")
        .unwrap_or_else(|| panic!("no failure:\n{out}"));
    assert_eq!(attr(failure, "type"), Some("link-to-no-page"));
    let suites = elements.iter().find(|e| e.0 == "testsuites").expect("root");
    assert_eq!(attr(suites, "failures"), Some("1"));
}

#[test]
fn a_usage_error_in_a_machine_format_still_writes_its_document() {
    let repo = tiny(&[("theses/t.md", THESIS)]);
    let (code, out, _) = repo.run(&["why", "nosuch", "--format", "json"]);
    assert_eq!(code, 2);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("one JSON document");
    assert_eq!(doc["diagnostics"][0]["code"], "usage", "{doc}");
    let (code, out, _) = repo.run(&["why", "nosuch", "--format", "junit"]);
    assert_eq!(code, 2);
    assert!(xml_elements(&out).iter().any(|e| e.0 == "failure"), "{out}");
}

#[test]
fn a_command_line_clap_refuses_still_writes_the_document_asked_for() {
    let repo = tiny(&[("theses/t.md", THESIS)]);
    let (code, out, err) = repo.run(&["check", "--no-such-flag", "--format", "json"]);
    assert_eq!(code, 2, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).expect("one JSON document");
    assert_eq!(doc["diagnostics"][0]["code"], "usage", "{doc}");
    assert!(
        doc["diagnostics"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("--no-such-flag")),
        "{doc}"
    );
    let (code, out, _) = repo.run(&["check", "--format=junit", "--no-such-flag"]);
    assert_eq!(code, 2);
    assert!(xml_elements(&out).iter().any(|e| e.0 == "failure"), "{out}");
    // Without a machine format, clap's message alone, as before.
    let (code, out, _) = repo.run(&["check", "--no-such-flag"]);
    assert_eq!(code, 2);
    assert!(out.is_empty(), "{out}");
}
