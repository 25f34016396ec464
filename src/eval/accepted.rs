//! The accepted text (and the quantities read from it) of a claim whose entry names it by hash
//! (lock format 3): the current text when the hash matches, else the text in the page's git
//! blob as accepted. When neither has
//! it, the text counts as changed, with a cause that says why and how to get it.

use rescore_graph::quantity::Quantity;
use rescore_graph::{MaterialState, Node};

use super::{Cause, UNREAD};
use crate::load::Repo;
use crate::lock::{pages, Entry, TextAt};
use crate::page::{self, ParseContext};
use crate::resolve::anchor_key;
use crate::rules::{self, Severity};

/// Fills in `old`'s text. With the node it is compared with (`now`), a text that cannot be
/// read pushes a cause and takes `now`'s text, so that no rule reads a change it cannot see;
/// without one (a claim that is gone) it stays empty.
pub fn fill(
    repo: &Repo,
    old: &mut Entry,
    now: Option<&Node>,
    via: &[String],
    causes: &mut Vec<Cause>,
) {
    let TextAt::Hashed { hash, blob } = &old.text else {
        return;
    };
    let MaterialState::Claim(claim) = &mut old.state else {
        return;
    };
    let current = match now.map(|n| &n.state) {
        Some(MaterialState::Claim(c)) => Some(c),
        _ => None,
    };
    // The quantities are read from the text, so they come with it.
    let found = match current {
        Some(c) if pages::text_hash(&c.text) == *hash => {
            Some((c.text.clone(), c.quantities.clone()))
        }
        _ => blob
            .as_deref()
            .and_then(|b| from_blob(repo, &old.key, b, hash)),
    };
    match (found, now) {
        (Some((text, quantities)), _) => {
            claim.text = text;
            claim.quantities = quantities;
        }
        (None, Some(n)) => {
            if let Some(c) = current {
                claim.text = c.text.clone();
                claim.quantities = c.quantities.clone();
            }
            causes.push(unavailable(&old.key, blob.as_deref(), n, via));
        }
        (None, None) => {}
    }
    old.text = TextAt::Held;
}

/// The text of claim `key` in a page blob, if the blob is in the git repo and holds that claim
/// with that text hash.
fn from_blob(
    repo: &Repo,
    key: &str,
    blob: &str,
    hash: &str,
) -> Option<(Box<str>, Box<[Quantity]>)> {
    let (page_key, _) = key.split_once('#')?;
    // The page is parsed where it is now: its folder can decide its kind.
    let path = repo
        .graph
        .get(page_key)
        .and_then(|ix| repo.page_of(repo.graph.node(ix).loc))
        .map(|p| p.path.clone())?;
    let bytes = pages::read(&repo.root, blob)?;
    let text = String::from_utf8(bytes).ok()?;
    let cx = ParseContext {
        folders: &repo.config.folders,
        scale: &repo.rules.scale,
    };
    let (page, _) = page::parse(&path, &text, &cx);
    let page = page?;
    page.claims
        .iter()
        .filter(|c| anchor_key(&page, &c.id) == key)
        .filter_map(|c| c.material.as_deref())
        .find(|m| pages::text_hash(&m.text) == hash)
        .map(|m| (m.text.clone(), m.quantities.clone()))
}

/// A claim whose accepted text could not be read: it counts as changed.
fn unavailable(key: &str, blob: Option<&str>, now: &Node, via: &[String]) -> Cause {
    let detail = match blob {
        Some(b) => format!(
            "the lock names the accepted text by its page's git blob {b}, which this clone does not hold: fetch the full history (`git fetch --unshallow`; in CI check out with `fetch-depth: 0`) and check again, or re-score"
        ),
        None => "the lock holds no copy of the accepted text: re-score".into(),
    };
    Cause {
        rule: UNREAD.into(),
        field: "text",
        severity: Severity::Major,
        node: now.key.clone(),
        was: (now.key != key).then(|| key.to_string()),
        before: "accepted text not available".into(),
        after: rules::describe(&now.state),
        detail: Some(detail),
        via: via.to_vec(),
    }
}
