//! Where each key of a TOML settings file is written, so a diagnostic about a setting points
//! at its line and column rather than at the top of the file.

use std::collections::HashMap;
use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::diag::{LineIndex, Pos};

/// Positions by dotted path: `rules.threshold.value-shift`, `rules.disable[1]`,
/// `rules.rule[0].compare`. A path points at its value; a table at its key or header.
#[derive(Debug, Clone, Default)]
pub struct KeySpans {
    at: HashMap<String, Pos>,
}

impl KeySpans {
    /// Positions of every key of `table`, parsed from `text`.
    pub fn of_table(text: &str, table: &DeTable<'_>) -> KeySpans {
        let mut spans = KeySpans::default();
        let lines = LineIndex::new(text);
        spans.add_table(text, &lines, "", table);
        spans
    }

    /// The position of a path, else of the nearest enclosing key that has one, else 1:1.
    pub fn of(&self, path: &str) -> Pos {
        let mut p = path;
        loop {
            if let Some(pos) = self.at.get(p) {
                return pos.clone();
            }
            match p.rfind(['.', '[']) {
                Some(cut) => p = &p[..cut],
                None => return Pos::at(1, 1),
            }
        }
    }

    fn add_table(&mut self, text: &str, lines: &LineIndex, prefix: &str, table: &DeTable<'_>) {
        for (key, value) in table {
            let path = if prefix.is_empty() {
                key.get_ref().to_string()
            } else {
                format!("{prefix}.{}", key.get_ref())
            };
            self.add_value(text, lines, path, key.span(), value);
        }
    }

    fn add_value(
        &mut self,
        text: &str,
        lines: &LineIndex,
        path: String,
        key: Range<usize>,
        value: &Spanned<DeValue<'_>>,
    ) {
        let span = match value.get_ref() {
            DeValue::Table(_) => key.clone(),
            _ if value.span().is_empty() => key.clone(),
            _ => value.span(),
        };
        match value.get_ref() {
            DeValue::Table(t) => self.add_table(text, lines, &path, t),
            DeValue::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let item_key = if item.span().is_empty() {
                        key.clone()
                    } else {
                        item.span()
                    };
                    self.add_value(text, lines, format!("{path}[{i}]"), item_key, item);
                }
            }
            _ => {}
        }
        self.at.insert(path, lines.span(text, span));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_keys_and_array_items_are_located() {
        let text = "exclude = [\"a\", \"b\"]\n[rules]\nflag_at = \"major\"\n[rules.threshold]\nvalue-shift = nan\n[[rules.rule]]\nname = \"x\"\n";
        let doc = DeTable::parse(text).expect("valid TOML");
        let spans = KeySpans::of_table(text, doc.get_ref());
        let at = |p: &str| {
            let pos = spans.of(p);
            (pos.line, pos.col)
        };
        assert_eq!(at("exclude[1]"), (1, 17));
        assert_eq!(at("rules.flag_at"), (3, 11));
        assert_eq!(at("rules.threshold.value-shift"), (5, 15));
        assert_eq!(at("rules.rule[0].name"), (7, 8));
        // An unknown path falls back to its nearest known parent.
        assert_eq!(at("rules.threshold.value-shift.deeper"), (5, 15));
        assert_eq!(at("nowhere"), (1, 1));
    }
}
