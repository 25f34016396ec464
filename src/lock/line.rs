//! A node entry as one line of a format-3 shard:
//!
//! ```text
//! ID KIND KEY FIELD… ^UP…
//! ```
//!
//! `ID` is the tree id in URL-safe base64 (11 characters), `KIND` one of `claim`, `bench`,
//! `concept`, `source`, `thesis`, and each `^UP` the tree id of an upstream subtree. A token
//! holding a space, a quote or a backslash is written as a JSON string. The fields:
//!
//! - claim: its level, then `q=QUALIFIER`, `s=SOURCE`…, and its text either named (`h=HASH`
//!   of the canonical text and `@BLOB`, the page's git blob id as accepted) or held
//!   (`t=TEXT` and `n=QUANTITY`…);
//! - bench: `n=QUANTITY`… (or `v=TEXT` for a text cell) and `s=SOURCE`…
//!   (`empty` for a cell without numbers, `nq=QUANTITY` for a cell as format 1 read it);
//! - concept: `st=STATUS`; source: `retracted`, `by=PAGE`; thesis: its score.
//!
//! A quantity is `[~]VALUE[..HIGH][:UNIT]`: `~` for approximate, `..HIGH` for a range.

use std::borrow::Cow;
use std::sync::Arc;

use base64::Engine as _;
use rescore_graph::quantity::{canonical_unit, Quantity, Value};
use rescore_graph::{ClaimState, MaterialState};

use super::{Entry, TextAt};
use crate::trees::{hex, parse_hex, TreeId};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A tree id as the format-3 lock writes it.
pub fn id_text(id: TreeId) -> String {
    B64.encode(id.to_be_bytes())
}

/// A tree id written by [`id_text`].
pub fn parse_id(s: &str) -> Option<TreeId> {
    if s.len() != 11 {
        return None;
    }
    // Decoded in place: a lock of 100k pages has half a million ids to read.
    let mut bytes = [0u8; 9];
    let n = B64.decode_slice(s, &mut bytes).ok()?;
    let id: [u8; 8] = bytes[..n].try_into().ok()?;
    Some(TreeId::from_be_bytes(id))
}

/// Separates the entries of a page line.
const SEP: &str = " | ";

/// The tree id a line starts with, if it starts with one.
pub fn line_id(line: &str) -> Option<TreeId> {
    parse_id(line.split(' ').next()?)
}

/// The tree ids of every entry of a line (one, or a page's), if it is a line of this format.
pub fn line_ids(line: &str) -> Option<Vec<TreeId>> {
    static SEPS: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(SEP));
    let mut ids = Vec::new();
    let mut at = 0;
    for sep in SEPS.find_iter(line.as_bytes()) {
        ids.push(line_id(&line[at..sep])?);
        at = sep + SEP.len();
    }
    ids.push(line_id(&line[at..])?);
    Some(ids)
}

/// The upstream tree ids of entry `id` of a line, read without parsing the rest (a write walks
/// every entry in use): its `^` ids, and for the page's own entry, the entries after it.
pub fn up_of(line: &str, id: TreeId) -> Option<Vec<TreeId>> {
    let mut segments = line.split(SEP);
    let head = segments.next()?;
    let mut found = None;
    let mut kids = Vec::new();
    for seg in std::iter::once(head).chain(segments.by_ref()) {
        let seg_id = line_id(seg)?;
        if seg_id == id && found.is_none() {
            found = Some(seg);
        }
        if seg.as_ptr() != head.as_ptr() {
            kids.push(seg_id);
        }
    }
    let seg = found?;
    let mut up = seg
        .rsplit(' ')
        .take_while(|t| t.starts_with('^'))
        .map(|t| parse_id(&t[1..]))
        .collect::<Option<Vec<TreeId>>>()?;
    if seg.as_ptr() == head.as_ptr() {
        up.extend(kids);
    }
    up.sort_unstable();
    Some(up)
}

/// A value as one token: bare when it can be, else a JSON string.
fn token(s: &str) -> Cow<'_, str> {
    let bare = !s.is_empty()
        && !s.starts_with(['^', '@'])
        && tag_of(s).is_none()
        && s.chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && c != '"' && c != '\\' && c != '|');
    if bare {
        Cow::Borrowed(s)
    } else {
        // No `|` is left bare anywhere, so ` | ` always separates entries of a page line.
        Cow::Owned(
            serde_json::to_string(s)
                .unwrap_or_default()
                .replace('|', "\\u007c"),
        )
    }
}

/// The `tag` of a `tag=value` token, and where its value starts.
fn tag_of(s: &str) -> Option<(&str, usize)> {
    let end = s.find('=')?;
    let tag = &s[..end];
    (!tag.is_empty() && tag.bytes().all(|b| b.is_ascii_lowercase())).then_some((tag, end + 1))
}

fn num(x: f64) -> String {
    format!("{x}")
}

fn quantity(q: &Quantity) -> String {
    let mut s = String::new();
    if q.approx {
        s.push('~');
    }
    s.push_str(&num(q.value));
    if let Some(h) = q.high {
        s.push_str("..");
        s.push_str(&num(h));
    }
    if let Some(u) = &q.unit {
        s.push(':');
        s.push_str(u);
    }
    s
}

fn parse_quantity(s: &str) -> Option<Quantity> {
    let (approx, s) = match s.strip_prefix('~') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (numbers, unit) = match s.split_once(':') {
        Some((n, u)) => (n, Some(canonical_unit(u.to_string()))),
        None => (s, None),
    };
    let (value, high) = match numbers.split_once("..") {
        Some((v, h)) => (v.parse().ok()?, Some(h.parse().ok()?)),
        None => (numbers.parse().ok()?, None),
    };
    Some(Quantity {
        value,
        high,
        unit,
        approx,
    })
}

/// The line for an entry on its own. With `implied`, a claim's or row's sources are the keys of
/// its upstream entries, and are not written.
pub fn render(id: TreeId, e: &Entry, implied: bool) -> String {
    segment(id, e, &e.key, &e.up, None, false, implied)
}

/// The line for a concept and the claims and rows of its page (`kids`, each with a key
/// `KEY#anchor` and listed in the concept's `up`): one line per version of the page, each kid
/// written after ` | ` with its key as `#anchor`, and a blob written once for the kids after
/// it that share it.
pub fn render_page(id: TreeId, e: &Entry, kids: &[(TreeId, &Entry, bool)]) -> String {
    let embedded: Vec<String> = kids.iter().map(|(k, _, _)| hex(*k)).collect();
    let up: Vec<String> =
        e.up.iter()
            .filter(|u| !embedded.contains(u))
            .cloned()
            .collect();
    let mut line = segment(id, e, &e.key, &up, None, false, false);
    let mut blob: Option<&str> = None;
    for (kid, k, implied) in kids {
        let anchor = k.key.strip_prefix(&e.key).unwrap_or(&k.key);
        line.push_str(SEP);
        line.push_str(&segment(*kid, k, anchor, &k.up, blob, true, *implied));
        if let TextAt::Hashed { blob: Some(b), .. } = &k.text {
            blob = Some(b);
        }
    }
    line
}

/// One entry's tokens: its key as written (`#anchor` in a page line), its upstream ids, the
/// blob it may leave out (the one before it in its page line), and whether it is on a page
/// line, where a claim or row goes without its kind (a claim's text field tells them apart).
#[allow(clippy::too_many_arguments)]
fn segment(
    id: TreeId,
    e: &Entry,
    key: &str,
    up: &[String],
    inherited: Option<&str>,
    on_page: bool,
    implied: bool,
) -> String {
    let mut t: Vec<String> = vec![id_text(id)];
    let field = |tag: &str, v: &str| format!("{tag}={}", token(v));
    // A claim's or row's sources: not written when they are the keys of its upstream entries,
    // `unsourced` when there are none although it has upstream entries.
    let sources = |list: &[Arc<str>], t: &mut Vec<String>| match (implied, list.is_empty()) {
        (true, _) => {}
        (false, true) => t.push("unsourced".into()),
        (false, false) => t.extend(list.iter().map(|s| field("s", s))),
    };
    let kind = match &e.state {
        MaterialState::Claim(_) => "claim",
        MaterialState::Benchmark { .. } => "bench",
        MaterialState::Concept { .. } => "concept",
        MaterialState::Source { .. } => "source",
        MaterialState::Thesis { .. } => "thesis",
    };
    if !(on_page && matches!(kind, "claim" | "bench")) {
        t.push(kind.into());
    }
    t.push(token(key).into_owned());
    match &e.state {
        MaterialState::Claim(c) => {
            t.push(token(&c.level).into_owned());
            t.extend(c.qualifier.iter().map(|q| field("q", q)));
            sources(&c.sources, &mut t);
            match &e.text {
                TextAt::Hashed { hash, blob } => {
                    t.push(field("h", hash));
                    if blob.as_deref() != inherited {
                        t.extend(blob.iter().map(|b| format!("@{b}")));
                    }
                }
                TextAt::Held | TextAt::Page(_) => {
                    t.push(field("t", &c.text));
                    t.extend(c.quantities.iter().map(|q| field("n", &quantity(q))));
                }
            }
        }
        MaterialState::Benchmark {
            value: Value::Numbers { numbers },
            sources: srcs,
        } if !numbers.is_empty() => {
            t.extend(numbers.iter().map(|q| field("n", &quantity(q))));
            sources(srcs, &mut t);
        }
        MaterialState::Benchmark {
            value: Value::Text { text },
            sources: srcs,
        } => {
            t.push(field("v", text));
            sources(srcs, &mut t);
        }
        MaterialState::Concept { status } => t.extend(status.iter().map(|s| field("st", s))),
        MaterialState::Source {
            retracted,
            superseded_by,
        } => {
            if *retracted {
                t.push("retracted".into());
            }
            t.extend(superseded_by.iter().map(|s| field("by", s)));
        }
        MaterialState::Thesis { score } => t.push(num(*score)),
        MaterialState::Benchmark {
            value: Value::Numbers { .. },
            sources: srcs,
        } => {
            t.push("empty".into());
            sources(srcs, &mut t);
        }
        MaterialState::Benchmark {
            value: Value::Quantity(q),
            sources: srcs,
        } => {
            t.push(field("nq", &quantity(q)));
            sources(srcs, &mut t);
        }
    }
    for u in up {
        if let Some(u) = parse_hex(u) {
            t.push(format!("^{}", id_text(u)));
        }
    }
    t.join(" ")
}

/// One token of a line: its tag (for `tag=value`), whether the value was a JSON string (a
/// quoted value is never an up id or a blob), and the value.
struct Token {
    tag: Option<String>,
    quoted: bool,
    value: String,
}

/// Splits a line into tokens.
fn tokens(line: &str) -> Option<Vec<Token>> {
    let mut out = Vec::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        let tag = tag_of(rest.split(char::is_whitespace).next().unwrap_or(""));
        let (tag, start) = match tag {
            Some((t, start)) => (Some(t.to_string()), start),
            None => (None, 0),
        };
        rest = &rest[start..];
        if rest.starts_with('"') {
            let mut de = serde_json::Deserializer::from_str(rest).into_iter::<String>();
            let value = de.next()?.ok()?;
            let used = de.byte_offset();
            out.push(Token {
                tag,
                quoted: true,
                value,
            });
            rest = &rest[used..];
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            out.push(Token {
                tag,
                quoted: false,
                value: rest[..end].to_string(),
            });
            rest = &rest[end..];
        }
        let trimmed = rest.trim_start();
        if trimmed.len() == rest.len() && !rest.is_empty() {
            return None;
        }
        rest = trimmed;
    }
    Some(out)
}

/// One entry read from a line, and whether its sources are the keys of its upstream entries
/// (left for the reader to fill in from them).
pub type Parsed = (TreeId, Entry, bool);

/// Parses a line written by [`render`] or [`render_page`]: each entry it holds, the page's
/// own first; `None` when it is not such a line.
pub fn parse(line: &str) -> Option<Vec<Parsed>> {
    let mut segments = line.split(SEP);
    let (id, mut head, implied) = parse_segment(segments.next()?, None, None)?;
    let mut blob = None;
    let mut out = Vec::new();
    for seg in segments {
        let (kid, e, kid_implied) = parse_segment(seg, Some(&head.key), blob.clone())?;
        if let TextAt::Hashed { blob: b, .. } = &e.text {
            blob = b.clone();
        }
        head.up.push(hex(kid));
        out.push((kid, e, kid_implied));
    }
    if !out.is_empty() {
        head.up.sort();
    }
    out.insert(0, (id, head, implied));
    Some(out)
}

/// Parses one entry of a line; in a page line (`page` is its key) the key is written as
/// `#anchor`, and a claim without a blob has the one before it.
fn parse_segment(seg: &str, page: Option<&str>, inherited: Option<String>) -> Option<Parsed> {
    let mut it = tokens(seg)?.into_iter();
    let plain = |t: Option<Token>| t.filter(|t| t.tag.is_none()).map(|t| t.value);
    let id = parse_id(&plain(it.next())?)?;
    let written = plain(it.next())?;
    // On a page line a claim or row has no kind word: its key (`#anchor`) comes first.
    let (kind, key) = match page {
        Some(_) if written.starts_with('#') => (None, written),
        _ => (Some(written), plain(it.next())?),
    };
    let key = match page {
        Some(p) if key.starts_with('#') => format!("{p}{key}"),
        Some(_) => return None,
        None => key,
    };
    let mut positional = Vec::new();
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut up = Vec::new();
    let mut blob = None;
    for t in it {
        let bare = !t.quoted && t.tag.is_none();
        if bare && t.value.starts_with('^') {
            up.push(hex(parse_id(&t.value[1..])?));
        } else if !up.is_empty() {
            return None;
        } else if bare && t.value.starts_with('@') {
            blob = Some(t.value[1..].to_string());
        } else {
            match t.tag {
                Some(tag) => fields.push((tag, t.value)),
                None => positional.push(t.value),
            }
        }
    }
    let all = |tag: &str| -> Vec<String> {
        fields
            .iter()
            .filter(|(t, _)| t == tag)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let one = |tag: &str| {
        fields
            .iter()
            .find(|(t, _)| t == tag)
            .map(|(_, v)| v.clone())
    };
    let kind = kind.unwrap_or_else(|| {
        let named = fields.iter().any(|(t, _)| t == "h" || t == "t");
        if named { "claim" } else { "bench" }.to_string()
    });
    let sourced = matches!(kind.as_str(), "claim" | "bench");
    let min = usize::from(kind == "claim");
    let unsourced = sourced
        && positional.len() > min
        && positional.last().is_some_and(|p| p == "unsourced")
        && positional.pop().is_some();
    let implied = sourced && !unsourced && !fields.iter().any(|(t, _)| t == "s");
    let known: &[&str] = match kind.as_str() {
        "claim" => &["q", "s", "h", "t", "n"],
        "bench" => &["n", "nq", "v", "s"],
        "concept" => &["st"],
        "source" => &["by"],
        "thesis" => &[],
        _ => return None,
    };
    if fields.iter().any(|(t, _)| !known.contains(&t.as_str())) {
        return None;
    }
    let quantities = |tag: &str| -> Option<Vec<Quantity>> {
        all(tag).iter().map(|q| parse_quantity(q)).collect()
    };
    let mut text = TextAt::Held;
    let state = {
        match kind.as_str() {
            "claim" => {
                let [level] = <[String; 1]>::try_from(positional).ok()?;
                let claim_text = match (one("h"), one("t")) {
                    (Some(hash), None) => {
                        text = TextAt::Hashed {
                            hash,
                            blob: blob.take().or(inherited),
                        };
                        String::new()
                    }
                    (None, Some(t)) => t,
                    _ => return None,
                };
                MaterialState::Claim(ClaimState {
                    level: level.into(),
                    qualifier: one("q").map(Into::into),
                    sources: all("s").into_iter().map(Arc::from).collect(),
                    quantities: quantities("n")?.into(),
                    text: claim_text.into(),
                })
            }
            "bench" => {
                let value = match (one("v"), one("nq"), positional.as_slice()) {
                    (Some(text), None, []) => Value::Text { text },
                    (None, Some(q), []) => Value::Quantity(parse_quantity(&q)?),
                    (None, None, []) => Value::Numbers {
                        numbers: quantities("n")?,
                    },
                    (None, None, [e]) if e == "empty" => Value::Numbers { numbers: vec![] },
                    _ => return None,
                };
                MaterialState::Benchmark {
                    value,
                    sources: all("s").into_iter().map(Arc::from).collect(),
                }
            }
            "concept" if positional.is_empty() => MaterialState::Concept { status: one("st") },
            "source" => {
                let retracted = match positional.as_slice() {
                    [] => false,
                    [f] if f == "retracted" => true,
                    _ => return None,
                };
                MaterialState::Source {
                    retracted,
                    superseded_by: one("by"),
                }
            }
            "thesis" => {
                let [score] = <[String; 1]>::try_from(positional).ok()?;
                MaterialState::Thesis {
                    score: score.parse().ok()?,
                }
            }
            _ => return None,
        }
    };
    if blob.is_some() {
        return None;
    }
    Some((
        id,
        Entry {
            key,
            state,
            up,
            text,
        },
        implied,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Ids decoded in place read as `decode` reads them, trailing bits and all.
        #[test]
        fn an_id_decoded_in_place_is_the_id_decoded(s in "[A-Za-z0-9_+/=-]{9,12}") {
            let decoded = B64
                .decode(&s)
                .ok()
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .filter(|_| s.len() == 11)
                .map(TreeId::from_be_bytes);
            prop_assert_eq!(parse_id(&s), decoded);
        }

        /// A line's ids are found at the separators `split` finds.
        #[test]
        fn ids_are_read_between_the_separators_split_finds(
            parts in prop::collection::vec(
                (
                    prop_oneof![
                        8 => prop_oneof![Just("AAAAAAAAAAE"), Just("_-_-_-_-_-8 concept c1")],
                        1 => prop_oneof![Just(""), Just("x"), Just(" ")],
                    ],
                    prop_oneof![8 => Just(" | "), 1 => Just(" |"), 1 => Just("| "), 1 => Just(" | | ")],
                ),
                1..6,
            )
        ) {
            let line: String = parts.iter().flat_map(|(seg, sep)| [*seg, *sep]).collect();
            let line = line.strip_suffix(parts[parts.len() - 1].1).unwrap_or(&line);
            let by_split: Option<Vec<TreeId>> = line.split(SEP).map(line_id).collect();
            prop_assert_eq!(line_ids(line), by_split);
        }
    }

    fn round_trip(e: Entry) {
        let line = render(0x0123_4567_89ab_cdef, &e, false);
        let back = parse(&line).unwrap_or_else(|| panic!("does not parse: {line}"));
        assert_eq!(
            back,
            vec![(0x0123_4567_89ab_cdef, e.clone(), false)],
            "{line}"
        );
        assert_eq!(line_ids(&line), Some(vec![0x0123_4567_89ab_cdef]));
        let up: Vec<String> = up_of(&line, 0x0123_4567_89ab_cdef)
            .expect("ups")
            .into_iter()
            .map(hex)
            .collect();
        assert_eq!(up, e.up, "{line}");
    }

    fn entry(key: &str, state: MaterialState, text: TextAt) -> Entry {
        Entry {
            key: key.into(),
            state,
            up: vec![hex(1), hex(u64::MAX)],
            text,
        }
    }

    #[test]
    fn every_kind_round_trips() {
        let q = |value, high, unit: Option<&'static str>, approx| Quantity {
            value,
            high,
            unit: unit.map(std::borrow::Cow::Borrowed),
            approx,
        };
        let claim = |text: &str| {
            MaterialState::Claim(ClaimState {
                level: "strong".into(),
                qualifier: Some("two labs, \"small\" set".into()),
                sources: vec!["a b".into(), "s1".into()].into(),
                quantities: vec![
                    q(65.0, Some(80.0), Some("%"), true),
                    q(1e-7, None, None, false),
                ]
                .into(),
                text: text.into(),
            })
        };
        round_trip(entry(
            "c#k",
            claim("Latent \\ planning\n\"wins\""),
            TextAt::Held,
        ));
        round_trip(entry(
            "c#k",
            MaterialState::Claim(ClaimState {
                level: "weak".into(),
                qualifier: None,
                sources: vec![].into(),
                quantities: vec![].into(),
                text: "".into(),
            }),
            TextAt::Hashed {
                hash: "0123456789ab".into(),
                blob: Some("ce013625030b".into()),
            },
        ));
        round_trip(entry(
            "p#row@sys",
            MaterialState::Benchmark {
                value: Value::Numbers {
                    numbers: vec![
                        q(11e9, None, Some("parameter"), false),
                        q(-2.5, None, Some("a:b c"), false),
                    ],
                },
                sources: vec!["genie-3".into()].into(),
            },
            TextAt::Held,
        ));
        round_trip(entry(
            "p#row",
            MaterialState::Benchmark {
                value: Value::Text {
                    text: "a few minutes".into(),
                },
                sources: vec![].into(),
            },
            TextAt::Held,
        ));
        round_trip(entry(
            "p#row",
            MaterialState::Benchmark {
                value: Value::Quantity(q(720.0, None, Some("p"), false)),
                sources: vec![].into(),
            },
            TextAt::Held,
        ));
        round_trip(entry(
            "p#row",
            MaterialState::Benchmark {
                value: Value::Numbers { numbers: vec![] },
                sources: vec!["s".into()].into(),
            },
            TextAt::Held,
        ));
        round_trip(entry(
            "jepa",
            MaterialState::Concept {
                status: Some("active".into()),
            },
            TextAt::Held,
        ));
        round_trip(entry(
            "jepa",
            MaterialState::Concept { status: None },
            TextAt::Held,
        ));
        round_trip(entry(
            "^odd key",
            MaterialState::Source {
                retracted: true,
                superseded_by: Some("new".into()),
            },
            TextAt::Held,
        ));
        round_trip(entry(
            "t",
            MaterialState::Thesis { score: 0.45 },
            TextAt::Held,
        ));
    }

    #[test]
    fn a_page_line_holds_its_claims_and_rows() {
        let claim = |text: &str, blob: &str| Entry {
            key: format!("c#{text}"),
            state: MaterialState::Claim(ClaimState {
                level: "strong".into(),
                qualifier: None,
                sources: vec!["s".into()].into(),
                quantities: vec![].into(),
                text: "".into(),
            }),
            up: vec![hex(9)],
            text: TextAt::Hashed {
                hash: "0123456789ab".into(),
                blob: Some(blob.into()),
            },
        };
        let (a, b, c) = (
            claim("a|b", "aaaaaaaaaaaa"),
            claim("k", "aaaaaaaaaaaa"),
            claim("m", "bbbbbbbbbbbb"),
        );
        let concept = Entry {
            key: "c".into(),
            state: MaterialState::Concept {
                status: Some("x".into()),
            },
            up: vec![hex(1), hex(2), hex(3), hex(7)],
            text: TextAt::Held,
        };
        let line = render_page(
            5,
            &concept,
            &[(1, &a, false), (2, &b, true), (3, &c, false)],
        );
        assert_eq!(line.matches(" | ").count(), 3, "{line}");
        assert_eq!(
            line.matches('@').count(),
            2,
            "one blob for the two claims that share it: {line}"
        );
        assert!(line.contains(" #k "), "{line}");
        let back = parse(&line).expect("parses");
        // Its sources were left out, for the lock to read off its upstream entries.
        let mut b_read = b.clone();
        if let MaterialState::Claim(c) = &mut b_read.state {
            c.sources = Box::default();
        }
        assert_eq!(
            back,
            vec![
                (5, concept, false),
                (1, a, false),
                (2, b_read, true),
                (3, c, false)
            ]
        );
        assert_eq!(line_ids(&line), Some(vec![5, 1, 2, 3]));
        assert_eq!(up_of(&line, 5), Some(vec![1, 2, 3, 7]));
        assert_eq!(up_of(&line, 2), Some(vec![9]));
    }

    #[test]
    fn damaged_lines_do_not_parse() {
        for bad in [
            "",
            "AAAAAAAAAAA",
            "AAAAAAAAAAA claim",
            "AAAAAAAAAAA claim k",
            "AAAAAAAAAAA claim k strong",
            "AAAAAAAAAAA claim k strong h=1 t=x",
            "AAAAAAAAAAA widget k",
            "AAAAAAAAAAA concept k zz=1",
            "AAAAAAAAAAA concept k ^AAAAAAAAAAA st=x",
            "AAAAAAAAAAA concept k ^short",
            "AAAAAAAAAAA thesis k high",
            "AAAAAAAAAAA concept \"k",
            "AAAAAAAAAAA concept \"k\"x",
            "AAAAAAAAAAA concept k @ce013625030b",
            "AAAAAAAAAAA concept k | AAAAAAAAAAB concept k2",
            "AAAAAAAAAAA concept k | garbage",
        ] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn ids_are_eleven_characters() {
        assert_eq!(id_text(0), "AAAAAAAAAAA");
        assert_eq!(parse_id(&id_text(u64::MAX)), Some(u64::MAX));
        assert_eq!(parse_id("AAAA"), None);
    }
}
