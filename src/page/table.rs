//! A benchmark table (columns Metric and Value) read as rows, and any table as text inside a claim.

use std::borrow::Cow;
use std::ops::Range;

use rescore_graph::quantity::{normalise_text, parse_value, Value, HIDDEN};

use super::body::{Body, Buf};
use super::{push_slug, Role, Row};
use crate::diag::LineIndex;

/// `text` with each hidden range (clipped to the text) replaced by one [`HIDDEN`] mark.
fn hide<'a>(text: &'a str, hidden: &[Range<usize>]) -> Cow<'a, str> {
    if hidden.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut ranges = hidden.to_vec();
    ranges.sort_by_key(|r| r.start);
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for r in &ranges {
        let (start, end) = (r.start.max(last), r.end.min(text.len()));
        if start >= end || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            continue;
        }
        out.push_str(&text[last..start]);
        out.push(HIDDEN);
        last = end;
    }
    out.push_str(&text[last..]);
    Cow::Owned(out)
}

/// A benchmark cell's value without footnote marks: its numbers, read with link text and code
/// hidden, or its text.
fn cell_value(cell: &Buf) -> Value {
    let hidden = hide(&cell.text, &cell.hidden);
    match parse_value(&crate::label::value(hidden.trim())) {
        Value::Text { .. } => Value::Text {
            text: normalise_text(&crate::label::value(cell.text.trim())),
        },
        numbers => numbers,
    }
}

#[derive(Default)]
pub(super) struct Table {
    pub(super) head: Vec<String>,
    pub(super) in_head: bool,
    pub(super) body: Vec<(usize, Vec<Buf>)>,
    pub(super) cell: Option<Buf>,
}

impl Table {
    /// The table as text inside a claim: a line per row, cells apart.
    pub(super) fn as_text(&self) -> Buf {
        let mut out = Buf::default();
        let head = self.head.iter().map(|h| Buf {
            text: h.clone(),
            ..Buf::default()
        });
        let mut rows: Vec<Vec<&Buf>> = Vec::new();
        let head: Vec<Buf> = head.collect();
        rows.push(head.iter().collect());
        rows.extend(self.body.iter().map(|(_, cells)| cells.iter().collect()));
        for row in rows {
            for (i, cell) in row.into_iter().enumerate() {
                if i > 0 {
                    out.text.push_str(" | ");
                }
                let at = out.text.len();
                out.text.push_str(&cell.text);
                let shift = |r: &Range<usize>| r.start + at..r.end + at;
                out.code.extend(cell.code.iter().map(shift));
            }
            out.breaks.push(out.text.len());
            out.text.push('\n');
        }
        out
    }

    pub(super) fn rows_into(self, out: &mut Body, text: &str, lines: &LineIndex) {
        let col = |name: &str| self.head.iter().position(|h| h == name);
        let (Some(metric), Some(value)) = (col("metric"), col("value")) else {
            return;
        };
        let system = col("system");
        let source = col("source").or(col("sources"));
        for (start, cells) in self.body {
            let cell = |i: usize| cells.get(i).map_or("", |c| c.text.trim());
            // Footnote marks are decoration: the row and its value stay what they were.
            let labelled = |i: usize| match crate::label::label(cell(i)) {
                Cow::Borrowed(s) => Cow::Borrowed(s.trim()),
                Cow::Owned(s) => Cow::Owned(s.trim().to_string()),
            };
            let m = labelled(metric);
            if m.is_empty() {
                continue;
            }
            let sys = system.map(labelled).filter(|s| !s.is_empty());
            let mut id = row_id(&m, sys.as_deref());
            // `GPQA` and `GPQA¹` in one table are two rows: the marked one keeps its mark.
            if out.rows.iter().any(|r| *r.id == *id) {
                let raw_sys = system.map(cell).filter(|s| !s.is_empty());
                id = row_id(cell(metric), raw_sys);
            }
            let index = out.rows.len();
            if let Some(c) = source.and_then(|i| cells.get(i)) {
                for (_, li) in &c.links {
                    out.links.set_role(*li, Role::RowSource(index as u32));
                }
            }
            let pos = lines.span(text, start..start + 1);
            out.rows.push(Row {
                id: super::fit::boxed_str(id),
                value: Some(Box::new(
                    cells.get(value).map_or_else(|| parse_value(""), cell_value),
                )),
                pos,
            });
        }
    }
}

/// `slug(metric)@slug(system)`, or `slug(metric)` without a system, built in one text with
/// room for both.
fn row_id(metric: &str, system: Option<&str>) -> String {
    let mut id = String::with_capacity(metric.len() + system.map_or(0, |s| 1 + s.len()));
    push_slug(metric, &mut id);
    if let Some(s) = system {
        id.push('@');
        push_slug(s, &mut id);
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page::slug;

    proptest::proptest! {
        #[test]
        fn a_row_id_is_the_slugs_of_its_metric_and_system(
            metric in "[a-zA-Z0-9 é¹^()-]{0,12}",
            system in proptest::option::of("[a-zA-Z0-9 é.-]{0,12}"),
        ) {
            let apart = match &system {
                Some(s) => format!("{}@{}", slug(&metric), slug(s)),
                None => slug(&metric),
            };
            proptest::prop_assert_eq!(row_id(&metric, system.as_deref()), apart);
        }
    }
}
