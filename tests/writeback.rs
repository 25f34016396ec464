//! The managed warning block: for any page, writing the block and stripping it gives back the
//! exact bytes, and writing it twice changes nothing.

use proptest::prelude::*;
use rescore::eval::{Cause, Status, Verdict};
use rescore::rules::Severity;
use rescore::writeback::{block, put, strip, updated};

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

fn round_trip(page: &str) -> Result<(), TestCaseError> {
    let v = verdict(2);
    let with = put(page, &block(&v));
    prop_assert!(with.contains("> [!WARNING]"));
    prop_assert_eq!(
        strip(&with),
        page,
        "strip(put(page)) != page; put gave {:?}",
        with
    );
    prop_assert_eq!(
        updated(&with, Some(&v)),
        None,
        "second write changed {:?}",
        with
    );
    let stripped = updated(&with, None);
    prop_assert_eq!(stripped.as_deref(), Some(page));
    // A different cause list replaces the block rather than adding a second one.
    let again = put(&with, &block(&verdict(1)));
    prop_assert_eq!(again.matches("<!-- rescore:begin").count(), 1);
    prop_assert_eq!(strip(&again), page);
    Ok(())
}

#[test]
fn fixed_pages_round_trip() {
    for page in [
        "",
        "\n",
        "# T",
        "# T\n",
        "+++\nkind = \"thesis\"\n+++\n# T",
        "+++\nkind = \"thesis\"\n+++",
        "---\nkind: thesis\n---\n\n\n# T\n\nbody\n",
        "\n\n# T\n\n\nbody",
        "# T\r\n\r\nbody\r\n",
        "text first\n# T\nbody\n",
        "+++\r\nscore = 1\r\n+++\r\n",
    ] {
        round_trip(page).unwrap_or_else(|e| panic!("{page:?}: {e}"));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_page_round_trips(
        parts in prop::collection::vec(
            prop::sample::select(vec![
                "+++", "---", "# Title", "#", "## Evidence", "- item", "body text", "",
                "kind = \"thesis\"", "score: 0.5", "> quote", "```", "<!-- c -->",
            ]),
            0..10,
        ),
        crlf in any::<bool>(),
        final_eol in any::<bool>(),
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut page = parts.join(eol);
        if final_eol && !page.is_empty() {
            page.push_str(eol);
        }
        round_trip(&page)?;
    }
}
