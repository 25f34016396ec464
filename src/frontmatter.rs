//! Front matter: TOML between `+++` lines or YAML between `---` lines, first thing in a page.
//! Both are read into one loose JSON value first, so one schema serves both syntaxes and
//! TOML dates and YAML strings land in the same field.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value as Json;

use crate::diag::{Code, Diagnostic, LineIndex, Pos};

/// The front matter keys rescore reads; any other key is the researcher's own and kept out of
/// the way.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FrontMatter {
    pub kind: Option<String>,
    pub id: Option<String>,
    pub title: Option<String>,
    pub status: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub part_of: Vec<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub depends_on: Vec<String>,
    pub score: Option<Json>,
    pub scored: Option<Json>,
    pub retracted: Option<bool>,
    pub superseded_by: Option<String>,
    pub url: Option<String>,
    pub published: Option<Json>,
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<OneOrMany>::deserialize(d)? {
        None => Vec::new(),
        Some(OneOrMany::One(s)) => vec![s],
        Some(OneOrMany::Many(v)) => v,
    })
}

/// A page split into its front matter and body.
pub struct Split<'a> {
    pub front: FrontMatter,
    /// Where the body starts in the file, in bytes.
    pub body_start: usize,
    pub body: &'a str,
    /// The front matter text between the fences, and where it starts in the file.
    pub front_text: &'a str,
    pub front_start: usize,
}

/// Finds and parses the front matter. A page without one gets the defaults.
pub fn split<'a>(text: &'a str, path: &Path, lines: &LineIndex) -> Result<Split<'a>, Diagnostic> {
    let fence = if text.starts_with("+++") {
        "+++"
    } else if text.starts_with("---") {
        "---"
    } else {
        return Ok(Split {
            front: FrontMatter::default(),
            body_start: 0,
            body: text,
            front_text: "",
            front_start: 0,
        });
    };
    let first_end = text.find('\n').map_or(text.len(), |i| i + 1);
    if text[..first_end].trim_end() != fence {
        // `---` followed by more text on the line is a thematic break or prose, not a fence.
        return Ok(Split {
            front: FrontMatter::default(),
            body_start: 0,
            body: text,
            front_text: "",
            front_start: 0,
        });
    }
    let mut at = first_end;
    let mut close = None;
    while at < text.len() {
        let end = memchr::memchr(b'\n', &text.as_bytes()[at..]).map_or(text.len(), |i| at + i + 1);
        let line = text[at..end].trim_end();
        if line == fence || (fence == "---" && line == "...") {
            close = Some((at, end));
            break;
        }
        at = end;
    }
    let Some((close_start, body_start)) = close else {
        return Err(Diagnostic::error(
            Code::UnterminatedFrontMatter,
            path,
            lines.span(text, 0..fence.len()),
            format!("front matter opened with `{fence}` is never closed"),
        )
        .expected(format!(
            "a line holding only `{fence}` after the front matter"
        ))
        .hint(format!("add a `{fence}` line where the front matter ends")));
    };
    let inner = &text[first_end..close_start];
    if fence == "+++" {
        if let Some(front) = quick_toml(inner) {
            return Ok(Split {
                front,
                body_start,
                body: &text[body_start..],
                front_text: inner,
                front_start: first_end,
            });
        }
    }
    let value = if fence == "+++" {
        parse_toml(inner, first_end, text, path, lines)?
    } else {
        parse_yaml(inner, first_end, text, path, lines)?
    };
    let front = FrontMatter::deserialize(&value).map_err(|e| {
        let key = schema_error_key(&e.to_string());
        let pos = key
            .as_deref()
            .and_then(|k| key_pos(inner, first_end, text, k, lines))
            .unwrap_or_else(|| lines.span(text, first_end..first_end));
        Diagnostic::error(Code::BadFrontMatter, path, pos, format!("front matter: {e}"))
            .expected("kind, id and title as text, part_of and depends_on as lists of ids, retracted as true/false")
            .hint("the keys are kind, id, title, status, part_of, depends_on, score, scored, retracted, superseded_by, url, published")
    })?;
    Ok(Split {
        front,
        body_start,
        body: &text[body_start..],
        front_text: inner,
        front_start: first_end,
    })
}

/// The keys rescore reads, as TOML values: the document is read without building a table of
/// every key or the JSON value the schema is checked against.
#[derive(Debug, Default, PartialEq, Deserialize)]
struct TomlKeys {
    kind: Option<toml::Value>,
    id: Option<toml::Value>,
    title: Option<toml::Value>,
    status: Option<toml::Value>,
    part_of: Option<toml::Value>,
    depends_on: Option<toml::Value>,
    score: Option<toml::Value>,
    scored: Option<toml::Value>,
    retracted: Option<toml::Value>,
    superseded_by: Option<toml::Value>,
    url: Option<toml::Value>,
    published: Option<toml::Value>,
}

/// TOML front matter whose keys all have the types the schema wants, read the quick way; `None`
/// for anything else, which the JSON path reads or reports exactly as before.
fn quick_toml(inner: &str) -> Option<FrontMatter> {
    // Text as the JSON path sees it: a date, NaN or infinity is text there too.
    fn string(v: toml::Value) -> Option<String> {
        match toml_to_json(v) {
            Json::String(s) => Some(s),
            _ => None,
        }
    }
    fn text(v: Option<toml::Value>) -> Option<Option<String>> {
        v.map_or(Some(None), |v| string(v).map(Some))
    }
    fn list(v: Option<toml::Value>) -> Option<Vec<String>> {
        match v {
            None => Some(Vec::new()),
            Some(toml::Value::Array(items)) => items.into_iter().map(string).collect(),
            Some(v) => string(v).map(|s| vec![s]),
        }
    }
    let keys = match plain_toml(inner) {
        Some(keys) => keys,
        None => toml::from_str(inner).ok()?,
    };
    Some(FrontMatter {
        kind: text(keys.kind)?,
        id: text(keys.id)?,
        title: text(keys.title)?,
        status: text(keys.status)?,
        part_of: list(keys.part_of)?,
        depends_on: list(keys.depends_on)?,
        score: keys.score.map(toml_to_json),
        scored: keys.scored.map(toml_to_json),
        retracted: match keys.retracted {
            None => None,
            Some(toml::Value::Boolean(b)) => Some(b),
            Some(_) => return None,
        },
        superseded_by: text(keys.superseded_by)?,
        url: text(keys.url)?,
        published: keys.published.map(toml_to_json),
    })
}

/// The keys of front matter written in the plain TOML nearly every page uses, read without the
/// TOML parser (which costs more than the rest of a small page's parse): a `key = value` line
/// per key, a value being a string without escapes, a list of them on one line, `true` or
/// `false`, a date, or a plain decimal number. `None` for anything else (a comment, a quoted or
/// dotted key, a repeated key, an escape, `\r`, …), which `toml` then reads.
fn plain_toml(inner: &str) -> Option<TomlKeys> {
    let mut keys = TomlKeys::default();
    let mut seen: Vec<&str> = Vec::new();
    // Lines and the bytes in them are found with `memchr`, not `str`'s character searchers.
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', inner.as_bytes()).chain([inner.len()]) {
        let line = inner[start..end].trim_matches([' ', '\t']);
        start = end + 1;
        if line.is_empty() {
            continue;
        }
        let eq = memchr::memchr(b'=', line.as_bytes())?;
        let (key, value) = (&line[..eq], &line[eq + 1..]);
        let key = key.trim_end_matches([' ', '\t']);
        let bare = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
        if key.is_empty() || !key.bytes().all(bare) || seen.contains(&key) {
            return None;
        }
        seen.push(key);
        let value = plain_value(value.trim_start_matches([' ', '\t']))?;
        let slot = match key {
            "kind" => &mut keys.kind,
            "id" => &mut keys.id,
            "title" => &mut keys.title,
            "status" => &mut keys.status,
            "part_of" => &mut keys.part_of,
            "depends_on" => &mut keys.depends_on,
            "score" => &mut keys.score,
            "scored" => &mut keys.scored,
            "retracted" => &mut keys.retracted,
            "superseded_by" => &mut keys.superseded_by,
            "url" => &mut keys.url,
            "published" => &mut keys.published,
            _ => continue,
        };
        *slot = Some(value);
    }
    Some(keys)
}

/// A value of `plain_toml`, written alone (no space after it).
fn plain_value(v: &str) -> Option<toml::Value> {
    if v.starts_with('"') {
        let (s, rest) = plain_string(v)?;
        return rest.is_empty().then(|| toml::Value::String(s.to_string()));
    }
    if let Some(list) = v.strip_prefix('[') {
        let mut items = Vec::new();
        let mut rest = list.trim_start_matches([' ', '\t']);
        while rest.starts_with('"') {
            let (s, after) = plain_string(rest)?;
            items.push(toml::Value::String(s.to_string()));
            let after = after.trim_start_matches([' ', '\t']);
            rest = match after.strip_prefix(',') {
                Some(more) => more.trim_start_matches([' ', '\t']),
                None => after,
            };
            if after.len() == rest.len() {
                break;
            }
        }
        return (rest == "]").then_some(toml::Value::Array(items));
    }
    match v {
        "true" => return Some(toml::Value::Boolean(true)),
        "false" => return Some(toml::Value::Boolean(false)),
        _ => {}
    }
    let b = v.as_bytes();
    let digits = |r: &[u8]| !r.is_empty() && r.iter().all(u8::is_ascii_digit);
    let date = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && digits(&b[..4])
        && digits(&b[5..7])
        && digits(&b[8..]);
    if date {
        return v.parse().ok().map(toml::Value::Datetime);
    }
    // A decimal without a sign but `-`, leading zeros, underscores or an exponent, short
    // enough to be exact as an `i64` and finite as an `f64`.
    let unsigned = v.strip_prefix('-').unwrap_or(v);
    let (int, frac) = match unsigned.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (unsigned, None),
    };
    let plain = v.len() <= 18
        && digits(int.as_bytes())
        && (int == "0" || !int.starts_with('0'))
        && frac.is_none_or(|f| digits(f.as_bytes()));
    if !plain {
        return None;
    }
    match frac {
        Some(_) => v.parse().ok().map(toml::Value::Float),
        None => v.parse().ok().map(toml::Value::Integer),
    }
}

/// The text of a basic string at the start of `v` without escapes or control characters, and
/// what follows it: its text is what lies between the quotes. The lock's thesis lines are read
/// with it too (`lock::thesis_line`).
pub(crate) fn plain_string(v: &str) -> Option<(&str, &str)> {
    let body = v.strip_prefix('"')?;
    let end = memchr::memchr(b'"', body.as_bytes())?;
    let s = &body[..end];
    let plain = s.bytes().all(|b| b >= b' ' && b != b'\\' && b != 0x7F);
    plain.then(|| (s, &body[end + 1..]))
}

fn parse_toml(
    inner: &str,
    base: usize,
    text: &str,
    path: &Path,
    lines: &LineIndex,
) -> Result<Json, Diagnostic> {
    let table: toml::Table = toml::from_str(inner).map_err(|e| {
        let span = e
            .span()
            .map_or(base..base, |s| base + s.start..base + s.end);
        Diagnostic::error(
            Code::BadFrontMatter,
            path,
            lines.span(text, span),
            format!("TOML front matter: {}", e.message().trim()),
        )
        .expected("TOML `key = value` lines between the `+++` fences")
        .hint("strings need quotes; dates are written bare (scored = 2026-10-01)")
    })?;
    Ok(toml_to_json(toml::Value::Table(table)))
}

fn toml_to_json(v: toml::Value) -> Json {
    match v {
        toml::Value::String(s) => Json::String(s),
        toml::Value::Integer(i) => Json::from(i),
        // JSON has no NaN or infinity: keep them as text so a `score = nan` is reported as not a
        // number at its key, rather than vanishing into "no score".
        toml::Value::Float(f) => serde_json::Number::from_f64(f)
            .map_or_else(|| Json::String(f.to_string()), Json::Number),
        toml::Value::Boolean(b) => Json::Bool(b),
        toml::Value::Datetime(d) => Json::String(d.to_string()),
        toml::Value::Array(a) => Json::Array(a.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => {
            Json::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect())
        }
    }
}

fn parse_yaml(
    inner: &str,
    base: usize,
    text: &str,
    path: &Path,
    lines: &LineIndex,
) -> Result<Json, Diagnostic> {
    if inner.trim().is_empty() {
        return Ok(Json::Object(Default::default()));
    }
    serde_saphyr::from_str::<Json>(inner).map_err(|e| {
        let msg = e.to_string();
        let (line, col) = yaml_error_pos(&msg).unwrap_or((1, 1));
        let front_line = lines.pos(text, base).0;
        let abs_line = front_line + line.saturating_sub(1);
        let start = lines.line_start(abs_line).unwrap_or(base);
        // The snippet points at the reported column, not the start of the line.
        let line_text = text
            .get(start..)
            .and_then(|t| t.lines().next())
            .unwrap_or("");
        let at = start
            + line_text
                .char_indices()
                .nth(col.saturating_sub(1) as usize)
                .map_or(line_text.len(), |(i, _)| i);
        let first_line = msg.lines().next().unwrap_or("syntax error");
        // saphyr's "line N column M" counts inside the front matter; the header has the file's.
        let first_line = first_line
            .split_once(&format!("column {col}: "))
            .map_or(first_line, |(_, rest)| rest)
            .to_string();
        Diagnostic::error(
            Code::BadFrontMatter,
            path,
            Pos::spanning(abs_line, col, Some(at..at)),
            format!("YAML front matter: {first_line}"),
        )
        .expected("YAML `key: value` lines between the `---` fences")
        .hint("check indentation and quoting on that line")
    })
}

/// serde-saphyr reports positions as "line N column M"; pull them out of the message.
fn yaml_error_pos(msg: &str) -> Option<(u32, u32)> {
    let after = msg.split("line ").nth(1)?;
    let line: u32 = after
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()?;
    let col = after
        .split("column ")
        .nth(1)
        .and_then(|c| c.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|c| c.parse().ok())
        .unwrap_or(1);
    Some((line, col))
}

fn schema_error_key(msg: &str) -> Option<String> {
    // serde_json's messages don't name the key; the caller falls back to the fence line.
    msg.split('`').nth(1).map(str::to_string)
}

/// Where `key` is written in the front matter, for a located schema error.
pub fn key_pos(inner: &str, base: usize, text: &str, key: &str, lines: &LineIndex) -> Option<Pos> {
    // Asked of every page for keys most pages lack: one search instead of a look at each line.
    if !inner.contains(key) {
        return None;
    }
    let mut offset = base;
    for line in inner.split_inclusive('\n') {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix(key) {
            let rest = rest.trim_start();
            if rest.starts_with('=') || rest.starts_with(':') {
                let start = offset + (line.len() - t.len());
                return Some(lines.span(text, start..start + key.len()));
            }
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<FrontMatter, Diagnostic> {
        let idx = LineIndex::new(text);
        split(text, Path::new("p.md"), &idx).map(|s| s.front)
    }

    #[test]
    fn toml_and_yaml_give_the_same_fields() {
        let t = parse("+++\nkind = \"thesis\"\nscore = 0.5\nscored = 2026-10-01\n+++\n# T\n")
            .expect("toml");
        let y =
            parse("---\nkind: thesis\nscore: 0.5\nscored: 2026-10-01\n---\n# T\n").expect("yaml");
        assert_eq!(t.kind.as_deref(), Some("thesis"));
        assert_eq!(y.kind.as_deref(), Some("thesis"));
        assert_eq!(t.score, y.score);
        assert_eq!(t.scored, Some(Json::String("2026-10-01".into())));
    }

    #[test]
    fn part_of_takes_one_or_many() {
        let one = parse("+++\npart_of = \"a\"\n+++\n").expect("one");
        let many = parse("+++\npart_of = [\"a\", \"b\"]\n+++\n").expect("many");
        assert_eq!(one.part_of, vec!["a"]);
        assert_eq!(many.part_of, vec!["a", "b"]);
    }

    #[test]
    fn toml_error_is_located_inside_the_page() {
        let err = parse("+++\nkind = \"concept\"\nstatus = active\n+++\n").expect_err("bad toml");
        assert_eq!(err.line, 3);
        assert!(err.col >= 1);
    }

    #[test]
    fn unclosed_fence_is_an_error() {
        let err = parse("+++\nkind = \"concept\"\n# Title\n").expect_err("unclosed");
        assert_eq!(err.code, "unterminated-front-matter");
    }

    /// The JSON path all TOML front matter took before `quick_toml`.
    fn via_json(inner: &str) -> Option<FrontMatter> {
        let table: toml::Table = toml::from_str(inner).ok()?;
        FrontMatter::deserialize(&toml_to_json(toml::Value::Table(table))).ok()
    }

    fn toml_value() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            "\"[a-z ]{0,6}\"",
            "-?[0-9]{1,3}",
            "[0-9]{1,2}\\.[0-9]{1,2}",
            Just("nan".to_string()),
            Just("inf".to_string()),
            Just("true".to_string()),
            Just("2026-10-01".to_string()),
            Just("1979-05-27T07:32:00Z".to_string()),
        ];
        leaf.prop_recursive(2, 6, 3, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..3)
                    .prop_map(|v| format!("[{}]", v.join(", "))),
                inner.prop_map(|v| format!("{{ x = {v} }}")),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn quick_toml_reads_what_the_json_path_reads(
            entries in proptest::collection::btree_map(
                "kind|id|title|status|part_of|depends_on|score|scored|retracted|superseded_by|url|published|other",
                toml_value(),
                0..6,
            )
        ) {
            let inner: String = entries.iter().map(|(k, v)| format!("{k} = {v}\n")).collect();
            let quick = quick_toml(&inner).map(|f| format!("{f:?}"));
            proptest::prop_assert_eq!(quick, via_json(&inner).map(|f| format!("{f:?}")));
        }
    }

    /// Values written plainly and every near miss: escapes, control characters, quotes that do
    /// not close, bad dates, leading zeros, signs, exponents, huge numbers, lists across kinds.
    fn plain_value_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let string = "\"[a-z é#=\\\\\t\u{7f}\u{1}'\"]{0,6}\"";
        prop_oneof![
            string,
            "'[a-z]{0,4}'",
            "\"\"\"[a-z]{0,3}\"\"\"",
            "[-+]?[0-9_]{1,4}(\\.[0-9_]{0,3})?([eE][-+]?[0-9]{1,3})?",
            "[0-9]{1,20}(\\.[0-9]{0,20})?",
            "[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}:[0-9]{2}Z?)?",
            "true|false|True|nan|inf|-inf",
            proptest::collection::vec(string, 0..3).prop_map(|v| format!("[{}]", v.join(","))),
            "\\[ ?(\"a\"|1|,)? ?(,|\"b\")? ?,? ?\\]",
            "\\{ x = 1 \\}",
            "",
        ]
    }

    /// A front matter line: mostly well formed, so that whole front matters often are, with
    /// near misses in each of its parts.
    fn plain_line() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let key = prop_oneof![
            6 => "kind|id|title|status|part_of|depends_on|score|scored|retracted|superseded_by|url|published|other",
            1 => "x\\.y|\"kind\"|k y|",
        ];
        let eq = prop_oneof![6 => "[ \t]{0,2}=[ \t]{0,2}", 1 => "=| |:|=="];
        let end = prop_oneof![6 => "[ \t]{0,2}", 1 => "[ \t]*# c|\r|,"];
        (key, eq, plain_value_text(), end).prop_map(|(k, eq, v, end)| format!("{k}{eq}{v}{end}\n"))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        #[test]
        fn plain_toml_reads_what_toml_reads_or_leaves_it_to_toml(
            lines in proptest::collection::vec(plain_line(), 0..4)
        ) {
            let inner = lines.concat();
            if let Some(plain) = plain_toml(&inner) {
                let toml: Option<TomlKeys> = toml::from_str(&inner).ok();
                proptest::prop_assert_eq!(Some(plain), toml);
            }
        }
    }

    #[test]
    fn plain_front_matter_is_read_without_the_toml_parser() {
        for inner in [
            "kind = \"concept\"\nstatus = \"active-frontier\"\npart_of = [\"c5293\"]\n",
            "kind = \"source\"\nurl = \"https://x.org/p\"\npublished = 2018-01-19\nretracted = true\n",
            "kind = \"thesis\"\nscore = 0.58\nscored = 2026-01-05\ndepends_on = [\"c1#k1\", \"c2\",]\n",
            "score = -3\ntitle=\"Genie 3 — 11B\"\n\n  other = [ ]\n",
            "",
        ] {
            let plain = plain_toml(inner);
            assert!(plain.is_some(), "{inner}");
            assert_eq!(plain, toml::from_str(inner).ok(), "{inner}");
        }
        for inner in [
            "kind = \"a\" # c\n",
            "kind = \"a\"\nkind = \"b\"\n",
            "kind = \"a\\tb\"\n",
            "kind = \"a\"\r\n",
            "score = 1e3\n",
            "scored = 2026-02-30\n",
        ] {
            assert_eq!(plain_toml(inner), None, "{inner}");
        }
    }

    #[test]
    fn a_key_is_found_at_its_line_and_a_missing_one_nowhere() {
        let text = "+++\nkind = \"concept\"\n  part_of = [\"a\"]\n+++\n";
        let lines = LineIndex::new(text);
        let inner = &text[4..text.len() - 4];
        let at = |key: &str| key_pos(inner, 4, text, key, &lines).map(|p| (p.line, p.col));
        assert_eq!(at("part_of"), Some((3, 3)));
        assert_eq!(at("depends_on"), None);
        assert_eq!(at("concept"), None, "a word in a value is no key");
    }

    #[test]
    fn a_rule_line_that_is_not_a_fence_is_body() {
        let idx = LineIndex::new("--- not a fence\n");
        let s = split("--- not a fence\n", Path::new("p.md"), &idx).expect("body");
        assert_eq!(s.body_start, 0);
    }
}
