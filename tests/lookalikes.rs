//! Marker look-alikes through the real binary: random thesis and concept pages whose prose,
//! code spans, code blocks, HTML comments and front matter (TOML, YAML closed with `---` or
//! `...`, a BOM, CRLF, comment lines) quote rescore's markers keep every byte outside the block
//! through the default command's write, `accept` and `backlinks --write`, and a second run
//! changes nothing.

mod common;

use proptest::prelude::*;
use rescore::writeback::{strip, BEGIN, END};

const CONCEPT: &str = "concepts/c.md";
const THESIS: &str = "theses/t.md";

/// Lines that open nothing that runs on (no fence, no open comment or HTML block).
fn closed_line() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "plain prose".to_string(),
        String::new(),
        format!("Quote `{BEGIN}` and `{END}` inline."),
        format!("`{}`", rescore::backlinks::BEGIN),
        format!("    {BEGIN}"),
        "<!-- c -->".into(),
        BEGIN.into(),
        END.into(),
        "> - quoted".into(),
        rescore::backlinks::BEGIN.into(),
        rescore::backlinks::END.into(),
        "- a list item".into(),
        "# Another title".into(),
    ])
}

/// Any line, including ones that open a code block, a comment or an HTML block.
fn junk_line() -> impl Strategy<Value = String> {
    prop_oneof![
        closed_line(),
        prop::sample::select(vec![
            "```".to_string(),
            "~~~".into(),
            "<!-- a comment".into(),
            "-->".into(),
            "<div>".into(),
            "</div>".into(),
        ]),
    ]
}

/// Front matter for `kind`, as (opening, lines, closing).
fn front_matter(kind: &'static str) -> impl Strategy<Value = (String, Vec<String>, String)> {
    let comment = prop::sample::select(vec![
        None,
        Some("# a comment".to_string()),
        Some(format!("# {BEGIN}")),
        Some("# Title in a comment".to_string()),
    ]);
    (0..3usize, comment).prop_map(move |(form, comment)| {
        let (open, close, mut lines) = match form {
            0 => ("+++", "+++", vec![format!("kind = \"{kind}\"")]),
            1 => ("---", "---", vec![format!("kind: {kind}")]),
            _ => ("---", "...", vec![format!("kind: {kind}")]),
        };
        if kind == "thesis" {
            lines.push(
                if open == "+++" {
                    "score = 0.5"
                } else {
                    "score: 0.5"
                }
                .into(),
            );
        }
        lines.extend(comment);
        (open.to_string(), lines, close.to_string())
    })
}

#[derive(Debug, Clone)]
struct Shape {
    bom: bool,
    crlf: bool,
    front: (String, Vec<String>, String),
    before: Vec<String>,
    after: Vec<String>,
}

fn shape(kind: &'static str) -> impl Strategy<Value = Shape> {
    (
        any::<bool>(),
        any::<bool>(),
        front_matter(kind),
        prop::collection::vec(closed_line(), 0..4),
        prop::collection::vec(junk_line(), 0..6),
    )
        .prop_map(|(bom, crlf, front, before, after)| Shape {
            bom,
            crlf,
            front,
            before,
            after,
        })
}

/// A page: BOM, front matter, junk that leaves the page's own lines readable, the page's own
/// lines, then any junk.
fn page(s: &Shape, own: &[&str]) -> String {
    let eol = if s.crlf { "\r\n" } else { "\n" };
    let mut lines: Vec<String> = vec![s.front.0.clone()];
    lines.extend(s.front.1.iter().cloned());
    lines.push(s.front.2.clone());
    lines.extend(s.before.iter().cloned());
    lines.push(String::new());
    lines.extend(own.iter().map(|l| l.to_string()));
    lines.extend(s.after.iter().cloned());
    let mut text = lines.join(eol);
    text.push_str(eol);
    if s.bom {
        text.insert(0, '\u{feff}');
    }
    text
}

fn front_end(text: &str) -> usize {
    rescore::managed::body_start(text).expect("closed front matter")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn every_byte_outside_the_block_survives_every_write(
        thesis in shape("thesis"),
        concept in shape("concept"),
    ) {
        let c0 = page(&concept, &[
            "# C",
            "",
            "## Key Claims",
            "",
            "- The model has 11B parameters. {#size}",
            "  Evidence: strong ([[S]])",
            "",
        ]);
        let t0 = page(&thesis, &["# T", "", "## Evidence", "", "- [[c#size]]", ""]);
        let repo = common::tiny(&[
            ("sources/s.md", "+++\nkind = \"source\"\n+++\n# S\n"),
            (CONCEPT, &c0),
            (THESIS, &t0),
        ]);
        repo.ok(&["init"], 0);
        repo.edit(CONCEPT, "11B parameters", "20B parameters");
        prop_assert_eq!(repo.ids("stale"), ["t"]);

        // The default command writes the block: nothing else moves, front matter first.
        repo.ok(&[], 0);
        let t1 = repo.read_str(THESIS);
        prop_assert!(t1.contains("> [!WARNING]"), "{:?}", t1);
        prop_assert_eq!(strip(&t1), t0.clone(), "{:?}", t1);
        prop_assert_eq!(&t1[..front_end(&t0)], &t0[..front_end(&t0)]);
        repo.ok(&[], 0);
        prop_assert_eq!(repo.read_str(THESIS), t1.clone(), "a second run changed the page");

        // Accepting clears it: the page is what the user wrote, byte for byte.
        repo.ok(&["accept", "t"], 0);
        prop_assert_eq!(repo.read_str(THESIS), t0.clone());
        repo.ok(&["check"], 0);

        // The backlinks block is appended, once.
        let c1 = repo.read_str(CONCEPT);
        repo.ok(&["backlinks", "--write"], 0);
        let c2 = repo.read_str(CONCEPT);
        prop_assert!(c2.starts_with(&c1), "{:?}", c2);
        repo.ok(&["backlinks", "--write"], 0);
        prop_assert_eq!(repo.read_str(CONCEPT), c2.clone(), "a second backlinks run changed the page");
        repo.ok(&["check"], 0);
    }
}
