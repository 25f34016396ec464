//! The stable machine name of every diagnostic. docs/format.md ("Diagnostics") documents each
//! one; a test holds the two lists to each other.

use serde::Serialize;

macro_rules! codes {
    ($($variant:ident = $name:literal,)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        pub enum Code {
            $(#[serde(rename = $name)] $variant,)*
        }

        impl Code {
            pub const ALL: &[Code] = &[$(Code::$variant,)*];

            /// The name as printed: `link-to-no-page`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $name,)*
                }
            }
        }
    };
}

codes! {
    AnchorToNoClaim = "anchor-to-no-claim",
    BadExclude = "bad-exclude",
    BadFrontMatter = "bad-front-matter",
    BadIgnoreFile = "bad-ignore-file",
    BadPartOf = "bad-part-of",
    BadRule = "bad-rule",
    BadScale = "bad-scale",
    BadThreshold = "bad-threshold",
    BadToml = "bad-toml",
    BrokenSymlink = "broken-symlink",
    ClaimWithoutEvidence = "claim-without-evidence",
    Cycle = "cycle",
    DuplicateAnchor = "duplicate-anchor",
    DuplicateId = "duplicate-id",
    GitRef = "git-ref",
    KindFolderLookAlike = "kind-folder-look-alike",
    LinkToNoPage = "link-to-no-page",
    LockCorrupt = "lock-corrupt",
    LockFailed = "lock-failed",
    LockTooNew = "lock-too-new",
    LockUnreadable = "lock-unreadable",
    LockWrite = "lock-write",
    MissingRuleFile = "missing-rule-file",
    NoRepo = "no-repo",
    NoRoot = "no-root",
    NotAFile = "not-a-file",
    NotUtf8 = "not-utf8",
    ScoreOnNote = "score-on-note",
    SymlinkLoop = "symlink-loop",
    SymlinkOutsideRoot = "symlink-outside-root",
    ThesisWithoutScore = "thesis-without-score",
    UnknownEvidenceLevel = "unknown-evidence-level",
    UnknownKind = "unknown-kind",
    UnknownRule = "unknown-rule",
    Unreadable = "unreadable",
    UnterminatedFrontMatter = "unterminated-front-matter",
    Usage = "usage",
    WriteFailed = "write-failed",
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Lets tests compare a code with the name they expect to read.
impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::Code;

    /// The codes named in the first column of the tables of docs/format.md's "Diagnostics".
    fn documented() -> BTreeSet<String> {
        let doc = include_str!("../../docs/format.md");
        let section = doc
            .split_once("\n## Diagnostics\n")
            .map(|(_, rest)| rest.split("\n## ").next().unwrap_or(rest))
            .expect("docs/format.md has a Diagnostics section");
        section
            .lines()
            .filter_map(|l| l.strip_prefix("| `")?.split_once("` |"))
            .map(|(code, _)| code.to_string())
            .collect()
    }

    #[test]
    fn every_code_is_documented_and_every_documented_code_exists() {
        let documented = documented();
        let codes: BTreeSet<String> = Code::ALL.iter().map(|c| c.as_str().to_string()).collect();
        let undocumented: Vec<_> = codes.difference(&documented).collect();
        let unknown: Vec<_> = documented.difference(&codes).collect();
        assert!(
            undocumented.is_empty(),
            "codes missing from docs/format.md: {undocumented:?}"
        );
        assert!(
            unknown.is_empty(),
            "documented codes rescore never emits: {unknown:?}"
        );
    }

    #[test]
    fn a_code_serializes_as_its_name() {
        for c in Code::ALL {
            assert_eq!(
                serde_json::to_value(c).expect("serializes"),
                serde_json::json!(c.as_str())
            );
        }
    }
}
