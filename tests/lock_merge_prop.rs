//! Property: two branches that each run a random sequence of accepts (and thesis deletions)
//! from a common lock, merged with real `git merge` (with the union attribute `rescore init`
//! writes, or without it, leaving conflict markers), read back as accepting the union: per
//! thesis the three-way result of base, ours and theirs, a thesis both sides changed
//! differently read as conflicted, and every entry the merged baselines refer to present —
//! except an entry one side pruned while the other side newly referred to it, which a line
//! merge cannot keep and which evaluation reports as lost.

#![allow(clippy::result_large_err)]

mod common;

use std::collections::BTreeSet;
use std::hash::{Hash, Hasher};
use std::path::Path;

use proptest::prelude::*;
use rescore::lock::{self, Baseline, Entry, Lock, Snapshot, TextAt};
use rescore::trees::hex;
use rescore_graph::MaterialState;

const THESES: [&str; 5] = ["t0", "t1", "t2", "t3", "t4"];
const NODES: [&str; 4] = ["n0", "n1", "n2", "n3"];

#[derive(Debug, Clone)]
enum Op {
    Accept {
        thesis: usize,
        score: u8,
        deps: Vec<(usize, u8)>,
    },
    Delete(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..THESES.len(), 0u8..3, prop::collection::vec((0..NODES.len(), 0u8..3), 1..3))
            .prop_map(|(thesis, score, deps)| Op::Accept { thesis, score, deps }),
        1 => (0..THESES.len()).prop_map(Op::Delete),
    ]
}

fn id_of(key: &str, state: &MaterialState) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    format!("{state:?}").hash(&mut h);
    h.finish()
}

fn apply(lock: &mut Lock, ops: &[Op]) {
    for op in ops {
        match op {
            Op::Accept {
                thesis,
                score,
                deps,
            } => {
                let mut snap = Snapshot::default();
                for (n, v) in deps {
                    let key = NODES[*n].to_string();
                    let state = MaterialState::Concept {
                        status: Some(format!("s{v}")),
                    };
                    let id = id_of(&key, &state);
                    snap.against.insert(key.clone(), id);
                    snap.entries.insert(
                        id,
                        Entry {
                            key,
                            state,
                            up: Vec::new(),
                            text: TextAt::Held,
                        },
                    );
                }
                lock.accept(THESES[*thesis], f64::from(*score) / 4.0, &snap);
            }
            Op::Delete(t) => lock.retain_theses(|x| x != THESES[*t]),
        }
    }
}

fn git(dir: &Path, args: &[&str]) -> bool {
    common::git_try(dir, args).0
}

fn commit(dir: &Path, ops: &[Op], message: &str) -> Lock {
    lock::update(dir, |l| {
        apply(l, ops);
        Ok(())
    })
    .expect("lock written");
    assert!(git(dir, &["add", "-A"]));
    // An empty commit is fine: a branch whose accepts changed nothing.
    assert!(git(dir, &["commit", "-q", "--allow-empty", "-m", message]));
    read(dir)
}

fn read(dir: &Path) -> Lock {
    Lock::read(dir).expect("the lock parses").expect("a lock")
}

/// The three-way result for one thesis: `Ok(baseline or none)`, or `Err` with the two
/// baselines when both sides changed it differently.
type Want = Result<Option<Baseline>, [Baseline; 2]>;

fn three_way(base: Option<&Baseline>, a: Option<&Baseline>, b: Option<&Baseline>) -> Want {
    let same = |x: Option<&Baseline>, y: Option<&Baseline>| match (x, y) {
        (Some(x), Some(y)) => x.same_as(y),
        (None, None) => true,
        _ => false,
    };
    if same(a, b) || same(b, base) {
        Ok(a.cloned())
    } else if same(a, base) {
        Ok(b.cloned())
    } else {
        match (a, b) {
            (Some(a), Some(b)) => Err([a.clone(), b.clone()]),
            // Deleted on one side, re-accepted on the other: the accept is kept.
            (x, y) => Ok(x.or(y).cloned()),
        }
    }
}

fn ids_of(lock: &Lock) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for b in lock
        .thesis
        .values()
        .chain(lock.conflicted.values().flatten())
    {
        out.extend(b.against.values().map(hex));
    }
    out.into_iter()
        .filter(|id| lock.entry(id).ok().flatten().is_some())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn a_git_merge_of_two_accept_sequences_reads_as_their_union(
        base_ops in prop::collection::vec(op(), 0..5),
        a_ops in prop::collection::vec(op(), 0..4),
        b_ops in prop::collection::vec(op(), 0..4),
        union in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        prop_assert!(git(root, &["init", "-q", "-b", "main"]));
        if union {
            lock::mark_union_merge(root).expect(".gitattributes");
        }
        let base = commit(root, &base_ops, "base");
        prop_assert!(git(root, &["checkout", "-q", "-b", "a"]));
        let a = commit(root, &a_ops, "a");
        prop_assert!(git(root, &["checkout", "-q", "-b", "b", "main"]));
        let b = commit(root, &b_ops, "b");
        prop_assert!(git(root, &["checkout", "-q", "a"]));
        let clean = git(root, &["merge", "-q", "--no-edit", "b"]);
        let merged = read(root);
        for t in THESES {
            let want = three_way(base.thesis.get(t), a.thesis.get(t), b.thesis.get(t));
            match want {
                Ok(w) => {
                    let got = merged.thesis.get(t);
                    let exact = match (&w, got) {
                        (Some(w), Some(g)) => w.same_as(g),
                        (None, None) => true,
                        _ => false,
                    };
                    // A thesis line deleted next to the other side's change can come back from
                    // the merge (a deletion leaves nothing to say it happened): as the only line
                    // when the thesis is gone, which is harmless since a baseline without its
                    // page is never evaluated and is pruned on the next write; or beside a
                    // re-accept of a new page with the same id, which then asks for one re-score.
                    let deleted = a_ops.iter().chain(&b_ops).any(|o| matches!(o, Op::Delete(d) if THESES[*d] == t));
                    let old = base.thesis.get(t);
                    let is_old = |g: &Baseline| old.is_some_and(|o| o.same_as(g));
                    let resurrected = deleted
                        && match (&w, got, merged.conflicted.get(t)) {
                            (None, Some(g), None) => is_old(g),
                            (Some(w), None, Some(c)) => {
                                c.len() == 2 && c.iter().any(|g| g.same_as(w)) && c.iter().any(is_old)
                            }
                            _ => false,
                        };
                    prop_assert!(
                        exact || resurrected,
                        "{t}: want {w:?}, got {got:?} / {:?}", merged.conflicted.get(t)
                    );
                }
                Err([x, y]) => {
                    let got = merged.conflicted.get(t).cloned().unwrap_or_default();
                    prop_assert!(got.len() == 2 && got.iter().any(|g| g.same_as(&x)) && got.iter().any(|g| g.same_as(&y)),
                        "{t}: want both {x:?} and {y:?}, got {got:?}");
                }
            }
            if union {
                prop_assert!(clean, "a union merge conflicted");
            }
        }
        // Entries: every one a merged baseline refers to is there, with the content either side
        // gave it, unless it is the one case a line merge cannot keep.
        let (in_base, in_a, in_b) = (ids_of(&base), ids_of(&a), ids_of(&b));
        let baselines = merged
            .thesis
            .iter()
            .chain(merged.conflicted.iter().flat_map(|(t, v)| v.iter().map(move |x| (t, x))));
        for (t, bl) in baselines {
            for id in bl.against.values().map(hex) {
                let id = id.as_str();
                match merged.entry(id).expect("entry parses") {
                    Some(e) => {
                        let side = a.entry(id).expect("parses").or(b.entry(id).expect("parses"));
                        prop_assert_eq!(Some(e), side);
                    }
                    None => prop_assert!(
                        in_base.contains(id) && !(in_a.contains(id) && in_b.contains(id)),
                        "{}: entry {} lost", t, id
                    ),
                }
            }
        }
    }
}
