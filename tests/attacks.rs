//! Attacks a hostile new user makes on what rescore writes and gates: each test here failed
//! on the build it was found against.

mod common;

#[test]
fn the_next_run_sweeps_temps_beside_the_lock_shards_and_concept_pages() {
    // A killed `accept` can leave a shard's temp file in rescore.lock.d/, a killed
    // `backlinks --write` one beside a concept page; the default command removes both.
    let repo = common::example_init();
    repo.write("rescore.lock.d/.rescore-Sh4rd0.tmp", "half a shard");
    repo.write("concepts/.rescore-C0ncpt.tmp", "half a page");
    repo.ok(&[], 0);
    assert!(common::temp_files(&repo.path("rescore.lock.d")).is_empty());
    assert!(common::temp_files(&repo.path("concepts")).is_empty());
}

#[test]
fn a_concept_page_that_cannot_take_its_backlinks_block_is_said_so() {
    // The page ends inside an open code fence: a block appended there would be code, so none
    // is written, and the command must not leave the user believing the backlinks are current.
    let repo = common::example();
    let page = "concepts/jepa.md";
    let mut text = common::without_backlinks(&repo.read_str(page));
    text.push_str("\n```\nan example left open\n");
    repo.write(page, &text);
    let (code, _, err) = repo.run(&["backlinks", "--write"]);
    assert_eq!(code, 0);
    assert!(
        err.contains("concepts/jepa.md: no backlinks block written"),
        "{err}"
    );
    assert_eq!(repo.read_str(page), text);
}

#[test]
fn a_refused_init_writes_nothing_and_a_done_one_says_wrote() {
    // A lock but no rescore.toml: `init` refuses, and must not have written the config first.
    let repo = common::example_init();
    std::fs::remove_file(repo.path("rescore.toml")).expect("remove");
    let before = repo.tree();
    let (code, _, err) = repo.run(&["init"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(repo.tree(), before);
    // Done for real, it reports in the past tense what it wrote.
    let out = repo.ok(&["init", "--force"], 0);
    assert!(out.contains("wrote rescore.toml\n"), "{out}");
    assert!(
        out.contains("wrote rescore.lock accepting 7 theses"),
        "{out}"
    );
}
