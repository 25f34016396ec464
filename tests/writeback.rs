//! The managed blocks against pages full of look-alikes: for any page (front matter in every
//! form the loader accepts, a BOM, CRLF, marker text in prose, code spans, code blocks, HTML
//! comments and front matter), writing a block and stripping it gives back the exact bytes,
//! writing twice changes nothing, the block never lands in front matter, and text that only
//! looks like a block is never taken for one.

use std::path::Path;

use proptest::prelude::*;
use rescore::backlinks;
use rescore::config::Config;
use rescore::eval::{Cause, Status, Verdict};
use rescore::page::{self, ParseContext};
use rescore::rules::{RuleSet, Severity};
use rescore::writeback::{block, put, strip, updated, BEGIN, END};

fn verdict(n: usize) -> Verdict {
    Verdict {
        thesis: "t".into(),
        path: "theses/t.md".into(),
        line: 1,
        status: Status::Stale,
        causes: (0..n)
            .map(|i| Cause {
                rule: "evidence-down".into(),
                field: "evidence",
                severity: Severity::Major,
                node: format!("c#x{i}"),
                was: None,
                before: "strong".into(),
                after: "weak".into(),
                detail: None,
                via: vec![],
            })
            .collect(),
        waiting_on: vec![],
        ix: None,
    }
}

fn backlink_lines() -> Vec<String> {
    backlinks::block(&[("a-thesis".into(), "A thesis".into())])
}

/// The front matter a page parses with (kind, id, score), or `None` when it does not parse.
fn front(text: &str) -> Option<(String, String, Option<u64>)> {
    let config = Config::default();
    let rules = RuleSet::shipped().expect("shipped rules");
    let cx = ParseContext {
        folders: &config.folders,
        scale: &rules.scale,
    };
    let (p, _) = page::parse(Path::new("theses/t.md"), text, &cx);
    p.map(|p| {
        (
            p.kind.as_str().to_string(),
            p.id.to_string(),
            p.score().map(f64::to_bits),
        )
    })
}

fn warning_round_trip(page: &str, prefix: usize) -> Result<(), TestCaseError> {
    let v = verdict(2);
    let Some(body) = rescore::managed::body_start(page) else {
        // Front matter never closed: the page does not load, and gets no block.
        prop_assert_eq!(put(page, &block(&v)), None);
        return Ok(());
    };
    let prefix = prefix.max(body);
    let Some(with) = put(page, &block(&v)) else {
        return Err(TestCaseError::fail(format!("no block placed in {page:?}")));
    };
    // Never inside (or above) the front matter.
    prop_assert_eq!(
        &with[..prefix],
        &page[..prefix],
        "front matter moved: {:?}",
        with
    );
    prop_assert_eq!(
        front(&with),
        front(page),
        "the page parses differently: {:?}",
        with
    );
    prop_assert_eq!(
        updated(&with, Some(&v)),
        None,
        "second write changed {:?}",
        with
    );
    if strip(page) == page {
        // No block in the page to begin with: every byte comes back.
        let callouts = |t: &str| t.matches("> [!WARNING]").count();
        prop_assert_eq!(callouts(&with), callouts(page) + 1);
        prop_assert_eq!(strip(&with), page, "put gave {:?}", with);
        prop_assert_eq!(updated(&with, None), Some(page.to_string()));
        let again = put(&with, &block(&verdict(1))).expect("placed again");
        prop_assert_eq!(strip(&again), page);
    } else {
        prop_assert_eq!(strip(&with), strip(page));
    }
    Ok(())
}

fn backlinks_round_trip(page: &str, prefix: usize) -> Result<(), TestCaseError> {
    let lines = backlink_lines();
    let prefix = prefix.max(rescore::managed::body_start(page).unwrap_or(0));
    let Some(with) = backlinks::put(page, Some(&lines)) else {
        // Only a page that ends inside a code block or an open comment gets none.
        return Ok(());
    };
    prop_assert_eq!(&with[..prefix], &page[..prefix]);
    prop_assert_eq!(front(&with), front(page));
    prop_assert_eq!(
        backlinks::put(&with, Some(&lines)),
        Some(with.clone()),
        "second write changed {:?}",
        with
    );
    if backlinks::put(page, None).as_deref() == Some(page) {
        prop_assert_eq!(
            backlinks::put(&with, None),
            Some(page.to_string()),
            "{:?}",
            with
        );
    }
    Ok(())
}

/// A page from its parts: (BOM, front matter lines or none, body lines, CRLF, final line end).
/// Returns the page and the length of what precedes its body.
fn assemble(
    bom: bool,
    front: Option<(&str, &str, Vec<&str>)>,
    body: &[&str],
    crlf: bool,
    final_eol: bool,
) -> (String, usize) {
    let eol = if crlf { "\r\n" } else { "\n" };
    let mut page = String::new();
    if bom {
        page.push('\u{feff}');
    }
    if let Some((open, close, lines)) = front {
        page.push_str(open);
        page.push_str(eol);
        for l in lines {
            page.push_str(l);
            page.push_str(eol);
        }
        page.push_str(close);
        page.push_str(eol);
    }
    let prefix = page.len();
    page.push_str(&body.join(eol));
    if final_eol && !body.is_empty() {
        page.push_str(eol);
    }
    (page, prefix)
}

#[test]
fn fixed_pages_round_trip() {
    let begin = BEGIN;
    let end = END;
    let cases: Vec<String> = vec![
        String::new(),
        "\n".into(),
        "# T".into(),
        "# T\n".into(),
        "+++\nkind = \"thesis\"\n+++\n# T".into(),
        "+++\nkind = \"thesis\"\n+++".into(),
        "---\nkind: thesis\n---\n\n\n# T\n\nbody\n".into(),
        "\n\n# T\n\n\nbody".into(),
        "# T\r\n\r\nbody\r\n".into(),
        "text first\n# T\nbody\n".into(),
        "+++\r\nscore = 1\r\n+++\r\n".into(),
        // The pages of the issue: a quoted marker, a marker in a front-matter comment, a stray
        // begin marker above the title, a fenced example, YAML closed with `...`, a BOM with a
        // comment line in TOML front matter.
        format!("# T\n\nQuote `{begin}` and `{end}` here.\n"),
        format!("+++\n# {begin}\nkind = \"thesis\"\n+++\n# T\n\nbody\n"),
        format!("{begin}\n# T\n\nbody\n"),
        format!("# T\n\n```\n{begin}\n> [!WARNING]\n{end}\n```\n"),
        "---\nkind: thesis\nscore: 0.5\n...\n# T\n".into(),
        "\u{feff}+++\n# comment\nkind = \"thesis\"\n+++\n# T\n".into(),
        "\u{feff}no front matter\n".into(),
    ];
    for page in &cases {
        let prefix = rescore::managed::body_start(page).expect("closed front matter");
        warning_round_trip(page, prefix).unwrap_or_else(|e| panic!("{page:?}: {e}"));
        backlinks_round_trip(page, prefix).unwrap_or_else(|e| panic!("{page:?}: {e}"));
    }
}

#[test]
fn a_quoted_marker_is_not_a_block_and_survives_a_clean_run() {
    let page = format!("# T\n\nQuote `{BEGIN}` and `{END}` here.\n");
    assert_eq!(updated(&page, None), None);
    let page = format!("# T\n\n{BEGIN}\n# Not a callout\n{END}\n");
    assert_eq!(updated(&page, None), None);
}

fn body_line() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "# Title",
        "Title",
        "=====",
        "## Evidence",
        "- item",
        "body text",
        "",
        "> quote",
        "> [!WARNING]",
        "> - `c#x`: evidence strong → weak",
        "```",
        "~~~",
        "    indented code",
        "<!-- c -->",
        "<!-- open comment",
        "-->",
        "<div>",
        "</div>",
        BEGIN,
        END,
        "<!-- rescore:begin",
        "`<!-- rescore:begin` and `<!-- rescore:end -->` quoted",
        "- <!-- rescore:end -->",
        "    <!-- rescore:begin (managed by rescore: re-score, then `rescore accept`) -->",
        backlinks::BEGIN,
        backlinks::END,
        backlinks::HEADING,
        "- [[a-thesis]] — A thesis",
        "kind = \"thesis\"",
        "+++",
        "---",
        "...",
    ])
}

fn front_matter() -> impl Strategy<Value = Option<(&'static str, &'static str, Vec<&'static str>)>>
{
    let toml_line = prop::sample::select(vec![
        "kind = \"thesis\"",
        "score = 0.5",
        "# a comment",
        "# <!-- rescore:begin (managed by rescore: re-score, then `rescore accept`) -->",
        "# Title",
        "",
    ]);
    let yaml_line = prop::sample::select(vec![
        "kind: thesis",
        "score: 0.5",
        "# a comment",
        "# <!-- rescore:begin (managed by rescore: re-score, then `rescore accept`) -->",
        "# Title",
        "",
    ]);
    prop_oneof![
        Just(None),
        prop::collection::vec(toml_line, 0..4).prop_map(|l| Some(("+++", "+++", l))),
        prop::collection::vec(yaml_line.clone(), 0..4).prop_map(|l| Some(("---", "---", l))),
        prop::collection::vec(yaml_line, 0..4).prop_map(|l| Some(("---", "...", l))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn any_page_keeps_every_byte_outside_the_block(
        bom in any::<bool>(),
        front in front_matter(),
        body in prop::collection::vec(body_line(), 0..12),
        crlf in any::<bool>(),
        final_eol in any::<bool>(),
    ) {
        let (page, prefix) = assemble(bom, front, &body, crlf, final_eol);
        warning_round_trip(&page, prefix)?;
        backlinks_round_trip(&page, prefix)?;
    }
}
