//! A list item with an `Evidence:` line read as a claim: its id, level, qualifier, sources,
//! canonical text and quantities.

use std::ops::Range;
use std::path::Path;

use rescore_graph::quantity::{extract_quantities, normalise_text, normalise_words};

use super::body::Buf;
use super::links::LinkList;
use super::{slug, Claim, ClaimMaterial, ParseContext, Role};
use crate::claimtext;
use crate::diag::{did_you_mean, Code, Diagnostic, LineIndex, Pos};
use crate::whitespace;

/// How many words of a claim make its id when it has no `{#id}`.
const SLUG_WORDS: usize = 6;

/// Turns a list item with an `Evidence:` line (its marker's position and length in the item's
/// text, as `find_evidence` gives) into a claim.
#[allow(clippy::too_many_arguments)]
pub(super) fn claim(
    buf: &Buf,
    (ev, marker_len): (usize, usize),
    text: &str,
    lines: &LineIndex,
    path: &Path,
    cx: &ParseContext,
    links: &mut LinkList,
    index: usize,
    diags: &mut Vec<Diagnostic>,
) -> Option<Claim> {
    let item_pos = lines.span(text, buf.start..buf.start + 1);
    let id_marker = find_id(&buf.text[..ev]);
    let marker = &buf.text[ev..ev + marker_len];
    let after_start = ev + marker_len;
    let after = &buf.text[after_start..];
    let line_end = after.find('\n').unwrap_or(after.len());
    let evidence_line = &after[..line_end];
    let groups = paren_groups(evidence_line);
    let level_end = groups.first().map_or(evidence_line.len(), |g| g.start - 1);
    let level_word = evidence_line[..level_end]
        .trim()
        .trim_end_matches(['.', ',', ';'])
        .trim();
    let level = match cx.scale.canonical(level_word) {
        Some(l) => l.to_string(),
        None => {
            let level_pos =
                evidence_pos(text, lines, buf.start, marker).unwrap_or(item_pos.clone());
            let mut d = Diagnostic::error(
                Code::UnknownEvidenceLevel,
                path,
                level_pos,
                if level_word.is_empty() {
                    "evidence line names no level".to_string()
                } else {
                    format!("unknown evidence level `{level_word}`")
                },
            )
            .expected(format!(
                "a level of the evidence scale: {}",
                cx.scale.words().collect::<Vec<_>>().join(", ")
            ));
            d = match did_you_mean(level_word, cx.scale.words()) {
                Some(near) if !level_word.is_empty() => d.hint(format!("did you mean `{near}`?")),
                _ => d.hint("write `Evidence: LEVEL (QUALIFIER) (SOURCES)`, or change the scale in rescore.toml"),
            };
            diags.push(d);
            return None;
        }
    };
    let (qualifier, sources_group) = match groups.len() {
        0 => (None, None),
        1 => (None, Some(groups[0].clone())),
        n => (
            Some(normalise_text(&evidence_line[groups[0].clone()])),
            Some(groups[n - 1].clone()),
        ),
    };
    let mut bare_sources = Vec::new();
    if let Some(g) = sources_group {
        let abs = after_start + g.start..after_start + g.end;
        // A link in the group separates names as a comma would: the text around the links is
        // read piece by piece, not joined with commas first.
        let mut last = abs.start;
        for (r, li) in &buf.links {
            if r.start >= abs.start && r.end <= abs.end {
                links.set_role(*li, Role::ClaimSource(index as u32));
                push_names(&buf.text[last..r.start], &mut bare_sources);
                last = r.end;
            }
        }
        push_names(&buf.text[last..abs.end], &mut bare_sources);
    }
    // The claim's text is the whole item but its id marker and Evidence line.
    let evidence = ev..after_start + line_end;
    let both;
    let cut = match &id_marker {
        Some((marker, _)) => {
            both = [evidence, marker.clone()];
            &both[..]
        }
        None => std::slice::from_ref(&evidence),
    };
    let mut builder = claimtext::Builder::with_capacity(buf.text.len());
    let mut plain = String::with_capacity(buf.text.len());
    buf.feed(cut, &mut builder, &mut plain);
    let (id, explicit_id) = match id_marker {
        Some((_, id)) => (id.into(), true),
        None => (super::fit::boxed_str(claim_slug(&buf.text[..ev])), false),
    };
    // Quantities come from the text before lowercasing ("1.5M" is mega, "1.5m" is not), with
    // line breaks folded so a reflowed claim reads the same, without code blocks, and without
    // footnote and reference marks (`[^8]`, `[12]`, `#776`), which are no measurements.
    let folded = whitespace::fold(&crate::tokens::without_marks(&plain));
    let quantities = extract_quantities(&folded);
    Some(Claim {
        explicit_id,
        id,
        bare_sources: super::fit::boxed(bare_sources),
        material: Some(Box::new(ClaimMaterial {
            level: level.into(),
            qualifier: qualifier.map(Into::into),
            // Copied into an allocation of its own size: the builder's has room for the markdown.
            text: builder.finish().as_str().into(),
            quantities: super::fit::boxed(quantities),
        })),
        pos: item_pos,
    })
}

/// The source names in `s`, apart at commas and semicolons, trimmed, the empty ones left out.
fn push_names(s: &str, names: &mut Vec<Box<str>>) {
    for name in s.split([',', ';']) {
        let n = name.trim();
        if !n.is_empty() {
            names.push(n.into());
        }
    }
}

/// The id of a claim without a `{#id}`: the slug of the first words of its normalised text.
fn claim_slug(text: &str) -> String {
    // Quotes around the whole text are stripped by the normalisation, which the first words
    // cannot tell; the slug of ASCII words needs no normalising (case, dashes and quotes are
    // no alphanumerics, so the slug drops or folds them anyway).
    let quoted = text
        .trim_start()
        .starts_with(|c: char| c.is_ascii_punctuation() || !c.is_ascii());
    if !quoted {
        if let Some(id) = ascii_words_slug(text, SLUG_WORDS) {
            return id;
        }
    }
    slug(&normalise_words(text, SLUG_WORDS))
}

/// The slug of the first `n` whitespace-separated words of `s`, or `None` if a character
/// before their end is not ASCII.
fn ascii_words_slug(s: &str, n: usize) -> Option<String> {
    // Room for the whole text: a slug that grew a byte at a time was reallocated four times.
    let mut out = String::with_capacity(s.len());
    let (mut words, mut in_word, mut dash) = (0, false, false);
    for &b in s.as_bytes() {
        if !b.is_ascii() {
            return None;
        }
        if whitespace::is_ascii_space(b) {
            dash = true;
            if in_word {
                in_word = false;
                words += 1;
                if words == n {
                    break;
                }
            }
            continue;
        }
        in_word = true;
        if b.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            out.push(char::from(b.to_ascii_lowercase()));
            dash = false;
        } else {
            dash = true;
        }
    }
    Some(out)
}

/// The Evidence line's marker in the item text: its byte position and length. `Evidence:` counts
/// at a line start or after whitespace. Near-misses whose intent is plain count at a line start
/// only: `evidence:` in any case, `Evidence -` / `–` / `—` (a dash followed by a space). The
/// last marker wins.
pub(super) fn find_evidence(s: &str) -> Option<(usize, usize)> {
    // Runs on every list item: a colon is rare in a claim, so the markers are found as the
    // colons after `Evidence`, with no searcher set up per item. `Evidence:` cannot overlap
    // itself, so these are all its matches.
    const WORD: &str = "Evidence";
    let mut found = None;
    for colon in memchr::memchr_iter(b':', s.as_bytes()) {
        let Some(at) = colon.checked_sub(WORD.len()) else {
            continue;
        };
        let marked = s.as_bytes()[at..colon] == *WORD.as_bytes();
        if marked && (at == 0 || s[..at].ends_with(char::is_whitespace)) {
            found = Some((at, "Evidence:".len()));
        }
    }
    // Lines found with the SIMD `memchr`, not `split_inclusive`'s byte-wise search.
    let mut line_start = 0;
    while line_start < s.len() {
        let line_end = memchr::memchr(b'\n', &s.as_bytes()[line_start..])
            .map_or(s.len(), |k| line_start + k + 1);
        let line = &s[line_start..line_end];
        let indent = line.len() - line.trim_start().len();
        let at = line_start + indent;
        if let Some(len) = near_miss(&line[indent..]) {
            if found.is_none_or(|(f, _)| at > f) {
                found = Some((at, len));
            }
        }
        line_start = line_end;
    }
    found
}

/// The length of an Evidence marker written another way at the start of `line`, if any.
fn near_miss(line: &str) -> Option<usize> {
    const WORD: &str = "evidence";
    if !line.get(..WORD.len())?.eq_ignore_ascii_case(WORD) {
        return None;
    }
    let rest = &line[WORD.len()..];
    let spaced = rest.trim_start_matches([' ', '\t']);
    let mark = spaced.chars().next()?;
    let after = &spaced[mark.len_utf8()..];
    let ends = after.is_empty() || after.starts_with(char::is_whitespace);
    let len = line.len() - after.len();
    match mark {
        ':' => Some(len),
        '-' | '–' | '—' if ends && spaced.len() < rest.len() => Some(len),
        _ => None,
    }
}

/// A warning for a concept's list item without an Evidence line that carries a `{#id}`: it is
/// meant as a claim, and a thesis linking to its anchor would find nothing.
pub(super) fn anchored_without_evidence(
    buf: &Buf,
    text: &str,
    lines: &LineIndex,
    path: &Path,
) -> Option<Diagnostic> {
    let id = find_id(&buf.text)?.1;
    let marker = format!("{{#{id}}}");
    let at = text
        .get(buf.start..)
        .and_then(|rest| rest.find(&marker))
        .map_or(buf.start..buf.start + 1, |i| {
            buf.start + i..buf.start + i + marker.len()
        });
    Some(
        Diagnostic::warning(
            Code::ClaimWithoutEvidence,
            path,
            lines.span(text, at),
            format!("list item `{{#{id}}}` has no Evidence line, so it is no claim"),
        )
        .expected("a claim: `Evidence: LEVEL (QUALIFIER) (SOURCES)` on a line of the item")
        .hint("add an `Evidence:` line to the item, or remove the `{#id}` if it is no claim"),
    )
}

/// The first `{#id}` marker: its range in `s` and the id.
fn find_id(s: &str) -> Option<(Range<usize>, &str)> {
    // Runs on every list item: `memmem::find` would build a searcher for the two bytes each time.
    let b = s.as_bytes();
    let open = memchr::memchr_iter(b'{', b).find(|&i| b.get(i + 1) == Some(&b'#'))?;
    let len = s[open..].find('}')?;
    let id = s[open + 2..open + len].trim();
    (!id.is_empty() && !id.contains(char::is_whitespace)).then_some((open..open + len + 1, id))
}

/// Top-level parenthesised groups of a line, as ranges of their contents.
fn paren_groups(s: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' => {
                if depth == 0 {
                    start = i + 1;
                }
                depth += 1;
            }
            ')' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    out.push(start..i);
                }
            }
            _ => {}
        }
    }
    out
}

fn evidence_pos(text: &str, lines: &LineIndex, from: usize, needle: &str) -> Option<Pos> {
    let rest = text.get(from..)?;
    // A near-miss may differ in case from the rendered text only by ASCII letters.
    let at = rest.find(needle).or_else(|| {
        rest.char_indices().map(|(i, _)| i).find(|&i| {
            rest.get(i..i + needle.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(needle))
        })
    })? + from;
    let level_start = at + needle.len();
    let rest = text.get(level_start..)?;
    let skip = rest.len() - rest.trim_start().len();
    let end = rest.find(['(', '\n']).unwrap_or(rest.len());
    let start = level_start + skip.min(end);
    Some(lines.span(text, start..(level_start + end).max(start)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `find_evidence` with the lines split by `split_inclusive`, as it was written first.
    fn reference_find_evidence(s: &str) -> Option<(usize, usize)> {
        let mut found = None;
        let mut at = 0;
        while let Some(k) = s[at..].find("Evidence:") {
            let i = at + k;
            if i == 0 || s[..i].ends_with(char::is_whitespace) {
                found = Some((i, "Evidence:".len()));
            }
            at = i + 1;
        }
        let mut line_start = 0;
        for line in s.split_inclusive('\n') {
            let indent = line.len() - line.trim_start().len();
            let at = line_start + indent;
            if let Some(len) = near_miss(&line[indent..]) {
                if found.is_none_or(|(f, _)| at > f) {
                    found = Some((at, len));
                }
            }
            line_start += line.len();
        }
        found
    }

    proptest::proptest! {
        #[test]
        fn find_evidence_is_the_line_by_line_reference(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "Evidence:", "evidence", "EVIDENCE", " :", ":", " - ", " – ", "—", "\n", "\n  ",
                    " ", "\u{a0}", "é", "x", "strong (s)", "\t",
                ]),
                0..12,
            )
        ) {
            let s = parts.concat();
            proptest::prop_assert_eq!(find_evidence(&s), reference_find_evidence(&s));
        }

        #[test]
        fn claim_slug_is_the_slug_of_the_normalised_first_words(
            s in "[a-zA-Z0-9 \t\n\u{b}\"'`“«—–.,(é\u{a0}\u{2003}-]{0,60}"
        ) {
            proptest::prop_assert_eq!(claim_slug(&s), slug(&normalise_words(&s, SLUG_WORDS)));
        }
    }

    #[test]
    fn the_first_id_marker_is_found_past_other_braces() {
        assert_eq!(find_id("a {x} {#k1} {#k2}"), Some((6..11, "k1")));
        assert_eq!(find_id("a {#} {#k1}"), None, "the first marker is empty");
        assert_eq!(find_id("a {"), None);
        assert_eq!(find_id("a #{k1} {#k2"), None);
    }

    #[test]
    fn evidence_groups_split_qualifier_and_sources() {
        let g = paren_groups(" strong (vendor (technical) report) ([Genie 3])");
        assert_eq!(g.len(), 2);
    }

    #[test]
    fn evidence_near_misses_are_found_at_a_line_start_only() {
        fn marker(s: &str) -> Option<&str> {
            find_evidence(s).map(|(at, len)| &s[at..at + len])
        }
        assert_eq!(marker("claim\nEvidence: strong"), Some("Evidence:"));
        assert_eq!(marker("claim\n  evidence: strong"), Some("evidence:"));
        assert_eq!(marker("claim\nEVIDENCE : strong"), Some("EVIDENCE :"));
        assert_eq!(marker("claim\nEvidence - moderate"), Some("Evidence -"));
        assert_eq!(marker("claim\nEvidence – weak"), Some("Evidence –"));
        assert_eq!(marker("claim\nEvidence-based medicine"), None);
        assert_eq!(marker("claim\nEvidence suggests so"), None);
        assert_eq!(marker("we lack evidence: more runs"), None);
        assert_eq!(marker("we lack evidence - more runs"), None);
    }

    #[test]
    fn the_last_evidence_marker_after_whitespace_wins() {
        let s = "a Evidence: weak\nb Evidence: strong (s)\nxEvidence: none";
        assert_eq!(
            find_evidence(s),
            Some((s.find("Evidence: strong").unwrap_or(0), 9))
        );
        assert_eq!(find_evidence("Evidence: weak"), Some((0, 9)));
        assert_eq!(find_evidence("noEvidence: weak"), None);
        assert_eq!(find_evidence("é Evidence: weak"), Some(("é ".len(), 9)));
    }
}
