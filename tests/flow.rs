//! The flag / check / accept / why flow (issue 4), on temp copies of the example repo after
//! `rescore init`.

mod common;

use common::{example_init, TempRepo};
use serde_json::Value;

const GWM: &str = "concepts/generative-world-models.md";
const VSB_EVIDENCE: &str = "Evidence: strong ([[VideoScience-Bench]])";
const VSB_WEAK: &str = "Evidence: weak ([[VideoScience-Bench]])";
const STALE_ON_VSB: [&str; 3] = [
    "physics-wall",
    "scaling-is-not-enough",
    "world-model-agents",
];

fn drop_vsb_evidence(repo: &TempRepo) {
    repo.edit(GWM, VSB_EVIDENCE, VSB_WEAK);
}

fn verdict<'a>(doc: &'a Value, status: &str, thesis: &str) -> &'a Value {
    doc[status]
        .as_array()
        .and_then(|a| a.iter().find(|v| v["thesis"] == thesis))
        .unwrap_or_else(|| panic!("{thesis} not {status} in {doc:#}"))
}

/// The (node, rule, severity) of every cause of one stale thesis.
fn causes(doc: &Value, thesis: &str) -> Vec<(String, String, String)> {
    verdict(doc, "stale", thesis)["causes"]
        .as_array()
        .expect("causes")
        .iter()
        .map(|c| {
            (
                c["node"].as_str().expect("node").to_string(),
                c["rule"].as_str().expect("rule").to_string(),
                c["severity"].as_str().expect("severity").to_string(),
            )
        })
        .collect()
}

fn all_clean(repo: &TempRepo) {
    let doc = repo.check_json();
    for s in ["stale", "pending", "unscored"] {
        assert_eq!(common::ids(&doc, s), Vec::<String>::new(), "{s}: {doc:#}");
    }
    assert_eq!(doc["clean"], 7);
    repo.ok(&["check"], 0);
}

#[test]
fn init_leaves_everything_clean() {
    let repo = example_init();
    all_clean(&repo);
}

#[test]
fn before_init_every_thesis_is_unscored() {
    let repo = common::example();
    let doc = repo.check_json();
    assert_eq!(common::ids(&doc, "unscored").len(), 7);
    repo.ok(&["check"], 1);
}

#[test]
fn evidence_drop_flags_exactly_the_downstream_theses() {
    let repo = example_init();
    drop_vsb_evidence(&repo);
    let doc = repo.check_json();
    assert_eq!(common::ids(&doc, "stale"), STALE_ON_VSB);
    assert_eq!(common::ids(&doc, "pending"), ["latent-planning-wins"]);
    assert_eq!(common::ids(&doc, "unscored"), Vec::<String>::new());
    assert_eq!(doc["clean"], 3);
    let claim = "generative-world-models#videoscience-bench";
    for t in STALE_ON_VSB {
        assert_eq!(
            causes(&doc, t),
            [(claim.to_string(), "evidence-down".into(), "major".into())],
            "{t}"
        );
    }
    // Each cause says which way it came: via the claim, the whole concept, the parent concept.
    let via = |t: &str| verdict(&doc, "stale", t)["causes"][0]["via"].clone();
    assert_eq!(
        via("physics-wall"),
        serde_json::json!([claim, "physics-wall"])
    );
    assert_eq!(
        via("scaling-is-not-enough"),
        serde_json::json!([claim, "generative-world-models", "scaling-is-not-enough"])
    );
    assert_eq!(
        via("world-model-agents"),
        serde_json::json!([
            claim,
            "generative-world-models",
            "world-models",
            "world-model-agents"
        ])
    );
    let pending = verdict(&doc, "pending", "latent-planning-wins");
    assert_eq!(pending["waiting_on"], serde_json::json!(["physics-wall"]));
    repo.ok(&["check"], 1);
}

#[test]
fn a_forty_percent_value_move_flags() {
    let repo = example_init();
    repo.edit(GWM, "only ~64% (Sora-2)", "only ~38% (Sora-2)");
    let doc = repo.check_json();
    assert_eq!(common::ids(&doc, "stale"), STALE_ON_VSB);
    assert_eq!(
        causes(&doc, "physics-wall"),
        [(
            "generative-world-models#videoscience-bench".to_string(),
            "value-shift".into(),
            "major".into()
        )]
    );
    let c = &verdict(&doc, "stale", "physics-wall")["causes"][0];
    assert_eq!(
        (c["before"].as_str(), c["after"].as_str()),
        (Some("~64%"), Some("~38%"))
    );
}

#[test]
fn a_one_percent_value_move_does_not_flag() {
    let repo = example_init();
    repo.edit(GWM, "only ~64% (Sora-2)", "only ~64.5% (Sora-2)");
    all_clean(&repo);
}

#[test]
fn slow_drift_trips_the_threshold_against_the_baseline() {
    // Each step is under 10%, but the baseline is what the thesis was scored against.
    let repo = example_init();
    repo.edit(GWM, "only ~64% (Sora-2)", "only ~60% (Sora-2)");
    all_clean(&repo);
    repo.edit(GWM, "only ~60% (Sora-2)", "only ~56% (Sora-2)");
    let doc = repo.check_json();
    assert_eq!(common::ids(&doc, "stale"), STALE_ON_VSB);
}

#[test]
fn a_text_value_change_flags_only_theses_on_that_row_or_its_concept() {
    let repo = example_init();
    repo.edit(GWM, "| \"a few minutes\" |", "| \"about an hour\" |");
    let doc = repo.check_json();
    // realtime-sim-ready cites the row; scaling-is-not-enough the concept; world-model-agents
    // the parent concept.
    assert_eq!(
        common::ids(&doc, "stale"),
        [
            "realtime-sim-ready",
            "scaling-is-not-enough",
            "world-model-agents"
        ]
    );
    // physics-wall only waits on scaling-is-not-enough's re-score; nothing it cites changed.
    assert_eq!(
        common::ids(&doc, "pending"),
        ["latent-planning-wins", "physics-wall"]
    );
    let row = "generative-world-models#consistency-horizon@genie-3";
    for t in [
        "realtime-sim-ready",
        "scaling-is-not-enough",
        "world-model-agents",
    ] {
        assert_eq!(
            causes(&doc, t),
            [(row.to_string(), "text-value".into(), "minor".into())],
            "{t}"
        );
    }
}

#[test]
fn a_retracted_source_flags_through_its_claims() {
    let repo = example_init();
    repo.edit(
        "sources/videoscience-bench.md",
        "kind = \"source\"\n",
        "kind = \"source\"\nretracted = true\n",
    );
    let doc = repo.check_json();
    assert_eq!(common::ids(&doc, "stale"), STALE_ON_VSB);
    assert_eq!(common::ids(&doc, "pending"), ["latent-planning-wins"]);
    for t in STALE_ON_VSB {
        assert_eq!(
            causes(&doc, t),
            [(
                "videoscience-bench".to_string(),
                "source-retracted".into(),
                "critical".into()
            )],
            "{t}"
        );
        let via = verdict(&doc, "stale", t)["causes"][0]["via"].clone();
        assert_eq!(via[0], "videoscience-bench");
        assert_eq!(via[1], "generative-world-models#videoscience-bench", "{t}");
    }
}

/// Drops the evidence, then re-scores physics-wall by `delta` and accepts the three stale theses.
fn rescore_physics_wall(delta: &str) -> TempRepo {
    let repo = example_init();
    drop_vsb_evidence(&repo);
    repo.edit(
        "theses/physics-wall.md",
        "score = 0.62",
        &format!("score = {delta}"),
    );
    let out = repo.ok(
        &[
            "accept",
            "physics-wall",
            "scaling-is-not-enough",
            "world-model-agents",
        ],
        0,
    );
    assert!(out.contains("accepted physics-wall"), "{out}");
    repo
}

#[test]
fn a_small_rescore_upstream_settles_the_thesis_that_builds_on_it() {
    let repo = rescore_physics_wall("0.67");
    all_clean(&repo);
}

#[test]
fn a_large_rescore_upstream_flags_the_thesis_that_builds_on_it() {
    let repo = rescore_physics_wall("0.82");
    let doc = repo.check_json();
    assert_eq!(common::ids(&doc, "stale"), ["latent-planning-wins"]);
    assert_eq!(
        causes(&doc, "latent-planning-wins"),
        [(
            "physics-wall".to_string(),
            "score-shift".into(),
            "major".into()
        )]
    );
    let c = &verdict(&doc, "stale", "latent-planning-wins")["causes"][0];
    assert_eq!(c["before"], "0.62");
    assert_eq!(c["after"], "0.82");
}

#[test]
fn dry_run_writes_nothing() {
    let repo = example_init();
    drop_vsb_evidence(&repo);
    let before = repo.tree();
    let out = repo.ok(&["--dry-run"], 0);
    assert!(out.contains("would write theses/physics-wall.md"), "{out}");
    assert!(!out.contains("\nwrote "), "{out}");
    repo.ok(&["--dry-run", "--exit-code"], 1);
    repo.ok(&["--dry-run", "--format", "json"], 0);
    assert!(repo.tree() == before, "--dry-run changed the tree");
}

#[test]
fn check_writes_nothing_but_its_own_cache() {
    let repo = example_init();
    drop_vsb_evidence(&repo);
    let before = repo.tree();
    repo.ok(&["check"], 1);
    repo.ok(&["check", "--format", "github"], 1);
    let mut after = repo.tree();
    after.retain(|p, _| !p.starts_with(".rescore"));
    assert!(after == before, "check changed the tree");
}

const BEGIN: &str = "<!-- rescore:begin";
const END: &str = "<!-- rescore:end -->";

/// The page with the managed block (and the blank line that separates it) cut out.
fn without_block(page: &str) -> String {
    let b = page.find(BEGIN).expect("a begin marker");
    let e = page.find(END).expect("an end marker") + END.len();
    assert!(b < e);
    assert_eq!(&page[e..e + 1], "\n", "end marker ends its line");
    assert_eq!(&page[b - 2..b], "\n\n", "a blank line before the block");
    format!("{}{}", &page[..b - 1], &page[e + 1..])
}

#[test]
fn flag_writes_the_block_idempotently_and_accept_removes_it() {
    let repo = example_init();
    drop_vsb_evidence(&repo);
    let before = repo.tree();
    let out = repo.ok(&[], 0);
    for t in STALE_ON_VSB {
        assert!(out.contains(&format!("wrote theses/{t}.md")), "{out}");
    }
    let after = repo.tree();
    for (path, old) in &before {
        let new = &after[path];
        let stale_page = STALE_ON_VSB
            .iter()
            .any(|t| path.to_str() == Some(&format!("theses/{t}.md")));
        if !stale_page {
            assert!(old == new, "{} changed", path.display());
            continue;
        }
        let (old, new) = (
            String::from_utf8(old.clone()).expect("utf-8"),
            String::from_utf8(new.clone()).expect("utf-8"),
        );
        assert!(new.contains("> [!WARNING]"), "{new}");
        assert!(
            new.contains("generative-world-models#videoscience-bench"),
            "the block names the cause:\n{new}"
        );
        assert_eq!(new.matches(BEGIN).count(), 1);
        // Right under the title, and every byte outside the block as it was.
        let title_end = old.find("\n# ").expect("title") + 1;
        let title_end = title_end + old[title_end..].find('\n').expect("eol") + 1;
        assert!(
            new[title_end..].starts_with("\n<!-- rescore:begin"),
            "{new}"
        );
        assert_eq!(without_block(&new), old);
    }
    // Second run: nothing to write.
    let out = repo.ok(&[], 0);
    assert!(!out.contains("wrote "), "{out}");
    assert!(repo.tree() == after, "second run changed the tree");
    // Accept restores the original pages byte for byte.
    repo.ok(&["accept", "--all"], 0);
    let accepted = repo.tree();
    for (path, old) in &before {
        if path.starts_with("rescore.lock") || path.starts_with("rescore.lock.d") {
            continue;
        }
        assert!(
            accepted[path] == *old,
            "{} differs after accept:\n{}",
            path.display(),
            String::from_utf8_lossy(&accepted[path])
        );
    }
    all_clean(&repo);
}

#[test]
fn the_block_keeps_crlf_line_endings() {
    let repo = example_init();
    let page = "theses/physics-wall.md";
    let crlf = repo.read_str(page).replace('\n', "\r\n");
    repo.write(page, &crlf);
    drop_vsb_evidence(&repo);
    repo.ok(&[], 0);
    let new = repo.read_str(page);
    assert!(new.contains("[!WARNING]"));
    assert!(
        !new.replace("\r\n", "").contains('\n'),
        "a bare LF in:\n{new:?}"
    );
    repo.ok(&["accept", "--all"], 0);
    assert_eq!(repo.read_str(page), crlf);
}

#[test]
fn accept_refuses_a_clean_thesis_without_force() {
    let repo = example_init();
    let lock = repo.read("rescore.lock");
    let (code, _, err) = repo.run(&["accept", "genie-platform"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not stale"), "{err}");
    assert_eq!(repo.read("rescore.lock"), lock);
    // A pending thesis is refused too: its upstream must be re-scored first.
    drop_vsb_evidence(&repo);
    let (code, _, err) = repo.run(&["accept", "latent-planning-wins"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("physics-wall"), "{err}");
    assert_eq!(repo.read("rescore.lock"), lock);
    // An unknown thesis is a usage error with a suggestion.
    let (code, _, err) = repo.run(&["accept", "physics-wal"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `physics-wall`"), "{err}");
    // --force records it anyway.
    repo.ok(&["accept", "genie-platform", "--force"], 0);
}

#[test]
fn accept_moves_only_the_accepted_thesis_lines() {
    let repo = example_init();
    repo.edit("theses/genie-platform.md", "score = 0.45", "score = 0.5");
    repo.edit(
        "sources/genie-3.md",
        "kind = \"source\"\n",
        "kind = \"source\"\nsuperseded_by = \"gaia-2\"\n",
    );
    let old = repo.read_str("rescore.lock");
    repo.ok(&["accept", "genie-platform"], 0);
    let new = repo.read_str("rescore.lock");
    // Only the accepted thesis's line changed; every other line is untouched.
    let changed: Vec<(&str, &str)> = old
        .lines()
        .zip(new.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(changed.len(), 1, "{new}");
    assert!(
        changed[0]
            .1
            .starts_with("genie-platform = { score = 0.5, was = "),
        "{new}"
    );
    assert_eq!(old.lines().count(), new.lines().count());
    // The other theses the supersession reached are still stale.
    assert!(repo
        .ids("stale")
        .contains(&"hybrid-world-models".to_string()));
}

#[test]
fn corrupt_lock_is_refused_and_left_alone() {
    let repo = example_init();
    repo.write("rescore.lock", "this is {{ not toml\n\u{1}");
    let garbage = repo.read("rescore.lock");
    for args in [
        &["check"][..],
        &[][..],
        &["accept", "--all"][..],
        &["why", "physics-wall"][..],
    ] {
        let (code, _, err) = repo.run(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("rescore.lock"), "{args:?}: {err}");
        assert_eq!(
            repo.read("rescore.lock"),
            garbage,
            "{args:?} touched the lock"
        );
    }
}

#[test]
fn a_baseline_entry_missing_from_the_lock_asks_for_a_rescore() {
    let repo = example_init();
    // Point one baseline at an entry the lock does not hold, as a merge can leave it.
    let text = repo.read_str("rescore.lock");
    let at = text.find("physics-wall = {").expect("line");
    let q = at + text[at..].find("videoscience-bench\" = \"").expect("dep") + 23;
    let mut broken = text.clone();
    broken.replace_range(q..q + 11, "AAAAAAAAAAA");
    assert_ne!(broken, text);
    repo.write("rescore.lock", &broken);
    let (code, out, err) = repo.run(&["check"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains("missing from the lock") && out.contains("re-score"),
        "{out}"
    );
    repo.ok(&["accept", "physics-wall"], 0);
    assert!(!repo.read_str("rescore.lock").contains("deadbeefdeadbeef"));
    assert_eq!(repo.ids("stale"), Vec::<String>::new());
}

/// A thesis's verdict reads back the lock entry of a thesis it builds on only when that thesis
/// moved, as for any other dependency: a damaged entry of one that did not is not read, and is
/// reported once it is needed.
#[test]
fn an_upstream_thesis_entry_is_read_back_only_once_that_thesis_moved() {
    let repo = example_init();
    let shards = std::fs::read_dir(repo.path("rescore.lock.d")).expect("shards");
    let needle = " thesis physics-wall 0.62";
    let (shard, text) = shards
        .flatten()
        .map(|e| {
            let rel = format!("rescore.lock.d/{}", e.file_name().to_string_lossy());
            let text = repo.read_str(&rel);
            (rel, text)
        })
        .find(|(_, text)| text.contains(needle))
        .expect("physics-wall's entry");
    repo.write(&shard, text.replace(needle, " thesis physics-wall oops"));
    let (code, out, err) = repo.run(&["check"]);
    assert_eq!(code, 0, "{out}{err}");

    repo.edit("theses/physics-wall.md", "score = 0.62", "score = 0.82");
    let (code, _, err) = repo.run(&["check"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("lock-corrupt") && err.contains(&shard) && err.contains("does not parse"),
        "{err}"
    );
}

#[test]
fn why_physics_wall() {
    let repo = example_init();
    drop_vsb_evidence(&repo);
    let out = repo.ok(&["why", "physics-wall"], 0);
    insta::assert_snapshot!("why_physics_wall", out);
    let pending = repo.ok(&["why", "latent-planning-wins"], 0);
    assert!(
        pending.contains("latent-planning-wins is pending"),
        "{pending}"
    );
    assert!(
        pending.contains(&out),
        "pending explains its upstream:\n{pending}"
    );
}

#[test]
fn check_reports_in_every_format() {
    let repo = example_init();
    drop_vsb_evidence(&repo);
    let json = repo.ok(&["check", "--format", "json"], 1);
    insta::assert_snapshot!("check_json", json);
    let github = repo.ok(&["check", "--format", "github"], 1);
    for line in github.lines() {
        assert!(line.starts_with("::error file=theses/"), "{line}");
    }
    insta::assert_snapshot!("check_github", github);
    let human = repo.ok(&["check"], 1);
    insta::assert_snapshot!("check_human", human);
}

#[test]
fn a_reworded_claim_is_matched_to_its_old_self() {
    let repo = example_init();
    repo.edit(
        GWM,
        "Autonomous driving is the commercial proving ground — every major AV company runs generative",
        "Simulation for self-driving cars is where money is made — all large AV firms use generative",
    );
    let doc = repo.check_json();
    assert_eq!(
        common::ids(&doc, "stale"),
        ["scaling-is-not-enough", "world-model-agents"]
    );
    let c = &verdict(&doc, "stale", "scaling-is-not-enough")["causes"];
    let causes = c.as_array().expect("causes");
    let rules: Vec<&str> = causes.iter().filter_map(|x| x["rule"].as_str()).collect();
    assert_eq!(
        rules,
        ["meaning-changed", "wording-changed"],
        "reworded, not removed + added: {c:#}"
    );
    for cause in causes {
        assert_eq!(
            cause["was"],
            "generative-world-models#autonomous-driving-is-the-commercial-proving"
        );
    }
    assert_eq!(c[0]["detail"], "quantifier");
}

#[test]
fn removed_and_added_claims_flag_whole_concept_citers_only() {
    let repo = example_init();
    let text = repo.read_str(GWM);
    let start = text.find("- Wayve GAIA-2").expect("claim");
    let end = text
        .find("Evidence: strong ([[GAIA-2]])\n")
        .expect("evidence")
        + 30;
    repo.write(GWM, format!("{}{}", &text[..start], &text[end..]));
    let doc = repo.check_json();
    assert_eq!(
        common::ids(&doc, "stale"),
        ["scaling-is-not-enough", "world-model-agents"]
    );
    assert_eq!(
        causes(&doc, "scaling-is-not-enough"),
        [(
            "generative-world-models#wayve-gaia-2-commercial-proof-concurrent".to_string(),
            "claim-removed".into(),
            "major".into()
        )]
    );

    let repo = example_init();
    repo.edit(
        GWM,
        "## Key Claims\n",
        "## Key Claims\n\n- A brand new claim about 42 robots.\n  Evidence: weak ([[Genie 3]])\n",
    );
    let doc = repo.check_json();
    // hybrid-world-models and physics-wall cite single claims of this concept: not reached.
    assert_eq!(
        common::ids(&doc, "stale"),
        ["scaling-is-not-enough", "world-model-agents"]
    );
    assert_eq!(causes(&doc, "world-model-agents")[0].1, "claim-added");
}

#[test]
fn status_change_and_supersession() {
    let repo = example_init();
    repo.edit(GWM, "status = \"active-frontier\"", "status = \"settled\"");
    let doc = repo.check_json();
    assert_eq!(
        common::ids(&doc, "stale"),
        ["scaling-is-not-enough", "world-model-agents"]
    );
    assert_eq!(causes(&doc, "scaling-is-not-enough")[0].1, "status-change");

    let repo = example_init();
    repo.edit(
        "sources/genie-3.md",
        "kind = \"source\"\n",
        "kind = \"source\"\nsuperseded_by = \"gaia-2\"\n",
    );
    let doc = repo.check_json();
    assert_eq!(
        common::ids(&doc, "stale"),
        [
            "genie-platform",
            "hybrid-world-models",
            "realtime-sim-ready",
            "scaling-is-not-enough",
            "world-model-agents"
        ]
    );
    for t in common::ids(&doc, "stale") {
        let c = causes(&doc, &t);
        assert!(
            c.iter()
                .all(|(n, r, s)| n == "genie-3" && r == "source-superseded" && s == "critical"),
            "{t}: {c:?}"
        );
    }
}

#[test]
fn a_new_link_from_a_thesis_is_a_new_dependency() {
    let repo = example_init();
    repo.edit(
        "theses/genie-platform.md",
        "[[Genie 3]]\n",
        "[[Genie 3]]\n- Plus the JEPA camp's planner: [[jepa#vjepa2-ac-planning]]\n",
    );
    let doc = repo.check_json();
    assert_eq!(common::ids(&doc, "stale"), ["genie-platform"]);
    assert_eq!(
        causes(&doc, "genie-platform"),
        [(
            "jepa#vjepa2-ac-planning".to_string(),
            "dependency-added".into(),
            "minor".into()
        )]
    );
    // Dropping a link is the thesis's own edit: not material.
    let repo = example_init();
    repo.edit(
        "theses/physics-wall.md",
        "- Violations grow with scene complexity: [[Generative World Models#phyworldbench]]\n",
        "",
    );
    all_clean(&repo);
}

#[test]
fn flag_at_major_ignores_minor_changes() {
    let repo = example_init();
    repo.write("rescore.toml", "[rules]\nflag_at = \"major\"\n");
    repo.edit(GWM, "| \"a few minutes\" |", "| \"about an hour\" |");
    all_clean(&repo);
    repo.edit(GWM, "| Parameters | 11B |", "| Parameters | 30B |");
    assert_eq!(
        repo.ids("stale"),
        [
            "realtime-sim-ready",
            "scaling-is-not-enough",
            "world-model-agents"
        ]
    );
}

#[test]
fn a_threshold_override_moves_the_line() {
    let repo = example_init();
    repo.write("rescore.toml", "[rules.threshold]\nvalue-shift = 0.5\n");
    repo.edit(GWM, "only ~64% (Sora-2)", "only ~38% (Sora-2)");
    all_clean(&repo);
}

#[test]
fn init_refuses_to_overwrite_a_lock_without_force() {
    let repo = example_init();
    drop_vsb_evidence(&repo);
    let lock = repo.read("rescore.lock");
    let (code, _, err) = repo.run(&["init"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(repo.read("rescore.lock"), lock);
    repo.ok(&["init", "--force"], 0);
    assert_ne!(repo.read("rescore.lock"), lock);
    all_clean(&repo);
}

#[test]
fn the_lock_is_deterministic() {
    let a = example_init();
    let b = example_init();
    assert_eq!(a.read("rescore.lock"), b.read("rescore.lock"));
    // Accepting nothing new rewrites nothing.
    let before = a.read("rescore.lock");
    a.ok(&["accept", "--all"], 0);
    assert_eq!(a.read("rescore.lock"), before);
}

#[test]
fn a_page_ending_in_its_title_without_a_newline_is_restored_exactly() {
    let repo = common::example();
    let page = "theses/world-model-agents.md";
    let text = "+++\nkind = \"thesis\"\nscore = 0.7\ndepends_on = [\"world-models\"]\n+++\n# Every frontier lab ships a world-model-based agent by 2027";
    repo.write(page, text);
    repo.ok(&["init"], 0);
    drop_vsb_evidence(&repo);
    repo.ok(&[], 0);
    let flagged = repo.read_str(page);
    assert!(flagged.contains("[!WARNING]"), "{flagged}");
    assert!(flagged.starts_with(text), "{flagged}");
    repo.ok(&[], 0);
    assert_eq!(repo.read_str(page), flagged, "not idempotent");
    repo.ok(&["accept", "--all"], 0);
    assert_eq!(repo.read_str(page), text);
}

/// The example's README table: which edits flag which theses.
#[test]
fn the_example_readme_table_holds() {
    let retract = |source: &str| {
        let repo = example_init();
        let page = format!("sources/{source}.md");
        // TOML or YAML front matter.
        if repo.read_str(&page).starts_with("---") {
            repo.edit(&page, "kind: source\n", "kind: source\nretracted: true\n");
        } else {
            repo.edit(
                &page,
                "kind = \"source\"\n",
                "kind = \"source\"\nretracted = true\n",
            );
        }
        repo
    };
    // structvla is cited by a bullet without `Evidence:`: nothing rests on it.
    all_clean(&retract("structvla"));
    assert_eq!(
        retract("genie-3").ids("stale"),
        [
            "genie-platform",
            "hybrid-world-models",
            "realtime-sim-ready",
            "scaling-is-not-enough",
            "world-model-agents"
        ]
    );
    // jepa's planning claim: its direct citer, the thesis with depends_on = ["jepa"], and the
    // parent concept's citer.
    let repo = example_init();
    repo.edit(
        "concepts/jepa.md",
        "Evidence: moderate (two labs",
        "Evidence: weak (two labs",
    );
    let doc = repo.check_json();
    assert_eq!(
        common::ids(&doc, "stale"),
        [
            "hybrid-world-models",
            "latent-planning-wins",
            "world-model-agents"
        ]
    );
    assert_eq!(common::ids(&doc, "pending"), Vec::<String>::new());
    // An upstream thesis's own score: only the thesis that builds on it.
    let repo = example_init();
    repo.edit("theses/physics-wall.md", "score = 0.62", "score = 0.4");
    let doc = repo.check_json();
    assert_eq!(common::ids(&doc, "stale"), ["latent-planning-wins"]);
    assert_eq!(
        causes(&doc, "latent-planning-wins"),
        [(
            "physics-wall".to_string(),
            "score-shift".into(),
            "major".into()
        )]
    );
    // The ignored note is no input at all.
    let repo = example_init();
    repo.write("notes/reading-list.md", "# Anything\n\n- [[nowhere]]\n");
    all_clean(&repo);
}

#[test]
fn unlinking_a_sub_concept_flags_the_theses_of_its_parent() {
    let repo = example_init();
    repo.edit("concepts/jepa.md", "part_of = [\"world-models\"]\n", "");
    let doc = repo.check_json();
    // world-model-agents cites world-models, which no longer holds jepa; hybrid-world-models
    // cites jepa itself and is untouched.
    assert_eq!(common::ids(&doc, "stale"), ["world-model-agents"]);
    assert_eq!(
        causes(&doc, "world-model-agents"),
        [("jepa".to_string(), "claim-removed".into(), "major".into())]
    );
    let via = verdict(&doc, "stale", "world-model-agents")["causes"][0]["via"].clone();
    assert_eq!(
        via,
        serde_json::json!(["jepa", "world-models", "world-model-agents"])
    );
}
