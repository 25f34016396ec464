//! The engine with the parse cache, on repos written to a temp folder (here, not in
//! `engine.rs`, whose own code writes no file and is held to that by a test).

use super::*;

/// A start on a warm parse cache takes the pages stored before, and what it leaves to be
/// stored while idle keeps them: a page added since, which the cache misses, shares a shard
/// with pages the start took, and that shard is written with them.
#[test]
fn a_start_stores_its_misses_beside_the_pages_it_took() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("concepts")).expect("mkdir");
    let page = |i: usize| {
        format!("+++\nkind = \"concept\"\n+++\n# C{i}\n\n- Claim {i} holds at {i}%.\n  Evidence: weak\n")
    };
    // Many more pages than shards, so every shard holds several.
    for i in 0..1000 {
        std::fs::write(root.join(format!("concepts/c{i}.md")), page(i)).expect("write");
    }
    // Opens the engine and stores what it parsed; returns the pages it took from the cache.
    let start = || {
        let (mut e, _) = Engine::open(root, true).unwrap_or_else(|_| panic!("it opens"));
        let taken = e.shelf.as_ref().map_or(0, Shelf::taken);
        // Until the watcher is idle, its misses are held with the files.
        let missed = e.files.values().filter(|f| f.missed.is_some()).count();
        assert_eq!(missed + taken, e.files.len());
        while e.shelf.is_some() {
            e.store_parsed();
        }
        taken
    };
    assert_eq!(start(), 0);
    std::fs::write(root.join("concepts/new.md"), page(1000)).expect("write");
    assert_eq!(start(), 1000);
    assert_eq!(start(), 1001);
}
