//! Node selectors in the manner of dbt, for `ls`, `why`, `accept` and `graph` (`--select`).
//!
//! ```text
//! expr   := term (' ' term)*            union: every term's nodes
//! term   := atom (',' atom)*            intersection: nodes every atom selects
//! atom   := [N]'+'? method '+'[N]?      '+' before = upstream, after = downstream,
//!                                       N = at most N hops (no N = all the way)
//! method := ID | 'kind:' KIND | 'status:' STATUS
//! ```
//!
//! `generative-world-models+` is the concept and everything downstream of it, `+physics-wall`
//! the thesis and everything it rests on, `+x+` both, `x+2` / `2+x` within two hops,
//! `kind:thesis` every thesis, `status:stale` every stale thesis (status needs an evaluation),
//! and a plain id that one node. `kind:thesis,generative-world-models+` is the theses downstream
//! of the concept. Walks follow propagating edges (`related` is drawn, never followed).

use std::collections::BTreeSet;
use std::fmt;

use rescore_graph::propagate::within;
use rescore_graph::{Graph, NodeIx, NodeKind};

use crate::eval::{Evaluation, Status, Verdict};
use crate::load::Repo;

/// How far a `+` reaches: `None` is all the way.
pub type Depth = Option<usize>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    /// A node key (page id, or `page#anchor`), lower-cased.
    Id(String),
    Kind(NodeKind),
    Status(Status),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Atom {
    pub method: Method,
    /// `+x`: upstream, to this depth.
    pub up: Option<Depth>,
    /// `x+`: downstream, to this depth.
    pub down: Option<Depth>,
}

/// A parsed selector: a union of intersections of atoms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    pub terms: Vec<Vec<Atom>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectError(pub String);

impl fmt::Display for SelectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

const STATUSES: [(&str, Status); 4] = [
    ("stale", Status::Stale),
    ("pending", Status::Pending),
    ("unscored", Status::Unscored),
    ("clean", Status::Clean),
];

const FORMS: &str =
    "expected `id`, `id+`, `+id`, `+id+`, `id+N`, `N+id`, `kind:KIND` or `status:STATUS`";

impl Selector {
    /// Parses every `--select` value (each may hold several space-separated terms) as one union.
    pub fn parse_all<S: AsRef<str>>(exprs: &[S]) -> Result<Selector, SelectError> {
        let mut terms = Vec::new();
        for e in exprs {
            terms.extend(Selector::parse(e.as_ref())?.terms);
        }
        if terms.is_empty() {
            return Err(SelectError(format!("empty selector: {FORMS}")));
        }
        Ok(Selector { terms })
    }

    pub fn parse(expr: &str) -> Result<Selector, SelectError> {
        let mut terms = Vec::new();
        for term in expr.split_whitespace() {
            let atoms = term
                .split(',')
                .map(|a| parse_atom(a, term))
                .collect::<Result<Vec<_>, _>>()?;
            terms.push(atoms);
        }
        if terms.is_empty() {
            return Err(SelectError(format!("empty selector: {FORMS}")));
        }
        Ok(Selector { terms })
    }

    /// Whether resolving needs thesis verdicts (`status:`).
    pub fn needs_evaluation(&self) -> bool {
        self.terms
            .iter()
            .flatten()
            .any(|a| matches!(a.method, Method::Status(_)))
    }

    /// The selected nodes, sorted by index. Unknown ids are errors (with a suggestion);
    /// `status:` without an evaluation is an error.
    pub fn resolve(
        &self,
        graph: &Graph,
        eval: Option<&Evaluation>,
    ) -> Result<Vec<NodeIx>, SelectError> {
        let mut out: BTreeSet<NodeIx> = BTreeSet::new();
        for term in &self.terms {
            let mut acc: Option<BTreeSet<NodeIx>> = None;
            for atom in term {
                let set = resolve_atom(atom, graph, eval)?;
                acc = Some(match acc {
                    None => set,
                    Some(a) => a.intersection(&set).copied().collect(),
                });
            }
            out.extend(acc.unwrap_or_default());
        }
        Ok(out.into_iter().collect())
    }
}

impl From<SelectError> for crate::failure::Failure {
    fn from(e: SelectError) -> Self {
        crate::failure::Failure::Usage(e.0)
    }
}

/// The verdicts of the theses that `exprs` select, in report order (by path); maybe none.
pub fn theses<'e, S: AsRef<str>>(
    repo: &Repo,
    eval: &'e Evaluation,
    exprs: &[S],
) -> Result<Vec<&'e Verdict>, SelectError> {
    let sel = Selector::parse_all(exprs)?;
    let nodes: BTreeSet<NodeIx> = sel.resolve(&repo.graph, Some(eval))?.into_iter().collect();
    let picked: Vec<&Verdict> = eval
        .verdicts
        .iter()
        .filter(|v| v.ix.is_some_and(|ix| nodes.contains(&ix)))
        .collect();
    Ok(picked)
}

fn parse_atom(atom: &str, term: &str) -> Result<Atom, SelectError> {
    let bad = |why: &str| SelectError(format!("bad selector `{term}`: {why}; {FORMS}"));
    if atom.is_empty() {
        return Err(bad("empty part between commas"));
    }
    // Leading `[N]+`.
    let (up, rest) = match atom.find('+') {
        Some(i) if atom[..i].bytes().all(|b| b.is_ascii_digit()) => (
            Some(depth(&atom[..i]).map_err(|e| bad(&e))?),
            &atom[i + 1..],
        ),
        _ => (None, atom),
    };
    // Trailing `+[N]`.
    let (body, down) = match rest.rfind('+') {
        Some(i) if rest[i + 1..].bytes().all(|b| b.is_ascii_digit()) => (
            &rest[..i],
            Some(depth(&rest[i + 1..]).map_err(|e| bad(&e))?),
        ),
        _ => (rest, None),
    };
    if body.is_empty() {
        return Err(bad("no node between the `+` signs"));
    }
    if body.contains('+') {
        return Err(bad("`+` only goes before or after a node"));
    }
    let method = match body.split_once(':') {
        Some(("kind", k)) => Method::Kind(NodeKind::parse(&k.to_lowercase()).ok_or_else(|| {
            SelectError(format!(
                "bad selector `{term}`: unknown kind `{k}`: expected source, claim, benchmark, concept or thesis"
            ))
        })?),
        Some(("status", s)) => {
            let s_low = s.to_lowercase();
            Method::Status(
                STATUSES
                    .iter()
                    .find(|(n, _)| *n == s_low)
                    .map(|(_, st)| *st)
                    .ok_or_else(|| {
                        SelectError(format!(
                        "bad selector `{term}`: unknown status `{s}`: expected stale, pending, unscored or clean"
                    ))
                    })?,
            )
        }
        Some((m, _)) if !m.is_empty() && !m.contains('#') => {
            return Err(SelectError(format!(
                "bad selector `{term}`: unknown method `{m}:`: expected `kind:` or `status:` (or a node id)"
            )))
        }
        _ => Method::Id(body.to_lowercase()),
    };
    Ok(Atom { method, up, down })
}

fn depth(digits: &str) -> Result<Depth, String> {
    if digits.is_empty() {
        return Ok(None);
    }
    digits
        .parse::<usize>()
        .map(Some)
        .map_err(|_| format!("depth `{digits}` is not a number"))
}

fn resolve_atom(
    atom: &Atom,
    graph: &Graph,
    eval: Option<&Evaluation>,
) -> Result<BTreeSet<NodeIx>, SelectError> {
    let start: Vec<NodeIx> = match &atom.method {
        Method::Id(id) => match graph.get(id) {
            Some(ix) => vec![ix],
            None => {
                let near =
                    crate::diag::did_you_mean(id, graph.nodes().map(|(_, n)| n.key.as_str()));
                return Err(SelectError(format!(
                    "selector names no node `{id}`{}",
                    near.map(|n| format!(" (did you mean `{n}`?)"))
                        .unwrap_or_default()
                )));
            }
        },
        Method::Kind(k) => graph
            .nodes()
            .filter(|(_, n)| n.kind == *k)
            .map(|(ix, _)| ix)
            .collect(),
        Method::Status(s) => {
            let eval = eval.ok_or_else(|| {
                SelectError(
                    "`status:` selectors need an evaluation, which this command does not run"
                        .into(),
                )
            })?;
            eval.with(*s).filter_map(|v| v.ix).collect()
        }
    };
    let mut set: BTreeSet<NodeIx> = start.iter().copied().collect();
    for &s in &start {
        if let Some(d) = atom.up {
            set.extend(within(graph, s, false, d));
        }
        if let Some(d) = atom.down {
            set.extend(within(graph, s, true, d));
        }
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(expr: &str) -> Atom {
        let s = Selector::parse(expr).unwrap();
        assert_eq!(s.terms.len(), 1);
        assert_eq!(s.terms[0].len(), 1);
        s.terms[0][0].clone()
    }

    fn id(s: &str) -> Method {
        Method::Id(s.into())
    }

    #[test]
    fn plain_id() {
        assert_eq!(
            one("Physics-Wall"),
            Atom {
                method: id("physics-wall"),
                up: None,
                down: None
            }
        );
    }

    #[test]
    fn claim_key_with_anchor() {
        assert_eq!(
            one("gwm#videoscience-bench+").method,
            id("gwm#videoscience-bench")
        );
    }

    #[test]
    fn downstream() {
        assert_eq!(
            one("generative-world-models+"),
            Atom {
                method: id("generative-world-models"),
                up: None,
                down: Some(None)
            }
        );
    }

    #[test]
    fn upstream() {
        assert_eq!(
            one("+physics-wall"),
            Atom {
                method: id("physics-wall"),
                up: Some(None),
                down: None
            }
        );
    }

    #[test]
    fn both_ways() {
        assert_eq!(
            one("+x+"),
            Atom {
                method: id("x"),
                up: Some(None),
                down: Some(None)
            }
        );
    }

    #[test]
    fn depths() {
        assert_eq!(
            one("x+2"),
            Atom {
                method: id("x"),
                up: None,
                down: Some(Some(2))
            }
        );
        assert_eq!(
            one("2+x"),
            Atom {
                method: id("x"),
                up: Some(Some(2)),
                down: None
            }
        );
        assert_eq!(
            one("1+x+3"),
            Atom {
                method: id("x"),
                up: Some(Some(1)),
                down: Some(Some(3))
            }
        );
    }

    #[test]
    fn kind_method() {
        assert_eq!(one("kind:thesis").method, Method::Kind(NodeKind::Thesis));
        assert_eq!(one("kind:Concept+").down, Some(None));
    }

    #[test]
    fn status_method() {
        for (name, st) in STATUSES {
            assert_eq!(one(&format!("status:{name}")).method, Method::Status(st));
        }
        assert!(Selector::parse("status:stale").unwrap().needs_evaluation());
        assert!(!Selector::parse("kind:thesis x+")
            .unwrap()
            .needs_evaluation());
    }

    #[test]
    fn union_and_intersection() {
        let s = Selector::parse_all(&["a+ +b", "c"]).unwrap();
        assert_eq!(s.terms.len(), 3);
        let s = Selector::parse("kind:thesis,gwm+").unwrap();
        assert_eq!(s.terms.len(), 1);
        assert_eq!(s.terms[0].len(), 2);
    }

    #[test]
    fn bad_selectors_say_what_was_expected() {
        for (bad, says) in [
            ("", "empty selector"),
            ("   ", "empty selector"),
            ("+", "no node"),
            ("++", "no node"),
            ("a+b", "only goes before or after"),
            ("kind:widget", "unknown kind `widget`"),
            ("status:broken", "unknown status `broken`"),
            ("tag:x", "unknown method `tag:`"),
            ("a,,b", "empty part"),
            ("99999999999999999999999+x", "not a number"),
        ] {
            let err = Selector::parse_all(&[bad]).unwrap_err().0;
            assert!(err.contains(says), "{bad:?}: {err}");
        }
    }
}
