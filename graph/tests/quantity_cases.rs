//! Data-driven quantity cases from `tests/quantity/*.tsv`.
//!
//! One case a line, three tab-separated columns: `MODE<TAB>INPUT<TAB>EXPECTED`.
//! - `extract`: `extract_quantities(INPUT)` shown with `Display`, joined by ` | `; `(none)` if empty.
//! - `canonical`: `read_canonical(INPUT)`, how canonical (lowercased) claim text reads, shown
//!   like `extract`.
//! - `value`: `parse_value(INPUT)` shown with `Display`, or `text:...` for a text value.
//! - `same` / `differ`: `parse_value` (and `extract_quantities`) of INPUT and EXPECTED are equal /
//!   not equal.
//! - `compare`: INPUT is `OLD → NEW`, two claim texts; their quantities compared as the value
//!   rules compare them: `same`, `count N → M`, `unit OLD → NEW` (dimensions differ) or
//!   `OLD → NEW (MOVE)` for the pair that moved most.
//! - `compare-cell`: the same for two benchmark cells (`text` when either is text).
//!
//! Blank lines and lines starting with `#` are skipped.

use std::fs;
use std::path::{Path, PathBuf};

use rescore_graph::quantity::{
    dimension_change, extract_quantities, largest_move, parse_value, read_canonical, Quantity,
    Value,
};

struct Case {
    at: String,
    mode: String,
    input: String,
    expected: String,
}

fn case_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/quantity");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "tsv"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .tsv files in {}", dir.display());
    files
}

fn cases(mode: &str) -> Vec<Case> {
    let mut out = Vec::new();
    for file in case_files() {
        let content = fs::read_to_string(&file).expect("readable case file");
        for (n, line) in content.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let at = format!("{}:{}", file.display(), n + 1);
            let cols: Vec<&str> = line.split('\t').collect();
            let [m, input, expected] = cols[..] else {
                panic!("{at}: expected MODE<TAB>INPUT<TAB>EXPECTED, got {line:?}");
            };
            assert!(
                [
                    "extract",
                    "canonical",
                    "value",
                    "same",
                    "differ",
                    "compare",
                    "compare-cell"
                ]
                .contains(&m),
                "{at}: unknown mode {m:?}"
            );
            if m == mode {
                out.push(Case {
                    at,
                    mode: m.to_owned(),
                    input: input.to_owned(),
                    expected: expected.to_owned(),
                });
            }
        }
    }
    out
}

fn show_value(v: &Value) -> String {
    match v {
        Value::Text { text } => format!("text:{text}"),
        other => other.to_string(),
    }
}

fn show_all(qs: &[Quantity]) -> String {
    if qs.is_empty() {
        return "(none)".to_owned();
    }
    qs.iter()
        .map(Quantity::to_string)
        .collect::<Vec<_>>()
        .join(" | ")
}

/// Runs every case of `mode`, collecting all failures into one report.
fn run(mode: &str, check: impl Fn(&Case) -> Option<String>) {
    let cases = cases(mode);
    assert!(!cases.is_empty(), "no {mode} cases");
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| check(c).map(|why| format!("{} [{}] {:?}: {why}", c.at, c.mode, c.input)))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} {mode} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// How two lists of quantities compare, in the words of the `compare` modes.
fn outcome(a: &[Quantity], b: &[Quantity]) -> String {
    if a.len() != b.len() {
        return format!("count {} → {}", a.len(), b.len());
    }
    if let Some((x, y)) = dimension_change(a, b) {
        return format!("unit {x} → {y}");
    }
    match largest_move(a, b) {
        Some((x, y, _)) => format!("{x} → {y} ({})", x.percent_move(y)),
        None => "same".to_owned(),
    }
}

fn old_new(c: &Case) -> (&str, &str) {
    c.input
        .split_once(" → ")
        .unwrap_or_else(|| panic!("{}: expected OLD → NEW, got {:?}", c.at, c.input))
}

#[test]
fn compare_cases() {
    run("compare", |c| {
        let (old, new) = old_new(c);
        let got = outcome(&extract_quantities(old), &extract_quantities(new));
        (got != c.expected).then(|| format!("expected {:?}, got {got:?}", c.expected))
    });
}

#[test]
fn compare_cell_cases() {
    run("compare-cell", |c| {
        let (old, new) = old_new(c);
        let got = match (parse_value(old), parse_value(new)) {
            (Value::Numbers { numbers: a }, Value::Numbers { numbers: b }) => outcome(&a, &b),
            _ => "text".to_owned(),
        };
        (got != c.expected).then(|| format!("expected {:?}, got {got:?}", c.expected))
    });
}

#[test]
fn extract_cases() {
    run("extract", |c| {
        let got = show_all(&extract_quantities(&c.input));
        (got != c.expected).then(|| format!("expected {:?}, got {got:?}", c.expected))
    });
}

#[test]
fn canonical_cases() {
    run("canonical", |c| {
        let got = show_all(&read_canonical(&c.input));
        (got != c.expected).then(|| format!("expected {:?}, got {got:?}", c.expected))
    });
}

#[test]
fn value_cases() {
    run("value", |c| {
        let got = show_value(&parse_value(&c.input));
        (got != c.expected).then(|| format!("expected {:?}, got {got:?}", c.expected))
    });
}

#[test]
fn same_cases() {
    run("same", |c| {
        let (a, b) = (parse_value(&c.input), parse_value(&c.expected));
        if a != b {
            return Some(format!(
                "parse_value differs from {:?}: {a:?} vs {b:?}",
                c.expected
            ));
        }
        let (a, b) = (
            extract_quantities(&c.input),
            extract_quantities(&c.expected),
        );
        (a != b).then(|| format!("extract differs from {:?}: {a:?} vs {b:?}", c.expected))
    });
}

#[test]
fn differ_cases() {
    run("differ", |c| {
        let (a, b) = (parse_value(&c.input), parse_value(&c.expected));
        (a == b).then(|| format!("expected to differ from {:?}, both {a:?}", c.expected))
    });
}

#[test]
fn every_extracted_quantity_round_trips_through_display() {
    run("extract", |c| {
        extract_quantities(&c.input).into_iter().find_map(|q| {
            let shown = q.to_string();
            let back = parse_value(&shown);
            (back
                != Value::Numbers {
                    numbers: vec![q.clone()],
                })
            .then(|| format!("{q:?} shows as {shown:?}, parses back as {back:?}"))
        })
    });
}
