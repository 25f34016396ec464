//! The loader never panics on bad input, and every diagnostic it produces is located (line and
//! column from 1) and says what was expected. Arbitrary bytes, truncated and mutated example
//! pages go through `rescore::load::build`, then evaluation and diagnostic rendering.

mod common;

use std::path::PathBuf;

use proptest::prelude::*;
use rescore::diag::Diagnostic;
use rescore::eval;
use rescore::lock::Lock;

fn example_pages() -> Vec<(PathBuf, Vec<u8>)> {
    common::tree(&common::example_dir())
        .into_iter()
        .filter(|(p, _)| p.extension().is_some_and(|x| x == "md"))
        .collect()
}

/// Builds from raw bytes (decoding each as the loader does), evaluates against a lock of the
/// unmodified example, renders every diagnostic, and checks each one is well-formed.
fn check(pages: &[(PathBuf, Vec<u8>)]) -> Result<(), TestCaseError> {
    let (config, rules) = rescore::load::settings(None, &|_| None)
        .map_err(|d| TestCaseError::fail(format!("settings: {d:?}")))?;
    let files: Vec<(PathBuf, Result<String, Diagnostic>)> = pages
        .iter()
        .map(|(p, b)| (p.clone(), rescore::load::decode(p, b.clone())))
        .collect();
    let texts: Vec<(PathBuf, Option<String>)> = files
        .iter()
        .map(|(p, t)| (p.clone(), t.as_ref().ok().cloned()))
        .collect();
    let repo = rescore::load::build(PathBuf::from("."), config, rules, files);
    for d in &repo.diags {
        prop_assert!(d.line >= 1, "line 0: {d:?}");
        prop_assert!(d.col >= 1, "col 0: {d:?}");
        prop_assert!(!d.expected.trim().is_empty(), "no `expected`: {d:?}");
        prop_assert!(!d.message.trim().is_empty(), "no message: {d:?}");
        for n in &d.notes {
            prop_assert!(n.line >= 1 && n.col >= 1, "note at 0: {d:?}");
        }
        let source = texts
            .iter()
            .find(|(p, _)| *p == d.path)
            .and_then(|(_, t)| t.as_deref());
        let shown = d.render(source, false);
        prop_assert!(shown.contains(&d.location()), "{shown}");
    }
    // Evaluation of whatever loaded must not panic either.
    let _ = eval::evaluate(&repo, &base_lock());
    Ok(())
}

fn base_lock() -> Lock {
    thread_local! {
        static LOCK: Lock = {
            let (config, rules) = rescore::load::settings(None, &|_| None).expect("settings");
            let files = example_pages()
                .into_iter()
                .map(|(p, b)| {
                    let t = rescore::load::decode(&p, b);
                    (p, t)
                })
                .collect();
            let repo = rescore::load::build(PathBuf::from("."), config, rules, files);
            let mut lock = Lock::new();
            rescore::accept::every_thesis(&mut lock, &repo);
            lock
        };
    }
    LOCK.with(Clone::clone)
}

#[test]
fn the_example_loads_without_diagnostics() {
    let pages = example_pages();
    assert!(pages.len() > 20);
    check(&pages).expect("clean");
}

#[test]
fn the_check_catches_a_bad_diagnostic_location() {
    // The harness is only as good as its assertions: a broken page must produce diagnostics
    // that pass through them (so the property tests below are not vacuous).
    let mut pages = example_pages();
    let (_, bytes) = pages
        .iter_mut()
        .find(|(p, _)| p.ends_with("physics-wall.md"))
        .expect("page");
    *bytes = b"+++\nkind = \"thesis\"\nscore = \"x\"\n+++\n# T\n- [[nowhere]]\n".to_vec();
    let (config, rules) = rescore::load::settings(None, &|_| None).expect("settings");
    let files = pages
        .iter()
        .map(|(p, b)| (p.clone(), rescore::load::decode(p, b.clone())))
        .collect();
    let repo = rescore::load::build(PathBuf::from("."), config, rules, files);
    let codes: Vec<&str> = repo.diags.iter().map(|d| d.code.as_str()).collect();
    assert!(codes.contains(&"thesis-without-score"), "{codes:?}");
    assert!(codes.contains(&"link-to-no-page"), "{codes:?}");
    check(&pages).expect("well-formed diagnostics");
}

/// Snippets of page syntax to splice in, so mutations hit the parser's interesting paths.
const SYNTAX: &[&str] = &[
    "+++",
    "---",
    "...",
    "[[",
    "]]",
    "[[#",
    "{#",
    "}",
    "{#}",
    "Evidence:",
    "Evidence: strong (",
    "| Metric | Value |",
    "|---|---|",
    "|",
    "\n",
    "\r\n",
    "- ",
    "  ",
    "(",
    ")",
    "#",
    "# ",
    "é",
    "e\u{301}",
    "\u{feff}",
    "~",
    "%",
    "1e308",
    "—",
    "–",
    "10–",
    "score = ",
    "score: ",
    "kind = \"thesis\"",
    "part_of = [\"",
    "depends_on = \"",
    "retracted = true",
    "`",
    "```",
    "<!--",
    "\t",
    "\0",
    "[x](",
    "../",
    ".md#",
    "@",
    "0x",
    "-0",
    "NaN",
    "inf",
];

#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, xor: u8 },
    DeleteLine { line: usize },
    DuplicateLine { line: usize },
    Insert { at: usize, what: usize },
    Truncate { at: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(at, xor)| Mutation::Flip { at, xor }),
        any::<usize>().prop_map(|line| Mutation::DeleteLine { line }),
        any::<usize>().prop_map(|line| Mutation::DuplicateLine { line }),
        (any::<usize>(), 0..SYNTAX.len()).prop_map(|(at, what)| Mutation::Insert { at, what }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
    ]
}

fn line_ranges(b: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        if c == b'\n' {
            out.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < b.len() {
        out.push(start..b.len());
    }
    out
}

fn mutate(bytes: &mut Vec<u8>, m: &Mutation) {
    match *m {
        Mutation::Flip { at, xor } => {
            if !bytes.is_empty() {
                let i = at % bytes.len();
                bytes[i] ^= xor;
            }
        }
        Mutation::DeleteLine { line } => {
            let lines = line_ranges(bytes);
            if !lines.is_empty() {
                let r = lines[line % lines.len()].clone();
                bytes.drain(r);
            }
        }
        Mutation::DuplicateLine { line } => {
            let lines = line_ranges(bytes);
            if !lines.is_empty() {
                let r = lines[line % lines.len()].clone();
                let copy = bytes[r.clone()].to_vec();
                bytes.splice(r.start..r.start, copy);
            }
        }
        Mutation::Insert { at, what } => {
            let i = at % (bytes.len() + 1);
            bytes.splice(i..i, SYNTAX[what].bytes());
        }
        Mutation::Truncate { at } => {
            let i = at % (bytes.len() + 1);
            bytes.truncate(i);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_as_a_page(
        which in 0usize..64,
        bytes in prop::collection::vec(any::<u8>(), 0..600),
    ) {
        let mut pages = example_pages();
        let i = which % pages.len();
        pages[i].1 = bytes;
        check(&pages)?;
    }

    #[test]
    fn arbitrary_text_as_a_new_page(
        folder in prop::sample::select(vec!["concepts", "theses", "sources", "notes"]),
        text in "[-+#\\[\\]{}()|:=\"\n a-z0-9.~%—é]{0,400}",
    ) {
        let mut pages = example_pages();
        pages.push((PathBuf::from(format!("{folder}/fuzz.md")), text.into_bytes()));
        check(&pages)?;
    }

    #[test]
    fn truncated_example_pages(which in 0usize..64, keep in 0.0f64..1.0) {
        let mut pages = example_pages();
        let i = which % pages.len();
        let n = (pages[i].1.len() as f64 * keep) as usize;
        pages[i].1.truncate(n);
        check(&pages)?;
    }

    #[test]
    fn mutated_example_pages(
        edits in prop::collection::vec((0usize..64, mutation()), 1..12),
    ) {
        let mut pages = example_pages();
        for (which, m) in &edits {
            let i = which % pages.len();
            mutate(&mut pages[i].1, m);
        }
        check(&pages)?;
    }
}

/// Pieces of `rescore.toml` to assemble at random: keys, tables and values of every kind,
/// valid and not.
const SETTINGS: &[&str] = &[
    "exclude = [\"drafts/**\"]\n",
    "exclude = [\"[\"]\n",
    "exclude = 3\n",
    "[folders]\n",
    "thesis = [\"positions\"]\n",
    "thesis = 7\n",
    "[rules]\n",
    "rules = 1\n",
    "flag_at = \"major\"\n",
    "flag_at = \"huge\"\n",
    "flag_att = \"major\"\n",
    "disable = [\"claim-added\", \"nope\"]\n",
    "files = [\"missing.toml\"]\n",
    "rename_similarity = 1.5\n",
    "rename_similarity = nan\n",
    "[rules.threshold]\n",
    "value-shift = nan\n",
    "value-shift = -1\n",
    "evidence-down = 0\n",
    "claim-reworded = 0.7\n",
    "ghost-rule = 0.2\n",
    "[[rules.rule]]\n",
    "name = \"r\"\n",
    "node = [\"claim\"]\n",
    "node = []\n",
    "field = \"status\"\n",
    "compare = \"level-down\"\n",
    "compare = \"sideways\"\n",
    "threshold = inf\n",
    "severity = \"major\"\n",
    "[scale]\n",
    "levels = []\n",
    "levels = [\"low\", \"high\"]\n",
    "aliases = { mid = \"middle\" }\n",
    "[scale.aliases]\n",
    "\"very low\" = \"low\"\n",
    "= = =\n",
    "[[\n",
    "\"\n",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_settings_file_loads_with_located_diagnostics(
        parts in prop::collection::vec(0..SETTINGS.len(), 0..14),
    ) {
        let text: String = parts.iter().map(|&i| SETTINGS[i]).collect();
        let (_, rules, diags) = rescore::load::settings_with_problems(Some(&text), &|_| None);
        // Whatever was wrong, pages can still be read with a scale that has levels.
        prop_assert!(rules.scale.words().next().is_some(), "{text}");
        for d in &diags {
            prop_assert!(d.line >= 1 && d.col >= 1, "{d:?}\n{text}");
            prop_assert!(!d.expected.trim().is_empty(), "no `expected`: {d:?}");
            prop_assert!(!d.message.contains("Some("), "debug text: {d:?}");
            let shown = d.render(Some(&text), false);
            prop_assert!(shown.contains(&d.location()), "{shown}");
        }
        // Strict loading agrees on whether the settings are usable.
        let strict = rescore::load::settings(Some(&text), &|_| None);
        prop_assert_eq!(strict.is_err(), diags.iter().any(Diagnostic::is_error));
    }
}
