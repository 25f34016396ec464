//! What changed in a claim's text: the old and new canonical texts are diffed token by token
//! and every changed span is put in classes. Rules of compare kind `span-changed` fire on the
//! classes they list; a class no rule lists is cosmetic. The word lists are data (`[text]` in
//! `rules/default.toml`, overridable in `rescore.toml`); docs/rules.md describes each class.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::ops::Range;

use rescore_graph::quantity::{extract_quantities, Quantity};
use serde::{Deserialize, Serialize};
use similar::{capture_diff_slices, Algorithm, DiffTag};

use crate::tokens::{tokenize, Kind, Token};

/// The class of a changed span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextClass {
    /// A negation added, removed or swapped: `not`, `never`, `cannot`, `non-`.
    Negation,
    /// A modal verb: `shall`, `must`, `may`, `should`.
    Modal,
    /// A quantifier or comparison: `all`, `most`, `only`, `outperforms`, `better`, `>`.
    Quantifier,
    /// Any word of a code span, inline math or a command after a `$ ` prompt.
    Code,
    /// A named thing: a system, dataset, command or identifier.
    Name,
    /// A number that is not a quantity (a version, an annotation like `5-shot`).
    Number,
    /// A whole sentence, paragraph or nested item added or removed.
    Sentence,
    /// A content word replaced, added or removed.
    Word,
    /// A date: a month or a year.
    Date,
    /// Only hyphenation, joined or split words, marks around numbers, a number respelled.
    Punctuation,
    /// An article (`a`, `an`, `the`) added, removed or swapped.
    Article,
    /// A footnote or reference mark.
    Footnote,
    /// A shell prompt marker (`$ `).
    Prompt,
    /// A typo fixed inside one word.
    Typo,
}

impl TextClass {
    pub const ALL: [TextClass; 14] = [
        TextClass::Negation,
        TextClass::Modal,
        TextClass::Quantifier,
        TextClass::Code,
        TextClass::Name,
        TextClass::Number,
        TextClass::Sentence,
        TextClass::Word,
        TextClass::Date,
        TextClass::Punctuation,
        TextClass::Article,
        TextClass::Footnote,
        TextClass::Prompt,
        TextClass::Typo,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TextClass::Negation => "negation",
            TextClass::Modal => "modal",
            TextClass::Quantifier => "quantifier",
            TextClass::Code => "code",
            TextClass::Name => "name",
            TextClass::Number => "number",
            TextClass::Sentence => "sentence",
            TextClass::Word => "word",
            TextClass::Date => "date",
            TextClass::Punctuation => "punctuation",
            TextClass::Article => "article",
            TextClass::Footnote => "footnote",
            TextClass::Prompt => "prompt",
            TextClass::Typo => "typo",
        }
    }
}

impl fmt::Display for TextClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `[text]` table of a rule file or `rescore.toml`: each key given replaces that list.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextSpec {
    #[serde(default)]
    pub negation: Option<Vec<String>>,
    #[serde(default)]
    pub negation_suffixes: Option<Vec<String>>,
    #[serde(default)]
    pub modal: Option<Vec<String>>,
    #[serde(default)]
    pub quantifier: Option<Vec<String>>,
    #[serde(default)]
    pub article: Option<Vec<String>>,
    #[serde(default)]
    pub month: Option<Vec<String>>,
    #[serde(default)]
    pub typo_min_length: Option<usize>,
    #[serde(default)]
    pub typo_max_edits: Option<usize>,
}

impl TextSpec {
    /// Each key `other` sets replaces the one here.
    pub fn overlay(&mut self, other: &TextSpec) {
        let o = other.clone();
        self.negation = o.negation.or(self.negation.take());
        self.negation_suffixes = o.negation_suffixes.or(self.negation_suffixes.take());
        self.modal = o.modal.or(self.modal.take());
        self.quantifier = o.quantifier.or(self.quantifier.take());
        self.article = o.article.or(self.article.take());
        self.month = o.month.or(self.month.take());
        self.typo_min_length = o.typo_min_length.or(self.typo_min_length);
        self.typo_max_edits = o.typo_max_edits.or(self.typo_max_edits);
    }
}

/// One changed span: the old and new text (with a word of context when one side is empty) and
/// its classes, most telling first.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub old: String,
    pub new: String,
    pub classes: Vec<TextClass>,
}

/// The word lists, ready to look words up.
#[derive(Debug, Clone)]
pub struct Classifier {
    negation: HashSet<String>,
    negation_suffixes: Vec<String>,
    modal: HashSet<String>,
    quantifier: HashSet<String>,
    article: HashSet<String>,
    month: HashSet<String>,
    typo_min_length: usize,
    typo_max_edits: usize,
}

/// One side of a diff: its text and tokens.
struct Side<'a> {
    text: &'a str,
    tokens: Vec<Token>,
}

impl Side<'_> {
    fn token(&self, i: usize) -> Option<&Token> {
        self.tokens.get(i)
    }

    fn text_of(&self, t: &Token) -> &str {
        t.text(self.text)
    }

    /// The text from the token before `r` to the token after it, without backticks.
    fn context(&self, r: &Range<usize>) -> String {
        let lo = r.start.saturating_sub(1);
        let hi = (r.end + 1).min(self.tokens.len());
        if lo >= hi {
            return String::new();
        }
        self.text[self.tokens[lo].span.start..self.tokens[hi - 1].span.end].replace('`', "")
    }

    fn show(&self, r: &Range<usize>) -> String {
        if r.is_empty() {
            return String::new();
        }
        let s = &self.text[self.tokens[r.start].span.start..self.tokens[r.end - 1].span.end];
        let s = s.trim_matches('`').replace('\n', " ");
        if s.chars().count() > 80 {
            let short: String = s.chars().take(79).collect();
            format!("{short}…")
        } else {
            s
        }
    }
}

fn set(words: &Option<Vec<String>>) -> HashSet<String> {
    words
        .iter()
        .flatten()
        .map(|w| w.trim().to_lowercase().replace('’', "'"))
        .collect()
}

fn same_quantities(a: &[Quantity], b: &[Quantity]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.same_dimension(y) && x.relative_change(y) == 0.0)
}

impl Classifier {
    pub fn from_spec(spec: &TextSpec) -> Classifier {
        Classifier {
            negation: set(&spec.negation),
            negation_suffixes: spec
                .negation_suffixes
                .iter()
                .flatten()
                .map(|w| w.to_lowercase().replace('’', "'"))
                .collect(),
            modal: set(&spec.modal),
            quantifier: set(&spec.quantifier),
            article: set(&spec.article),
            month: set(&spec.month),
            typo_min_length: spec.typo_min_length.unwrap_or(4),
            typo_max_edits: spec.typo_max_edits.unwrap_or(1),
        }
    }

    /// Every changed span between two canonical claim texts, in text order. Spans whose
    /// numbers only moved as quantities (the value rules' business) are left out.
    pub fn spans(&self, old: &str, new: &str) -> Vec<Span> {
        let a = Side {
            text: old,
            tokens: tokenize(old),
        };
        let b = Side {
            text: new,
            tokens: tokenize(new),
        };
        let ka: Vec<&str> = a.tokens.iter().map(|t| t.key.as_str()).collect();
        // A word with a typo fixed is the same word to the diff, so that the fix cannot throw
        // the alignment off (`planner planner` → `plnaner planner`).
        let aliases = self.typo_aliases(&a, &b);
        let kb: Vec<&str> = b
            .tokens
            .iter()
            .map(|t| aliases.get(t.key.as_str()).copied().unwrap_or(&t.key))
            .collect();
        let ops = capture_diff_slices(Algorithm::Myers, &ka, &kb);
        let mut groups: Vec<(Range<usize>, Range<usize>)> = Vec::new();
        let mut open: Option<(Range<usize>, Range<usize>)> = None;
        for op in &ops {
            if op.tag() == DiffTag::Equal {
                groups.extend(open.take());
                continue;
            }
            let (o, n) = (op.old_range(), op.new_range());
            open = Some(match open.take() {
                Some((po, pn)) => (po.start..o.end.max(po.end), pn.start..n.end.max(pn.end)),
                None => (o, n),
            });
        }
        groups.extend(open);
        // A run of words deleted in one place and inserted unchanged in another was moved:
        // reordered items or sentences say the same. The run may be a whole change or the start
        // or end of one.
        let mut moved = vec![false; groups.len()];
        for d in 0..groups.len() {
            let pure_delete = groups[d].1.is_empty() && !groups[d].0.is_empty();
            let pure_insert = groups[d].0.is_empty() && !groups[d].1.is_empty();
            if moved[d] || !(pure_delete || pure_insert) {
                continue;
            }
            let run: Vec<&str> = if pure_delete {
                ka[groups[d].0.clone()].to_vec()
            } else {
                kb[groups[d].1.clone()].to_vec()
            };
            for k in (0..groups.len()).filter(|&k| k != d && !moved[k]) {
                let (side, keys) = if pure_delete {
                    (&mut groups[k].1, &kb)
                } else {
                    (&mut groups[k].0, &ka)
                };
                let len = run.len();
                if side.len() < len {
                    continue;
                }
                if keys[side.start..side.start + len] == run[..] {
                    side.start += len;
                } else if keys[side.end - len..side.end] == run[..] {
                    side.end -= len;
                } else {
                    continue;
                }
                moved[d] = true;
                moved[k] = groups[k].0.is_empty() && groups[k].1.is_empty();
                break;
            }
        }
        // A run deleted in one place and a run inserted in another that share most of their
        // words at one end are one item moved and edited: compared as one change.
        for d in 0..groups.len() {
            if moved[d] || !groups[d].1.is_empty() || groups[d].0.is_empty() {
                continue;
            }
            let old_run = &ka[groups[d].0.clone()];
            let twin = (0..groups.len()).find(|&k| {
                let new_run = &kb[groups[k].1.clone()];
                let shared = common_end(old_run, new_run);
                !moved[k]
                    && groups[k].0.is_empty()
                    && !new_run.is_empty()
                    && shared * 2 >= old_run.len().min(new_run.len())
            });
            if let Some(k) = twin {
                groups[d].1 = groups[k].1.clone();
                moved[k] = true;
            }
        }
        groups
            .into_iter()
            .zip(moved)
            .filter(|(_, m)| !m)
            .map(|(g, _)| g)
            .filter_map(|(o, n)| {
                let classes = self.classify(&a, &o, &b, &n);
                if classes.is_empty() {
                    return None;
                }
                // With one side empty, both show the word before (or after) the change.
                let (so, sn) = if o.is_empty() || n.is_empty() {
                    if o.start > 0 && n.start > 0 {
                        (o.start - 1..o.end, n.start - 1..n.end)
                    } else {
                        (o.start..o.end + 1, n.start..n.end + 1)
                    }
                } else {
                    (o, n)
                };
                let clip = |r: Range<usize>, len: usize| r.start.min(len)..r.end.min(len);
                Some(Span {
                    old: a.show(&clip(so, a.tokens.len())),
                    new: b.show(&clip(sn, b.tokens.len())),
                    classes,
                })
            })
            .collect()
    }

    /// New words that are a typo fix of an old word that is gone (it occurs fewer times in the
    /// new text), mapped to that old word.
    fn typo_aliases<'t>(&self, a: &'t Side, b: &'t Side) -> HashMap<&'t str, &'t str> {
        let count = |s: &'t Side| {
            let mut n: HashMap<&'t str, usize> = HashMap::new();
            for t in &s.tokens {
                *n.entry(t.key.as_str()).or_default() += 1;
            }
            n
        };
        let (old, new) = (count(a), count(b));
        let gone: Vec<usize> = (0..a.tokens.len())
            .filter(|&i| {
                let k = a.tokens[i].key.as_str();
                old.get(k) > new.get(k).or(Some(&0))
            })
            .collect();
        let mut out = HashMap::new();
        for (j, t) in b.tokens.iter().enumerate() {
            if old.contains_key(t.key.as_str()) || out.contains_key(t.key.as_str()) {
                continue;
            }
            if let Some(&i) = gone.iter().find(|&&i| self.typo((a, i), (b, j))) {
                out.insert(t.key.as_str(), a.tokens[i].key.as_str());
            }
        }
        out
    }

    fn is_negation(&self, key: &str) -> bool {
        self.negation.contains(key)
            || self
                .negation_suffixes
                .iter()
                .any(|s| key.ends_with(s.as_str()))
            || key.split('-').any(|p| self.negation.contains(p))
    }

    fn is_quantifier(&self, key: &str) -> bool {
        self.quantifier.contains(key)
    }

    /// A word whose change always means something: never a typo.
    fn is_class_word(&self, key: &str) -> bool {
        self.is_negation(key) || self.modal.contains(key) || self.is_quantifier(key)
    }

    fn typo(&self, a: (&Side, usize), b: (&Side, usize)) -> bool {
        let (ta, tb) = (&a.0.tokens[a.1], &b.0.tokens[b.1]);
        if ta.code || tb.code || ta.kind != Kind::Word || tb.kind != Kind::Word {
            return false;
        }
        let (x, y) = (ta.key.as_str(), tb.key.as_str());
        if x.chars().chain(y.chars()).any(|c| c.is_ascii_digit()) {
            return false;
        }
        let (lx, ly) = (x.chars().count(), y.chars().count());
        // Number agreement (`company` → `companies`, `runs` → `run`) is typo-level.
        if inflection(x, y) && (lx.min(ly) >= 3 || lx.max(ly) == 3) {
            return true;
        }
        if strsim::osa_distance(x, y) > self.typo_max_edits {
            return false;
        }
        let swapped = lx == ly && transposed(x, y);
        // A negation, modal or quantifier is fixed only by swapping two letters back (`evrey`);
        // any other edit may make one such word of another (`now` → `not`).
        if self.is_class_word(x) || self.is_class_word(y) {
            return swapped && lx >= 4;
        }
        let substituted = lx == ly && !swapped;
        let shortest = lx.min(ly);
        let long_enough = if swapped {
            shortest >= 3
        } else if substituted {
            shortest > self.typo_min_length
        } else {
            shortest >= self.typo_min_length
        };
        // A letter swapped in a name makes another name (LLaMA → LLaVA), and so does one added
        // or dropped at either end (Python → CPython, GLUE → GLUEs).
        let names = self.name_like(a.0, a.1) || self.name_like(b.0, b.1);
        long_enough && !(names && (substituted || edited_at_end(x, y)))
    }

    /// Looks like a named thing: mixed case, an identifier, letters with digits, a CLI flag, or
    /// capitalised where a sentence does not start (or followed by another capital or a number).
    fn name_like(&self, side: &Side, i: usize) -> bool {
        let t = &side.tokens[i];
        let s = side.text_of(t);
        if t.kind != Kind::Word || s.chars().count() < 2 {
            return false;
        }
        let letters = s.chars().any(char::is_alphabetic);
        let digits = s.chars().any(|c| c.is_ascii_digit());
        let inner_upper = s.chars().skip(1).any(char::is_uppercase);
        let identifier = s.contains('_')
            || s.contains('/')
            || s.starts_with('-')
            || (s.contains('.') && s.split('.').all(|p| p.chars().count() > 1));
        if (letters && digits) || inner_upper || identifier {
            return true;
        }
        if !s.chars().next().is_some_and(char::is_uppercase) || self.month.contains(&t.key) {
            return false;
        }
        if !t.sentence_start {
            return true;
        }
        side.token(i + 1).is_some_and(|n| {
            !n.sentence_start
                && (n.kind == Kind::Number
                    || side
                        .text_of(n)
                        .chars()
                        .next()
                        .is_some_and(char::is_uppercase))
        })
    }

    /// A word of a command line: after a lowercase command word and followed by an all-caps
    /// argument or a flag (`doorstop new REQ`, `doorstop publish --all`).
    fn command_word(&self, side: &Side, i: usize) -> bool {
        let after_command = i > 0
            && side.token(i - 1).is_some_and(|p| {
                let s = side.text_of(p);
                !p.sentence_start
                    && p.kind == Kind::Word
                    && s.chars().all(|c| !c.is_uppercase())
                    && !self.article.contains(&p.key)
                    && !self.is_class_word(&p.key)
            });
        after_command
            && side.token(i + 1).is_some_and(|n| {
                let s = side.text_of(n);
                !n.sentence_start
                    && n.kind == Kind::Word
                    && (s.starts_with('-')
                        || (s.chars().count() > 1
                            && s.chars().all(|c| !c.is_lowercase())
                            && s.chars().any(char::is_alphabetic)))
            })
    }

    /// A word right before `than` is a comparison: `cheaper than`, `costlier than`.
    fn compared(side: &Side, i: usize) -> bool {
        side.token(i + 1)
            .is_some_and(|n| n.key == "than" && !n.sentence_start)
    }

    fn near_number(side: &Side, i: usize) -> bool {
        let num = |j: usize| side.token(j).is_some_and(|t| t.kind == Kind::Number);
        (i > 0 && num(i - 1)) || num(i + 1)
    }

    fn is_month(&self, side: &Side, i: usize) -> bool {
        let t = &side.tokens[i];
        if !self.month.contains(&t.key) {
            return false;
        }
        let capital = side
            .text_of(t)
            .chars()
            .next()
            .is_some_and(char::is_uppercase);
        Self::near_number(side, i) || (capital && !t.sentence_start && !self.modal.contains(&t.key))
    }

    fn is_year(&self, side: &Side, i: usize) -> bool {
        // `2000 MB` is a size, not a year.
        if i + 1 < side.tokens.len() && Self::quantity_word(side, i + 1) {
            return false;
        }
        let key = &side.tokens[i].key;
        let digits: Vec<&str> = key.split('-').collect();
        let year =
            |s: &str| s.len() == 4 && s.parse::<u32>().is_ok_and(|y| (1800..=2199).contains(&y));
        let near_month = |j: usize| side.token(j).is_some_and(|t| self.month.contains(&t.key));
        (year(digits[0]) && digits.iter().all(|d| d.parse::<u32>().is_ok()))
            || (i > 0 && near_month(i - 1))
            || near_month(i + 1)
    }

    /// A word that belongs to the quantity next to it: a unit or multiplier (`GB`, `mins`,
    /// `billion`), an approximation (`about`), or the `to` of a range.
    fn quantity_word(side: &Side, i: usize) -> bool {
        let t = &side.tokens[i];
        if t.kind != Kind::Word || !Self::near_number(side, i) {
            return false;
        }
        let w = side.text_of(t);
        t.key == "to"
            || extract_quantities(&format!("1 {w}"))
                .first()
                .is_some_and(|q| q.unit.is_some() || q.value != 1.0)
            || extract_quantities(&format!("{w} 1"))
                .first()
                .is_some_and(|q| q.approx)
    }

    fn classify(&self, a: &Side, o: &Range<usize>, b: &Side, n: &Range<usize>) -> Vec<TextClass> {
        let toks = |s: &Side, r: &Range<usize>| -> Vec<usize> {
            r.clone().filter(|&i| i < s.tokens.len()).collect()
        };
        let (oi, ni) = (toks(a, o), toks(b, n));
        let skeleton = |s: &Side, ix: &[usize]| -> String {
            ix.iter()
                .map(|&i| &s.tokens[i])
                .filter(|t| matches!(t.kind, Kind::Word | Kind::Number | Kind::Symbol))
                .flat_map(|t| {
                    let key = if t.code {
                        t.key.clone()
                    } else {
                        uncontract(&t.key)
                    };
                    key.chars()
                        .filter(|c| t.code || c.is_alphanumeric() || "<>=≤≥≠".contains(*c))
                        .collect::<Vec<_>>()
                })
                .collect()
        };
        let mut cosmetic = Vec::new();
        let marks =
            |s: &Side, ix: &[usize], kind: Kind| ix.iter().any(|&i| s.tokens[i].kind == kind);
        if marks(a, &oi, Kind::Footnote) || marks(b, &ni, Kind::Footnote) {
            cosmetic.push(TextClass::Footnote);
        }
        if marks(a, &oi, Kind::Prompt) || marks(b, &ni, Kind::Prompt) {
            cosmetic.push(TextClass::Prompt);
        }
        let (sa, sb) = (skeleton(a, &oi), skeleton(b, &ni));
        if sa == sb {
            if !sa.is_empty() {
                cosmetic.push(TextClass::Punctuation);
            }
            return cosmetic;
        }
        let words = |s: &Side, ix: &[usize]| -> Vec<usize> {
            ix.iter()
                .copied()
                .filter(|&i| matches!(s.tokens[i].kind, Kind::Word | Kind::Number | Kind::Symbol))
                .collect()
        };
        let (mut ow, mut nw) = (words(a, &oi), words(b, &ni));
        let typos = |ow: &[usize], nw: &[usize]| {
            !ow.is_empty()
                && ow.len() == nw.len()
                && ow.iter().zip(nw).all(|(&x, &y)| self.typo((a, x), (b, y)))
        };
        // Typos first (`teh` → `the`), then again without articles (`recieves the` → `receives`).
        if typos(&ow, &nw) {
            return vec![TextClass::Typo];
        }
        let article =
            |s: &Side, i: &usize| !s.tokens[*i].code && self.article.contains(&s.tokens[*i].key);
        if ow.iter().any(|i| article(a, i)) || nw.iter().any(|i| article(b, i)) {
            cosmetic.push(TextClass::Article);
        }
        ow.retain(|i| !article(a, i));
        nw.retain(|i| !article(b, i));
        if !(ow.is_empty() && nw.is_empty()) && skeleton(a, &ow) == skeleton(b, &nw) {
            cosmetic.push(TextClass::Punctuation);
            return cosmetic;
        }
        if typos(&ow, &nw) {
            cosmetic.push(TextClass::Typo);
            cosmetic.sort();
            return cosmetic;
        }

        // Numbers: a quantity respelled is cosmetic, a quantity moved is the value rules'
        // business; numbers that are no quantity (versions, annotations) stay.
        let number = |s: &Side, i: &usize| s.tokens[*i].kind == Kind::Number && !s.tokens[*i].code;
        if ow.iter().any(|i| number(a, i)) || nw.iter().any(|i| number(b, i)) {
            let (qa, qb) = (
                extract_quantities(&a.context(o)),
                extract_quantities(&b.context(n)),
            );
            if !qa.is_empty() || !qb.is_empty() {
                if same_quantities(&qa, &qb) {
                    cosmetic.push(TextClass::Punctuation);
                }
                let part = |s: &Side, i: &usize| {
                    (number(s, i) && !self.is_year(s, *i)) || Self::quantity_word(s, *i)
                };
                ow.retain(|i| !part(a, i));
                nw.retain(|i| !part(b, i));
            }
        }
        if ow.is_empty() && nw.is_empty() {
            return cosmetic;
        }

        let mut classes: Vec<TextClass> = Vec::new();
        let mut plain_words = false;
        for (s, ix) in [(a, &ow), (b, &nw)] {
            for &i in ix.iter() {
                let t = &s.tokens[i];
                let class = if t.code {
                    Some(TextClass::Code)
                } else {
                    match t.kind {
                        Kind::Symbol => Some(TextClass::Quantifier),
                        Kind::Number if self.is_year(s, i) => Some(TextClass::Date),
                        Kind::Number => Some(TextClass::Number),
                        _ if self.is_month(s, i) => Some(TextClass::Date),
                        _ if self.is_negation(&t.key) => Some(TextClass::Negation),
                        _ if self.modal.contains(&t.key) => Some(TextClass::Modal),
                        _ if self.is_quantifier(&t.key) || Self::compared(s, i) => {
                            Some(TextClass::Quantifier)
                        }
                        _ if self.name_like(s, i) || self.command_word(s, i) => {
                            Some(TextClass::Name)
                        }
                        _ => None,
                    }
                };
                match class {
                    Some(c) if !classes.contains(&c) => classes.push(c),
                    Some(_) => {}
                    None => plain_words = true,
                }
            }
        }
        // A sentence: one side has nothing left, the other starts where a sentence starts and
        // ends where one ends, with at least two words.
        // The diff may place an insertion a few tokens off when its edges repeat (`It runs. It
        // fails.`): every equivalent placement is tried.
        let sentence = |s: &Side, r: &Range<usize>, left: &[usize]| {
            let fits = |lo: usize, hi: usize| {
                s.token(lo).is_some_and(|t| t.sentence_start)
                    && s.token(hi).is_none_or(|t| t.sentence_start)
            };
            let key = |i: usize| s.token(i).map(|t| t.key.as_str());
            let mut shifts = vec![(r.start, r.end)];
            let (mut lo, mut hi) = (r.start, r.end);
            while lo > 0 && hi > lo && key(lo - 1) == key(hi - 1) {
                lo -= 1;
                hi -= 1;
                shifts.push((lo, hi));
            }
            let (mut lo, mut hi) = (r.start, r.end);
            while hi > lo && hi < s.tokens.len() && key(lo) == key(hi) {
                lo += 1;
                hi += 1;
                shifts.push((lo, hi));
            }
            left.len() >= 2 && shifts.into_iter().any(|(lo, hi)| fits(lo, hi))
        };
        if (ow.is_empty() && sentence(b, n, &nw)) || (nw.is_empty() && sentence(a, o, &ow)) {
            classes.push(TextClass::Sentence);
        } else if plain_words && classes.is_empty() {
            classes.push(TextClass::Word);
        }
        classes.sort();
        classes
    }
}

/// How many words two runs share at their start, or else at their end.
fn common_end(a: &[&str], b: &[&str]) -> usize {
    let front = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let back = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    front.max(back)
}

/// A contraction spelled out, so that `won't` and `will not` read alike.
fn uncontract(key: &str) -> String {
    match key.strip_suffix("n't") {
        Some("wo") => "will not".into(),
        Some("ca") => "can not".into(),
        Some("sha") => "shall not".into(),
        Some(stem) => format!("{stem} not"),
        None => key.to_string(),
    }
}

/// Verb forms that change only with the number of their subject.
const AGREEMENT: [(&str, &str); 4] = [
    ("is", "are"),
    ("was", "were"),
    ("has", "have"),
    ("does", "do"),
];

/// One word is the other with a plural or third-person `s`, `es` or `ies`, or the other form of
/// an agreeing verb (`is` → `are`).
fn inflection(x: &str, y: &str) -> bool {
    if AGREEMENT
        .iter()
        .any(|&(p, q)| (x, y) == (p, q) || (x, y) == (q, p))
    {
        return true;
    }
    let (short, long) = if x.len() <= y.len() { (x, y) } else { (y, x) };
    let Some(rest) = long.strip_prefix(short.trim_end_matches('y')) else {
        return false;
    };
    let stem_y = short.ends_with('y');
    matches!((stem_y, rest), (false, "s" | "es") | (true, "ies"))
}

/// Whether the edit between two words touches their first or last character.
fn edited_at_end(x: &str, y: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (x.chars().collect(), y.chars().collect());
    let prefix = a.iter().zip(&b).take_while(|(p, q)| p == q).count();
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(p, q)| p == q)
        .count();
    prefix == 0 || suffix == 0
}

/// Two strings of one length that differ only by two adjacent characters swapped.
fn transposed(x: &str, y: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (x.chars().collect(), y.chars().collect());
    let diff: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
    diff.len() == 2
        && diff[1] == diff[0] + 1
        && a[diff[0]] == b[diff[1]]
        && a[diff[1]] == b[diff[0]]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    fn classes(old: &str, new: &str) -> Vec<Vec<TextClass>> {
        let set = RuleSet::shipped().expect("shipped rules");
        set.classifier
            .spans(old, new)
            .into_iter()
            .map(|s| s.classes)
            .collect()
    }

    use TextClass as C;

    #[test]
    fn negations_and_modals() {
        assert_eq!(
            classes(
                "The system shall store it.",
                "The system shall not store it."
            ),
            [[C::Negation]]
        );
        assert_eq!(classes("It must hold.", "It may hold."), [[C::Modal]]);
        assert_eq!(
            classes("It can run.", "It cannot run."),
            [[C::Negation, C::Modal]]
        );
    }

    #[test]
    fn cosmetic_spans() {
        assert_eq!(
            classes("It recieves the data", "It receives data"),
            [[C::Article]]
        );
        assert!(classes("planner planner model", "plnaner planner model").is_empty());
        assert_eq!(classes("GPQA [^8] rises", "GPQA rises"), [[C::Footnote]]);
        assert_eq!(
            classes("the real-time video", "a real time video"),
            [[C::Article, C::Punctuation]]
        );
        assert!(classes("Run `doorstop`", "run doorstop").is_empty());
        assert_eq!(classes("$ doorstop new", "doorstop new"), [[C::Prompt]]);
        assert_eq!(
            classes("it will not run", "it won't run"),
            [[C::Punctuation]]
        );
        assert_eq!(classes("A & B", "A and B"), Vec::<Vec<TextClass>>::new());
    }

    #[test]
    fn named_things_and_commands() {
        assert_eq!(
            classes(
                "Run `doorstop new REQ` first",
                "Run `doorstop create REQ` first"
            ),
            [[C::Code]]
        );
        assert_eq!(
            classes(
                "then doorstop new REQ works",
                "then doorstop create REQ works"
            ),
            [[C::Name]]
        );
        assert_eq!(
            classes("scores of Sora-2 are low", "scores of Veo-3 are low"),
            [[C::Name]]
        );
        assert_eq!(
            classes("permanent identifiers", "temporary identifiers"),
            [[C::Word]]
        );
    }

    #[test]
    fn numbers_split_by_kind() {
        assert!(classes("scores ~64% today", "scores ~41% today").is_empty());
        assert_eq!(
            classes("is 11B parameters", "is 11 billion parameters"),
            [[C::Punctuation]]
        );
        assert_eq!(classes("solved by 2028", "solved by 2030"), [[C::Date]]);
        assert_eq!(classes("it works", "it works (June 2025)"), [[C::Date]]);
        assert_eq!(classes("in 3D scenes", "in 4D scenes"), [[C::Number]]);
    }

    proptest::proptest! {
        #[test]
        fn any_texts_diff_without_panic_and_case_is_invisible(a in ".{0,80}", b in ".{0,80}") {
            let set = RuleSet::shipped().expect("shipped rules");
            let _ = set.classifier.spans(&a, &b);
            proptest::prop_assert!(set.classifier.spans(&a, &a.to_uppercase()).is_empty()
                || a.to_uppercase().to_lowercase() != a.to_lowercase());
        }
    }

    #[test]
    fn moved_sentences_and_items_are_no_change() {
        assert!(classes("A runs. B fails.", "B fails. A runs.").is_empty());
        let moved_and_edited = classes(
            "Scores:\n- val: 71%\n- all tests: 69%",
            "Scores:\n- some tests: 69%\n- val: 71%",
        );
        assert_eq!(moved_and_edited, [[C::Quantifier]]);
        assert!(!classes("Genie beats Sora.", "Sora beats Genie.").is_empty());
    }

    #[test]
    fn sentences_and_spans_quote_context() {
        let set = RuleSet::shipped().expect("shipped rules");
        let s = set.classifier.spans(
            "It runs. It is fast.",
            "It runs. It is fast. Nothing else works here.",
        );
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].classes, [C::Negation, C::Sentence]);
        let s = set.classifier.spans("A shall hold.", "A shall not hold.");
        assert_eq!(
            (s[0].old.as_str(), s[0].new.as_str()),
            ("shall", "shall not")
        );
    }
}
