//! `rescore.lock` as text: any lock rescore can hold renders to files that parse back to the
//! same lock, deterministically, and accepting one thesis touches only its own line.

use proptest::prelude::*;
use std::hash::{Hash, Hasher};

use rescore::lock::{Entry, Lock, Snapshot, TextAt};
use rescore::trees::hex;
use rescore_graph::quantity::{Quantity, Value};
use rescore_graph::{ClaimState, MaterialState};

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9-]{1,12}",
        "[a-z]{1,6}#[a-z0-9@-]{1,12}",
        "\\PC{0,16}",
        Just("a.b".to_string()),
        Just("quote\"and\\back".to_string()),
        Just("new\nline\ttab".to_string()),
        Just(String::new()),
    ]
}

fn finite() -> impl Strategy<Value = f64> {
    prop_oneof![
        -1e12f64..1e12,
        Just(0.0),
        Just(-0.0),
        Just(0.1 + 0.2),
        Just(f64::MIN_POSITIVE),
        Just(f64::MAX),
        Just(1e-300),
    ]
}

fn quantity() -> impl Strategy<Value = Quantity> {
    (
        finite(),
        prop::option::of(finite()),
        prop::option::of(text()),
        any::<bool>(),
    )
        .prop_map(|(value, high, unit, approx)| Quantity {
            value,
            high,
            unit: unit.map(std::borrow::Cow::Owned),
            approx,
        })
}

fn state() -> impl Strategy<Value = MaterialState> {
    prop_oneof![
        (any::<bool>(), prop::option::of(text())).prop_map(|(retracted, superseded_by)| {
            MaterialState::Source {
                retracted,
                superseded_by,
            }
        }),
        (
            text(),
            prop::option::of(text()),
            prop::collection::vec(text(), 0..3),
            prop::collection::vec(quantity(), 0..3),
            text()
        )
            .prop_map(|(level, qualifier, sources, quantities, text)| {
                MaterialState::Claim(ClaimState {
                    level: level.into(),
                    qualifier: qualifier.map(Into::into),
                    sources: sources.into_iter().map(Into::into).collect(),
                    quantities: quantities.into(),
                    text: text.into(),
                })
            }),
        (
            prop_oneof![
                quantity().prop_map(Value::Quantity),
                prop::collection::vec(quantity(), 1..3)
                    .prop_map(|numbers| Value::Numbers { numbers }),
                text().prop_map(|text| Value::Text { text }),
            ],
            prop::collection::vec(text(), 0..3)
        )
            .prop_map(|(value, sources)| MaterialState::Benchmark {
                value,
                sources: sources.into_iter().map(Into::into).collect(),
            }),
        prop::option::of(text()).prop_map(|status| MaterialState::Concept { status }),
        finite().prop_map(|score| MaterialState::Thesis { score }),
    ]
}

fn lock() -> impl Strategy<Value = Lock> {
    prop::collection::vec(
        (
            text(),
            finite(),
            prop::collection::vec((text(), state()), 0..4),
        ),
        0..4,
    )
    .prop_map(|theses| {
        let mut lock = Lock::new();
        for (t, score, against) in theses {
            lock.accept(&t, score, &snapshot(against));
        }
        lock
    })
}

/// Direct dependencies with no subtrees, each entry addressed by a hash of its content.
fn snapshot(against: Vec<(String, MaterialState)>) -> Snapshot {
    let mut snap = Snapshot::default();
    for (key, state) in against {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut h);
        format!("{state:?}").hash(&mut h);
        let id = h.finish();
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
    snap
}

/// Every entry the lock's theses refer to, parsed.
fn entries(lock: &Lock) -> Vec<Entry> {
    let mut ids: Vec<String> = lock
        .thesis
        .values()
        .flat_map(|b| b.against.values().map(hex))
        .collect();
    ids.sort();
    ids.dedup();
    ids.into_iter()
        .filter_map(|id| lock.entry(&id).expect("entry parses"))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn render_parses_back_to_the_same_lock(lock in lock()) {
        let files = lock.render().map_err(|d| TestCaseError::fail(format!("{d:?}")))?;
        let back = Lock::parse(&files)
            .map_err(|d| TestCaseError::fail(format!("{d:?}\n{files:?}")))?;
        prop_assert_eq!(&back.thesis, &lock.thesis, "{:?}", files);
        prop_assert_eq!(entries(&back), entries(&lock), "{:?}", files);
        prop_assert_eq!(back.render().map_err(|d| TestCaseError::fail(format!("{d:?}")))?, files);
    }

    #[test]
    fn accepting_one_thesis_changes_only_its_line(
        lock in lock(),
        thesis in "[a-z]{1,8}",
        score in finite(),
        against in prop::collection::vec(("[a-z]{1,6}#[a-z]{1,6}", state()), 0..3),
    ) {
        let mut after = lock.clone();
        after.accept(&thesis, score, &snapshot(against));
        let render = |l: &Lock| l.render().map_err(|d| TestCaseError::fail(format!("{d:?}")));
        let (old, new) = (render(&lock)?, render(&after)?);
        // Lines of the thesis file other than this thesis's own are unchanged, in order.
        let mine = format!("{thesis} = {{");
        let outside = |text: &str| -> Vec<String> {
            text.lines()
                .filter(|l| !l.is_empty() && !l.starts_with(&mine))
                .map(str::to_string)
                .collect()
        };
        prop_assert_eq!(outside(&old.main), outside(&new.main));
        prop_assert!(new.main.lines().filter(|l| l.starts_with(&mine)).count() <= 1);
    }
}
