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
