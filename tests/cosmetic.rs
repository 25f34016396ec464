//! Cosmetic edits are never material. A data-driven table (one case a file in
//! `tests/cosmetic/*.toml`, run through the real binary) and a property test (random
//! combinations of whole-file transforms, through the library).
//!
//! A case file has `file` (a page, or `*` for every page), an optional `setup_find` /
//! `setup_replace` applied before `rescore init`, then either `find` / `replace` or a `transform`
//! (crlf, trailing-spaces, nfd, reorder-claims, link-style, reflow).

mod common;

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use rescore::eval::{self, Status};
use rescore::lock::Lock;
use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    description: String,
    file: String,
    #[serde(default)]
    setup_find: Option<String>,
    #[serde(default)]
    setup_replace: Option<String>,
    #[serde(default)]
    find: Option<String>,
    #[serde(default)]
    replace: Option<String>,
    #[serde(default)]
    transform: Option<String>,
}

// ---- transforms: each takes a page (relative path, LF text) and returns the new text ----

fn crlf(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\n', "\r\n")
}

fn trailing_spaces(text: &str) -> String {
    text.split_inclusive('\n')
        .map(|l| match l.strip_suffix('\n') {
            Some(body) => format!("{body}  \n"),
            None => format!("{l}  "),
        })
        .collect()
}

fn nfd(text: &str) -> String {
    text.nfd().collect()
}

/// Top-level list items (`- ` at column 0, continuation lines indented) grouped into runs of
/// adjacent items; every run of two or more is reversed.
fn reorder_lists(text: &str) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < lines.len() {
        if !lines[i].starts_with("- ") {
            out.push_str(lines[i]);
            i += 1;
            continue;
        }
        let mut items: Vec<String> = Vec::new();
        while i < lines.len() && lines[i].starts_with("- ") {
            let mut item = lines[i].to_string();
            i += 1;
            while i < lines.len() && lines[i].starts_with("  ") && !lines[i].trim().is_empty() {
                item.push_str(lines[i]);
                i += 1;
            }
            if !item.ends_with('\n') {
                item.push('\n');
            }
            items.push(item);
        }
        items.reverse();
        out.extend(items);
    }
    if !text.ends_with('\n') && out.ends_with('\n') {
        out.pop();
    }
    out
}

/// Every `[[Name]]` / `[[Name#anchor]]` whose slug names a page becomes a relative link.
fn link_style(text: &str, pages: &[PathBuf]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("[[") {
        let Some(len) = rest[open..].find("]]") else {
            break;
        };
        let inner = &rest[open + 2..open + len];
        let (name, anchor) = match inner.split_once('#') {
            Some((n, a)) => (n, Some(a)),
            None => (inner, None),
        };
        let target = pages.iter().find(|p| {
            p.file_stem().and_then(|s| s.to_str()) == Some(rescore::page::slug(name).as_str())
                && p.components().count() == 2
        });
        out.push_str(&rest[..open]);
        match target {
            Some(p) if !name.is_empty() && !inner.contains('\n') => {
                let anchor = anchor.map(|a| format!("#{a}")).unwrap_or_default();
                out.push_str(&format!("[{name}](../{}{anchor})", p.display()));
            }
            _ => out.push_str(&rest[open..open + len + 2]),
        }
        rest = &rest[open + len + 2..];
    }
    out.push_str(rest);
    out
}

/// Words of a text, with bracketed spans (links) kept whole.
fn tokens(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut depth = 0i32;
    for w in s.split_whitespace() {
        if depth > 0 {
            let last = out.last_mut().expect("an open bracket has a word");
            last.push(' ');
            last.push_str(w);
        } else {
            out.push(w.to_string());
        }
        depth += w.matches('[').count() as i32 - w.matches(']').count() as i32;
        depth = depth.max(0);
    }
    out
}

/// Whether a line starting with this word could be read as something else than prose.
fn risky_line_start(w: &str) -> bool {
    let digits = w.chars().take_while(char::is_ascii_digit).count();
    w.starts_with(['-', '+', '*', '#', '>', '|', '=', '`'])
        || (digits > 0 && w[digits..].starts_with(['.', ')']))
}

/// Every claim's text (the lines before its `Evidence:` line) re-wrapped at `width`.
fn reflow(text: &str, width: usize) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < lines.len() {
        if !lines[i].starts_with("- ") {
            out.push_str(lines[i]);
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        while i < lines.len() && lines[i].starts_with("  ") && !lines[i].trim().is_empty() {
            i += 1;
        }
        let item = &lines[start..i];
        let Some(ev) = item
            .iter()
            .position(|l| l.trim_start().starts_with("Evidence:"))
        else {
            item.iter().for_each(|l| out.push_str(l));
            continue;
        };
        let words = tokens(
            &item[..ev]
                .iter()
                .map(|l| l.trim_start_matches("- ").trim())
                .collect::<Vec<_>>()
                .join(" "),
        );
        let mut line = String::from("-");
        for w in words {
            if line.chars().count() + 1 + w.chars().count() > width
                && line.len() > 2
                && !risky_line_start(&w)
            {
                out.push_str(&line);
                out.push('\n');
                line = String::from(" ");
            }
            line.push(' ');
            line.push_str(&w);
        }
        out.push_str(&line);
        out.push('\n');
        item[ev..].iter().for_each(|l| out.push_str(l));
    }
    out
}

fn transform(name: &str, path: &Path, text: &str, pages: &[PathBuf]) -> String {
    match name {
        "crlf" => crlf(text),
        "trailing-spaces" => trailing_spaces(text),
        "nfd" => nfd(text),
        "reorder-claims" => reorder_lists(text),
        "link-style" => link_style(text, pages),
        "reflow" => {
            if path.starts_with("concepts") {
                reflow(text, 40)
            } else {
                text.to_string()
            }
        }
        other => panic!("unknown transform `{other}`"),
    }
}

// ---- the table ----

fn case_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cosmetic");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/cosmetic")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

fn pages_of(repo: &common::TempRepo, file: &str) -> Vec<PathBuf> {
    if file != "*" {
        return vec![PathBuf::from(file)];
    }
    repo.tree()
        .into_keys()
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect()
}

/// Runs one case; returns why it failed.
fn run_case(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let case: Case = toml::from_str(&text).map_err(|e| format!("bad case file: {e}"))?;
    if case.transform.is_some() == case.find.is_some()
        || case.find.is_some() != case.replace.is_some()
        || case.setup_find.is_some() != case.setup_replace.is_some()
    {
        return Err("a case needs either find + replace or a transform".into());
    }
    let repo = common::example();
    let files = pages_of(&repo, &case.file);
    let all_pages = pages_of(&repo, "*");
    if let (Some(f), Some(r)) = (&case.setup_find, &case.setup_replace) {
        for p in &files {
            repo.edit(p.to_str().expect("utf-8 path"), f, r);
        }
    }
    // In a git repo, as research repos are: the lock names claim text by page blob, and
    // `check` reads the accepted text back from git.
    let (ok, git) = common::git_try(repo.root(), &["init", "-q"]);
    if !ok {
        return Err(format!("git init failed: {git}"));
    }
    let (code, out, err) = repo.run(&["init"]);
    if code != 0 {
        return Err(format!("init failed: {out}{err}"));
    }
    let mut changed = false;
    for p in &files {
        let rel = p.to_str().expect("utf-8 path");
        let before = repo.read_str(rel);
        let after = match (&case.find, &case.transform) {
            (Some(f), _) => {
                if !before.contains(f.as_str()) {
                    return Err(format!("needle {f:?} not in {rel}"));
                }
                before.replacen(f.as_str(), case.replace.as_deref().unwrap_or(""), 1)
            }
            (_, Some(t)) => transform(t, p, &before, &all_pages),
            _ => unreachable!(),
        };
        changed |= after != before;
        repo.write(rel, after);
    }
    if !changed {
        return Err("the edit changed no byte: the case tests nothing".into());
    }
    let (code, out, err) = repo.run(&["check", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&out)
        .map_err(|e| format!("exit {code}, no JSON ({e}):\n{out}\n{err}"))?;
    if code != 0 {
        return Err(format!("check exited {code}:\n{out}\n{err}"));
    }
    for status in ["stale", "pending", "unscored"] {
        if !common::ids(&doc, status).is_empty() {
            return Err(format!("{status} after a cosmetic edit:\n{out}"));
        }
    }
    let _ = case.description;
    Ok(())
}

#[test]
fn cosmetic_edits_are_never_material() {
    let files = case_files();
    assert!(files.len() >= 8, "only {} cosmetic cases", files.len());
    let failures: Vec<String> = files
        .iter()
        .filter_map(|f| {
            run_case(f)
                .err()
                .map(|e| format!("{}: {e}", f.file_name().expect("name").to_string_lossy()))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}

/// The harness itself must be able to fail: a material edit through the same path is caught.
#[test]
fn a_material_edit_through_the_same_harness_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = dir.path().join("material.toml");
    std::fs::write(
        &case,
        "description = \"not cosmetic\"\nfile = \"concepts/generative-world-models.md\"\nfind = \"~64% (Sora-2)\"\nreplace = \"~30% (Sora-2)\"\n",
    )
    .expect("write");
    let err = run_case(&case).expect_err("a 50% value move must flag");
    assert!(err.contains("stale"), "{err}");
}

// ---- unit checks of the transforms, so a transform that silently does nothing is caught ----

#[test]
fn transforms_do_what_they_say() {
    let page = "# T\n\n- b item\n  more b\n- a item\n\n- solo\n";
    assert_eq!(
        reorder_lists(page),
        "# T\n\n- a item\n- b item\n  more b\n\n- solo\n"
    );
    assert_eq!(crlf("a\nb\n"), "a\r\nb\r\n");
    assert_eq!(trailing_spaces("a\nb"), "a  \nb  ");
    assert_ne!(nfd("café"), "café");
    let pages = [PathBuf::from("sources/genie-3.md")];
    assert_eq!(
        link_style("x [[Genie 3]] [[nope]] [[genie-3#a]]", &pages),
        "x [Genie 3](../sources/genie-3.md) [[nope]] [genie-3](../sources/genie-3.md#a)"
    );
    let claim = "- one two three four five six seven [A B](x.md) eight nine ten eleven\n  Evidence: strong (s)\n";
    let wrapped = reflow(claim, 20);
    assert!(wrapped.lines().count() > 2, "{wrapped}");
    assert!(wrapped.contains("[A B](x.md)"), "{wrapped}");
    assert!(wrapped.ends_with("  Evidence: strong (s)\n"), "{wrapped}");
    let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(flat(&wrapped), flat(claim));
}

// ---- the property test, through the library ----

struct Base {
    pages: Vec<(PathBuf, String)>,
    lock: Lock,
}

fn example_pages() -> Vec<(PathBuf, String)> {
    let tree = common::tree(&common::example_dir());
    tree.into_iter()
        .filter(|(p, _)| p.extension().is_some_and(|x| x == "md"))
        .map(|(p, b)| {
            let mut text = String::from_utf8(b).expect("utf-8 page");
            if p.ends_with("generative-world-models.md") {
                // Accents, so NFD has something to decompose.
                text = text.replacen(
                    "counterfactual scenario evaluation",
                    "counterfactual scénario évaluation",
                    1,
                );
            }
            (p, text)
        })
        .collect()
}

fn load(pages: &[(PathBuf, String)]) -> rescore::load::Repo {
    common::load_pages(pages)
}

fn base() -> Base {
    let pages = example_pages();
    let repo = load(&pages);
    assert!(repo.diags.is_empty(), "{:?}", repo.diags);
    let mut lock = Lock::new();
    rescore::accept::every_thesis(&mut lock, &repo);
    assert_eq!(lock.thesis.len(), 7);
    Base { pages, lock }
}

const CONTENT: [&str; 5] = ["nfd", "reorder-claims", "link-style", "reflow", "alias"];

fn apply_content(name: &str, path: &Path, text: &str, pages: &[PathBuf], width: usize) -> String {
    match name {
        "alias" => text
            .replace("Evidence: strong", "Evidence: high")
            .replace("Evidence: moderate", "Evidence: medium"),
        "reflow" if path.starts_with("concepts") => reflow(text, width),
        other => transform(other, path, text, pages),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn random_cosmetic_transforms_flag_nothing(
        content in prop::collection::vec(0usize..CONTENT.len(), 0..6),
        width in 30usize..140,
        trailing in any::<bool>(),
        windows in any::<bool>(),
        page_mask in any::<u32>(),
    ) {
        let base = base();
        let names: Vec<PathBuf> = base.pages.iter().map(|(p, _)| p.clone()).collect();
        let mut pages = base.pages.clone();
        for (k, (path, text)) in pages.iter_mut().enumerate() {
            if page_mask & (1 << (k % 32)) == 0 {
                continue;
            }
            for &c in &content {
                *text = apply_content(CONTENT[c], path, text, &names, width);
            }
            if trailing {
                *text = trailing_spaces(text);
            }
            if windows {
                *text = crlf(text);
            }
        }
        let repo = load(&pages);
        prop_assert!(repo.diags.is_empty(), "diagnostics: {:?}", repo.diags);
        let e = eval::evaluate(&repo, &base.lock);
        prop_assert_eq!(e.verdicts.len(), 7);
        for v in &e.verdicts {
            prop_assert_eq!(v.status, Status::Clean, "{} is {:?}: {:?}", v.thesis, v.status, v.causes);
        }
    }
}

#[test]
fn the_property_can_fail() {
    // The same evaluation path catches a material edit.
    let base = base();
    let mut pages = base.pages.clone();
    for (p, t) in pages.iter_mut() {
        if p.ends_with("generative-world-models.md") {
            *t = t.replacen("~64% (Sora-2)", "~30% (Sora-2)", 1);
        }
    }
    let e = eval::evaluate(&load(&pages), &base.lock);
    assert!(e.verdicts.iter().any(|v| v.status == Status::Stale));
}
