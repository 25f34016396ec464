//! A node's material state as `serde_json` writes it, byte for byte (tree ids hash it, and the
//! lock keeps tree ids), with a claim written the quick way: most of the bytes hashed at 100k
//! pages are claim texts, and a string with nothing to escape is copied as it is instead of
//! going through `serde_json`'s escaping a byte at a time.

use rescore_graph::{ClaimState, MaterialState};

/// Appends the JSON of `state` to `buf`.
pub(super) fn write(buf: &mut Vec<u8>, state: &MaterialState) -> serde_json::Result<()> {
    match state {
        MaterialState::Claim(c) => claim(buf, c),
        other => serde_json::to_writer(buf, other),
    }
}

/// A claim's JSON: the enum's tag first, then the fields in the order `ClaimState` declares
/// them, the empty optional ones left out, as its derived `Serialize` does.
fn claim(buf: &mut Vec<u8>, c: &ClaimState) -> serde_json::Result<()> {
    buf.extend_from_slice(br#"{"kind":"claim","level":"#);
    string(buf, &c.level)?;
    if let Some(q) = &c.qualifier {
        buf.extend_from_slice(br#","qualifier":"#);
        string(buf, q)?;
    }
    if !c.sources.is_empty() {
        buf.extend_from_slice(br#","sources":["#);
        for (i, s) in c.sources.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            string(buf, s)?;
        }
        buf.push(b']');
    }
    if !c.quantities.is_empty() {
        buf.extend_from_slice(br#","quantities":"#);
        serde_json::to_writer(&mut *buf, &c.quantities)?;
    }
    buf.extend_from_slice(br#","text":"#);
    string(buf, &c.text)?;
    buf.push(b'}');
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
    use rescore_graph::quantity::{extract_quantities, Value};

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
