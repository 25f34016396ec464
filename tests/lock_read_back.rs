//! A lock read from disk keeps its shards open and reads an entry's line back when evaluation
//! looks inside a changed subtree: a shard another program wrote in place since is an error in
//! the evaluation (the gate fails), never an entry read from what the file holds now.

mod common;

use rescore::eval::{self, Status};
use rescore::lock::{self, Lock};

const GWM: &str = "concepts/generative-world-models.md";

#[test]
fn a_shard_written_in_place_after_the_read_fails_the_evaluation() {
    let repo = common::example_init();
    let lock = Lock::read(repo.root()).expect("reads").expect("a lock");
    repo.edit(GWM, "only ~64% (Sora-2)", "only ~38% (Sora-2)");
    let pages = rescore::load::load(repo.root()).expect("loads");

    // As read, the moved value is found by looking inside the accepted entries.
    let read = eval::evaluate(&pages, &lock);
    assert!(read.errors.is_empty(), "{:?}", read.errors);
    assert!(read.with(Status::Stale).count() > 0);

    // Every shard rewritten in place with one more comment line: each line is where it was
    // plus that line's length.
    for i in 0..lock::SHARDS {
        let rel = lock::shard_path(i);
        let text = repo.read_str(&rel.to_string_lossy());
        let path = repo.root().join(&rel);
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .expect("open");
        std::io::Write::write_all(&mut f, format!("# edited\n{text}").as_bytes()).expect("write");
    }
    let after = eval::evaluate(&pages, &lock);
    assert!(!after.errors.is_empty());
    for d in &after.errors {
        assert_eq!(d.code, "lock-unreadable", "{d:?}");
        assert!(d.path.starts_with(lock::DIR), "{d:?}");
    }

    // Read again, the lock is what the files hold now, and evaluates as before.
    let again = Lock::read(repo.root()).expect("reads").expect("a lock");
    let fresh = eval::evaluate(&pages, &again);
    assert!(fresh.errors.is_empty(), "{:?}", fresh.errors);
    let stale = |e: &eval::Evaluation| -> Vec<String> {
        e.with(Status::Stale).map(|v| v.thesis.clone()).collect()
    };
    assert_eq!(stale(&fresh), stale(&read));
}
