//! A node's material state as `serde_json` writes it, byte for byte (tree ids hash it, and the
//! lock keeps tree ids), written by hand: most of the bytes hashed at 100k pages are claim
//! texts, and a string with nothing to escape is copied as it is instead of going through
//! `serde_json`'s escaping a byte at a time; the keys are written as they are, not escaped again
//! for every node. Numbers are still written by `serde_json`, so they are spelled as it spells
//! them.

use rescore_graph::quantity::{Quantity, Value};
use rescore_graph::{ClaimState, MaterialState};

/// Appends the JSON of `state` to `buf`: the enum's tag first, then the fields in the order
/// the variant declares them, the empty optional ones left out, as its derived `Serialize` does.
pub(super) fn write(buf: &mut Vec<u8>, state: &MaterialState) -> serde_json::Result<()> {
    match state {
        MaterialState::Claim(c) => claim(buf, c)?,
        MaterialState::Source {
            retracted,
            superseded_by,
        } => {
            buf.extend_from_slice(br#"{"kind":"source","retracted":"#);
            buf.extend_from_slice(if *retracted { b"true" } else { b"false" });
            if let Some(s) = superseded_by {
                buf.extend_from_slice(br#","superseded_by":"#);
                string(buf, s)?;
            }
        }
        MaterialState::Benchmark { value, sources } => {
            buf.extend_from_slice(br#"{"kind":"benchmark","value":"#);
            self::value(buf, value)?;
            if !sources.is_empty() {
                buf.extend_from_slice(br#","sources":"#);
                strings(buf, sources)?;
            }
        }
        MaterialState::Concept { status } => {
            buf.extend_from_slice(br#"{"kind":"concept""#);
            if let Some(s) = status {
                buf.extend_from_slice(br#","status":"#);
                string(buf, s)?;
            }
        }
        MaterialState::Thesis { score } => {
            buf.extend_from_slice(br#"{"kind":"thesis","score":"#);
            number(buf, *score)?;
        }
    }
    buf.push(b'}');
    Ok(())
}

/// A claim's fields, after the tag.
fn claim(buf: &mut Vec<u8>, c: &ClaimState) -> serde_json::Result<()> {
    buf.extend_from_slice(br#"{"kind":"claim","level":"#);
    string(buf, &c.level)?;
    if let Some(q) = &c.qualifier {
        buf.extend_from_slice(br#","qualifier":"#);
        string(buf, q)?;
    }
    if !c.sources.is_empty() {
        buf.extend_from_slice(br#","sources":"#);
        strings(buf, &c.sources)?;
    }
    if !c.quantities.is_empty() {
        buf.extend_from_slice(br#","quantities":"#);
        quantities(buf, &c.quantities)?;
    }
    buf.extend_from_slice(br#","text":"#);
    string(buf, &c.text)
}

/// A benchmark cell's value, tagged by its kind.
fn value(buf: &mut Vec<u8>, v: &Value) -> serde_json::Result<()> {
    match v {
        Value::Numbers { numbers } => {
            buf.extend_from_slice(br#"{"kind":"numbers","numbers":"#);
            quantities(buf, numbers)?;
            buf.push(b'}');
        }
        Value::Quantity(q) => {
            buf.extend_from_slice(br#"{"kind":"quantity","#);
            quantity_fields(buf, q)?;
        }
        Value::Text { text } => {
            buf.extend_from_slice(br#"{"kind":"text","text":"#);
            string(buf, text)?;
            buf.push(b'}');
        }
    }
    Ok(())
}

fn quantities(buf: &mut Vec<u8>, qs: &[Quantity]) -> serde_json::Result<()> {
    buf.push(b'[');
    for (i, q) in qs.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        buf.push(b'{');
        quantity_fields(buf, q)?;
    }
    buf.push(b']');
    Ok(())
}

/// A quantity's fields and the brace that closes them.
fn quantity_fields(buf: &mut Vec<u8>, q: &Quantity) -> serde_json::Result<()> {
    buf.extend_from_slice(br#""value":"#);
    number(buf, q.value)?;
    if let Some(high) = q.high {
        buf.extend_from_slice(br#","high":"#);
        number(buf, high)?;
    }
    if let Some(unit) = &q.unit {
        buf.extend_from_slice(br#","unit":"#);
        string(buf, unit)?;
    }
    if q.approx {
        buf.extend_from_slice(br#","approx":true"#);
    }
    buf.push(b'}');
    Ok(())
}

/// A number as `serde_json` spells it (`null` when it is not finite).
fn number(buf: &mut Vec<u8>, x: f64) -> serde_json::Result<()> {
    serde_json::to_writer(buf, &x)
}

fn strings(buf: &mut Vec<u8>, ss: &[impl AsRef<str>]) -> serde_json::Result<()> {
    buf.push(b'[');
    for (i, s) in ss.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        string(buf, s.as_ref())?;
    }
    buf.push(b']');
    Ok(())
}

/// A JSON string: copied between quotes when no byte needs escaping (`serde_json` escapes the
/// quote, the backslash and the control characters below U+0020, nothing else), else written by
/// `serde_json`. The check reads every byte without stopping early, so it runs many at a time.
fn string(buf: &mut Vec<u8>, s: &str) -> serde_json::Result<()> {
    let plain = s
        .bytes()
        .fold(true, |ok, b| ok & (b >= 0x20) & (b != b'"') & (b != b'\\'));
    if !plain {
        return serde_json::to_writer(buf, s);
    }
    buf.reserve(s.len() + 2);
    buf.push(b'"');
    buf.extend_from_slice(s.as_bytes());
    buf.push(b'"');
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use proptest::prelude::*;
    use rescore_graph::quantity::extract_quantities;

    use super::*;

    fn ours(state: &MaterialState) -> Vec<u8> {
        let mut buf = b"before".to_vec();
        write(&mut buf, state).expect("a state is written");
        buf.split_off(b"before".len())
    }

    fn serde(state: &MaterialState) -> Vec<u8> {
        serde_json::to_vec(state).expect("a state is written")
    }

    /// Text with what must be escaped (quotes, backslashes, every control character), what
    /// must not (DEL, non-ASCII) and numbers with units, for the quantities.
    const TEXT: &str = "[a-z0-9 .%x\"\\\\\u{0}-\u{1f}\u{7f}é—😀]{0,40}";

    proptest! {
        #[test]
        fn a_claim_is_written_as_serde_json_writes_it(
            level in TEXT,
            qualifier in proptest::option::of(TEXT),
            sources in proptest::collection::vec(TEXT, 0..4),
            numbers in "([0-9]{1,3}(\\.[0-9])?(%|x| fps| GPUs)? ){0,3}",
            text in TEXT,
        ) {
            let state = MaterialState::Claim(ClaimState {
                level: level.into(),
                qualifier: qualifier.map(Into::into),
                sources: sources.into_iter().map(Arc::<str>::from).collect(),
                quantities: extract_quantities(&numbers).into(),
                text: text.into(),
            });
            prop_assert_eq!(ours(&state), serde(&state));
        }
    }

    /// Any number, the ones `serde_json` writes as `null` among them.
    fn number() -> impl Strategy<Value = f64> {
        prop_oneof![
            any::<f64>(),
            (-1e6..1e6f64),
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(0.07),
            Just(11e9),
        ]
    }

    fn quantity() -> impl Strategy<Value = Quantity> {
        let unit = proptest::option::of(TEXT.prop_map(std::borrow::Cow::Owned));
        (
            number(),
            proptest::option::of(number()),
            unit,
            any::<bool>(),
        )
            .prop_map(|(value, high, unit, approx)| Quantity {
                value,
                high,
                unit,
                approx,
            })
    }

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            proptest::collection::vec(quantity(), 0..4)
                .prop_map(|numbers| Value::Numbers { numbers }),
            quantity().prop_map(Value::Quantity),
            TEXT.prop_map(|text| Value::Text { text }),
        ]
    }

    fn other_state() -> impl Strategy<Value = MaterialState> {
        let sources = proptest::collection::vec(TEXT.prop_map(Arc::<str>::from), 0..4);
        prop_oneof![
            (any::<bool>(), proptest::option::of(TEXT)).prop_map(|(retracted, superseded_by)| {
                MaterialState::Source {
                    retracted,
                    superseded_by,
                }
            }),
            (value(), sources).prop_map(|(value, sources)| MaterialState::Benchmark {
                value,
                sources: sources.into(),
            }),
            proptest::option::of(TEXT).prop_map(|status| MaterialState::Concept { status }),
            number().prop_map(|score| MaterialState::Thesis { score }),
        ]
    }

    proptest! {
        #[test]
        fn every_other_state_is_written_as_serde_json_writes_it(state in other_state()) {
            prop_assert_eq!(ours(&state), serde(&state));
        }

        #[test]
        fn a_claims_quantities_are_written_as_serde_json_writes_them(
            quantities in proptest::collection::vec(quantity(), 1..4),
        ) {
            let state = MaterialState::Claim(ClaimState {
                level: "strong".into(),
                qualifier: None,
                sources: Box::default(),
                quantities: quantities.into(),
                text: "text".into(),
            });
            prop_assert_eq!(ours(&state), serde(&state));
        }
    }

    #[test]
    fn other_states_are_written_by_serde_json() {
        let states = [
            MaterialState::Concept {
                status: Some("active \"frontier\"".into()),
            },
            MaterialState::Thesis { score: 0.07 },
            MaterialState::Source {
                retracted: true,
                superseded_by: Some("s2".into()),
            },
            MaterialState::Benchmark {
                value: Value::Numbers {
                    numbers: extract_quantities("47.14GB"),
                },
                sources: vec![Arc::from("s1")].into(),
            },
        ];
        for state in &states {
            assert_eq!(ours(state), serde(state));
        }
    }
}
