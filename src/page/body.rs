//! The markdown walk of a page's body: list items, headings, tables and links collected into
//! buffers, each finished item handed to `claim`, each finished table to `table`.

use std::ops::Range;
use std::path::Path;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use rescore_graph::quantity::HIDDEN;

use super::claim::{anchored_without_evidence, claim, find_evidence};
use super::link::link_target;
use super::links::LinkList;
use super::table::Table;
use super::{Claim, PageKind, ParseContext, Role, Row};
use crate::claimtext;
use crate::diag::{Code, Diagnostic, LineIndex, Pos};

/// Text collected from one list item or table cell, with the links inside it.
#[derive(Default)]
pub(super) struct Buf {
    pub(super) text: String,
    /// (range in `text`, index into the page's links)
    pub(super) links: Vec<(Range<usize>, usize)>,
    /// Ranges of `text` that hold no quantity: the text of every link, and code spans.
    pub(super) hidden: Vec<Range<usize>>,
    /// Byte offset of the item in the file.
    pub(super) start: usize,
    /// Ranges of `text` that are inline code.
    pub(super) code: Vec<Range<usize>>,
    /// Ranges of `text` that are code blocks.
    pub(super) blocks: Vec<Range<usize>>,
    /// Positions in `text` of the line breaks that end a paragraph or code block.
    pub(super) breaks: Vec<usize>,
    /// Nested list items (that are no claims themselves) and tables, with the position in
    /// `text` where each one appeared: part of a claim's text.
    pub(super) children: Vec<(usize, Buf)>,
}

impl Buf {
    /// An empty buffer for the markdown at `range` of the file, with room for its text: the
    /// text is never longer than the markdown, so it is allocated once instead of growing.
    fn at(range: &Range<usize>) -> Buf {
        Buf {
            text: String::with_capacity(range.len()),
            start: range.start,
            ..Buf::default()
        }
    }

    /// An emptied buffer for the markdown at `range`, `spare`'s room reused if there is one: a
    /// page's list items come one after another, so one item's buffer (its text and each of
    /// its lists) serves the next instead of being freed and allocated again.
    fn reuse(spare: Option<Buf>, range: &Range<usize>) -> Buf {
        let Some(mut buf) = spare else {
            return Buf::at(range);
        };
        buf.text.clear();
        buf.text.reserve(range.len());
        buf.links.clear();
        buf.hidden.clear();
        buf.code.clear();
        buf.blocks.clear();
        buf.breaks.clear();
        buf.children.clear();
        buf.start = range.start;
        buf
    }

    /// Feeds the text, nested items and tables included, to a canonical-text builder and (less
    /// code blocks and link text) to `plain`; `cut` ranges of this item's own text are left out.
    pub(super) fn feed(
        &self,
        cut: &[Range<usize>],
        b: &mut claimtext::Builder,
        plain: &mut String,
    ) {
        // Segments between every place where what a character is can change.
        let ranges = [cut, &self.blocks, &self.code, &self.hidden];
        // One allocation of the exact size: collecting the chained ranges grew it step by step.
        let len = ranges.iter().map(|r| 2 * r.len()).sum::<usize>()
            + 2 * self.breaks.len()
            + self.children.len()
            + 2;
        let mut cuts: Vec<usize> = Vec::with_capacity(len);
        for r in ranges.into_iter().flatten() {
            cuts.extend([r.start, r.end]);
        }
        for &i in &self.breaks {
            cuts.extend([i, i + 1]);
        }
        cuts.extend(self.children.iter().map(|(at, _)| *at));
        cuts.extend([0, self.text.len()]);
        cuts.retain(|&i| i <= self.text.len());
        cuts.sort_unstable();
        cuts.dedup();
        let inside = |rs: &[Range<usize>], i: usize| rs.iter().any(|r| r.contains(&i));
        let mut kids = self.children.iter().peekable();
        for w in cuts.windows(2) {
            let (start, end) = (w[0], w[1]);
            while let Some((_, kid)) = kids.next_if(|(at, _)| *at <= start) {
                b.block();
                kid.feed(&[], b, plain);
                b.block();
                plain.push('\n');
            }
            if inside(cut, start) {
                continue;
            }
            if self.breaks.contains(&start) {
                b.block();
                plain.push('\n');
                continue;
            }
            let segment = &self.text[start..end];
            let block = inside(&self.blocks, start);
            let code = block || inside(&self.code, start);
            b.push_str(segment, code);
            // Numbers in link text (`[[V-JEPA 2]]`, `[#776](…)`) and code are no measurements.
            if inside(&self.hidden, start) {
                plain.push(HIDDEN);
            } else if !block {
                plain.push_str(segment);
            }
        }
        for (_, kid) in kids {
            b.block();
            kid.feed(&[], b, plain);
            plain.push('\n');
        }
    }
}

struct OpenLink {
    index: usize,
    text_start: usize,
}

pub(super) struct Body {
    pub(super) h1: Option<String>,
    pub(super) head: Option<Pos>,
    pub(super) claims: Vec<Claim>,
    pub(super) rows: Vec<Row>,
    pub(super) links: LinkList,
}

impl Body {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn parse(
        body: &str,
        base: usize,
        text: &str,
        lines: &LineIndex,
        path: &Path,
        kind: PageKind,
        cx: &ParseContext,
        diags: &mut Vec<Diagnostic>,
    ) -> Body {
        let mut out = Body {
            h1: None,
            head: None,
            claims: Vec::new(),
            rows: Vec::new(),
            links: LinkList::default(),
        };
        let opts =
            Options::ENABLE_WIKILINKS | Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
        let mut items: Vec<Buf> = Vec::new();
        let mut heading: Option<(pulldown_cmark::HeadingLevel, Buf)> = None;
        // Under a heading that starts with "Related" (up to level 3).
        let mut related = false;
        let mut table: Option<Table> = None;
        let mut open_links: Vec<OpenLink> = Vec::new();
        let mut code_block: Option<usize> = None;
        // The buffer of the last item read, kept for the next.
        let mut spare: Option<Buf> = None;
        // Where the page's markdown links are read from, found once for all of them.
        let dir = path.parent().unwrap_or(Path::new(""));

        for (event, range) in Parser::new_ext(body, opts).into_offset_iter() {
            let abs = base + range.start..base + range.end;
            match event {
                Event::Start(Tag::Item) => items.push(Buf::reuse(spare.take(), &abs)),
                Event::End(TagEnd::Item) => {
                    if let Some(buf) = items.pop() {
                        if kind == PageKind::Concept {
                            let evidence = find_evidence(&buf.text);
                            if evidence.is_none() {
                                diags.extend(anchored_without_evidence(&buf, text, lines, path));
                            }
                            let made = evidence.and_then(|marker| {
                                claim(
                                    &buf,
                                    marker,
                                    text,
                                    lines,
                                    path,
                                    cx,
                                    &mut out.links,
                                    out.claims.len(),
                                    diags,
                                )
                            });
                            match (made, items.last_mut()) {
                                (Some(claim), _) => {
                                    out.claims.push(claim);
                                    spare = Some(buf);
                                }
                                // A nested item is part of the text of the item it is in.
                                (None, Some(parent)) => {
                                    parent.children.push((parent.text.len(), buf));
                                }
                                (None, None) => spare = Some(buf),
                            }
                        } else {
                            spare = Some(buf);
                        }
                    }
                }
                Event::Start(Tag::CodeBlock(_)) => {
                    code_block = current(&mut table, &mut heading, &mut items).map(|b| {
                        // In a tight item the block follows the last line with no paragraph end.
                        if !b.text.is_empty() && !b.text.ends_with('\n') {
                            b.breaks.push(b.text.len());
                            b.text.push('\n');
                        }
                        b.text.len()
                    });
                }
                Event::End(TagEnd::CodeBlock) => {
                    if let (Some(start), Some(buf)) = (
                        code_block.take(),
                        current(&mut table, &mut heading, &mut items),
                    ) {
                        let end = buf.text.len();
                        buf.blocks.push(start..end);
                        buf.breaks.push(end);
                        buf.text.push('\n');
                    }
                }
                Event::Start(Tag::Heading { level, .. }) => heading = Some((level, Buf::at(&abs))),
                Event::End(TagEnd::Heading(_)) => {
                    if let Some((level, buf)) = heading.take() {
                        let t = buf.text.trim();
                        if level == pulldown_cmark::HeadingLevel::H1 && out.h1.is_none() {
                            out.head = Some(lines.span(text, abs.clone()));
                            out.h1 = Some(t.to_string());
                        }
                        if level <= pulldown_cmark::HeadingLevel::H3 {
                            related = is_related(t);
                        }
                    }
                }
                Event::Start(Tag::Table(_)) => table = Some(Table::default()),
                Event::End(TagEnd::Table) => {
                    if let Some(t) = table.take() {
                        if kind == PageKind::Concept {
                            if let Some(item) = items.last_mut() {
                                item.children.push((item.text.len(), t.as_text()));
                            }
                            t.rows_into(&mut out, text, lines);
                        }
                    }
                }
                Event::Start(Tag::TableHead) => {
                    if let Some(t) = table.as_mut() {
                        t.in_head = true;
                    }
                }
                Event::End(TagEnd::TableHead) => {
                    if let Some(t) = table.as_mut() {
                        t.in_head = false;
                    }
                }
                Event::Start(Tag::TableRow) => {
                    if let Some(t) = table.as_mut() {
                        t.body.push((abs.start, Vec::new()));
                    }
                }
                Event::Start(Tag::TableCell) => {
                    if let Some(t) = table.as_mut() {
                        t.cell = Some(Buf::at(&abs));
                    }
                }
                Event::End(TagEnd::TableCell) => {
                    if let Some(t) = table.as_mut() {
                        if let Some(cell) = t.cell.take() {
                            if t.in_head {
                                let name = crate::label::label(cell.text.trim());
                                t.head.push(name.trim().to_lowercase());
                            } else if let Some(row) = t.body.last_mut() {
                                row.1.push(cell);
                            }
                        }
                    }
                }
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    ..
                }) => {
                    let role = if related { Role::Related } else { Role::Body };
                    let pos = || lines.span(text, abs.clone());
                    let index =
                        link_target(link_type, &dest_url, dir).and_then(|(dest, anchor)| {
                            let index = out.links.push(dest.target(), anchor, role, pos());
                            if index.is_none() {
                                diags.push(too_much_link_text(path, pos()));
                            }
                            index
                        });
                    if let Some(index) = index {
                        let buf = current(&mut table, &mut heading, &mut items);
                        let text_start = buf.map_or(0, |b| b.text.len());
                        open_links.push(OpenLink { index, text_start });
                    } else {
                        let buf = current(&mut table, &mut heading, &mut items);
                        open_links.push(OpenLink {
                            index: usize::MAX,
                            text_start: buf.map_or(0, |b| b.text.len()),
                        });
                    }
                }
                Event::End(TagEnd::Link) => {
                    if let Some(open) = open_links.pop() {
                        if let Some(buf) = current(&mut table, &mut heading, &mut items) {
                            let end = buf.text.len();
                            buf.hidden.push(open.text_start..end);
                            if open.index != usize::MAX {
                                buf.links.push((open.text_start..end, open.index));
                            }
                        }
                    }
                }
                Event::Text(t) => {
                    if let Some(buf) = current(&mut table, &mut heading, &mut items) {
                        buf.text.push_str(&t);
                    }
                }
                Event::Code(t) => {
                    if let Some(buf) = current(&mut table, &mut heading, &mut items) {
                        let start = buf.text.len();
                        buf.text.push_str(&t);
                        buf.code.push(start..buf.text.len());
                        buf.hidden.push(start..buf.text.len());
                    }
                }
                Event::SoftBreak | Event::HardBreak => {
                    if let Some(buf) = current(&mut table, &mut heading, &mut items) {
                        buf.text.push('\n');
                    }
                }
                Event::End(TagEnd::Paragraph) => {
                    if let Some(buf) = current(&mut table, &mut heading, &mut items) {
                        buf.breaks.push(buf.text.len());
                        buf.text.push('\n');
                    }
                }
                _ => {}
            }
        }
        out
    }
}

/// A link whose name or path no longer fits in the page's link text (see `LinkList::push`).
fn too_much_link_text(path: &Path, pos: Pos) -> Diagnostic {
    Diagnostic::error(
        Code::Unreadable,
        path,
        pos,
        "the page's links name more than 4 GiB of pages and paths in all, and this one is not read",
    )
    .expected("a page whose links rescore can hold (4 GiB of names and paths at most)")
    .hint("split the page into smaller pages")
}

/// Whether a heading, lowercased, starts with "related". Its first seven bytes are compared
/// without lowercasing it: no character but an ASCII letter lowercases to one of these letters.
fn is_related(heading: &str) -> bool {
    heading
        .get(.."related".len())
        .is_some_and(|w| w.eq_ignore_ascii_case("related"))
}

/// The buffer text goes into: a table cell, a heading, or the innermost list item.
fn current<'a>(
    table: &'a mut Option<Table>,
    heading: &'a mut Option<(pulldown_cmark::HeadingLevel, Buf)>,
    items: &'a mut [Buf],
) -> Option<&'a mut Buf> {
    if let Some(cell) = table.as_mut().and_then(|t| t.cell.as_mut()) {
        return Some(cell);
    }
    if let Some((_, buf)) = heading.as_mut() {
        return Some(buf);
    }
    items.last_mut()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_related_heading_is_found_in_any_case() {
        for heading in ["Related", "related concepts", "RELATED work", "Related:"] {
            assert!(is_related(heading), "{heading}");
        }
        for heading in [
            "Relate",
            "Unrelated",
            "Relatéd",
            "Key claims",
            "",
            "Ŗelated",
        ] {
            assert!(!is_related(heading), "{heading}");
        }
    }

    /// `is_related` compares bytes because of this: a character other than an ASCII letter
    /// never lowercases to (text holding) a letter of "related".
    #[test]
    fn no_other_character_lowercases_to_a_letter_of_related() {
        let letters = |c: char| "related".contains(c);
        for c in (0..=0x10FFFF)
            .filter_map(char::from_u32)
            .filter(|c| !c.is_ascii())
        {
            assert!(!c.to_lowercase().any(letters), "{c:?}");
        }
    }

    #[test]
    fn a_reused_buffer_is_empty_but_for_its_room() {
        let mut used = Buf::at(&(3..40));
        used.text.push_str("a [[b]] `c`\n");
        used.links.push((2..3, 0));
        used.hidden.push(2..3);
        used.code.push(4..5);
        used.blocks.push(5..6);
        used.breaks.push(11);
        used.children.push((1, Buf::at(&(5..9))));
        let buf = Buf::reuse(Some(used), &(50..120));
        assert_eq!((buf.text.as_str(), buf.start), ("", 50));
        assert!(buf.text.capacity() >= 70);
        assert!(buf.links.is_empty() && buf.hidden.is_empty() && buf.code.is_empty());
        assert!(buf.blocks.is_empty() && buf.breaks.is_empty() && buf.children.is_empty());
    }
}
