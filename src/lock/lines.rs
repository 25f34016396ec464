//! Reading a lock file line by line, through whatever a merge left in it. Git's conflict markers
//! are skipped and both sides are read, so a conflicted lock is the union of the two branches;
//! the common-ancestor section of a `diff3`/`zdiff3` conflict is skipped, since each side already
//! says what it made of it.

/// The lines that carry content, with their 1-based line numbers: no blank lines, comments or
/// conflict markers.
pub fn content(text: &str) -> impl Iterator<Item = (u32, &str)> {
    let mut in_ancestor = false;
    text.lines().enumerate().filter_map(move |(n, line)| {
        let marker = |m: &str| {
            line.strip_prefix(m)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
        };
        if marker("|||||||") {
            in_ancestor = true;
            return None;
        }
        if marker("=======") {
            in_ancestor = false;
            return None;
        }
        if marker("<<<<<<<") || marker(">>>>>>>") || in_ancestor {
            return None;
        }
        let t = line.trim();
        (!t.is_empty() && !t.starts_with('#')).then_some((n as u32 + 1, t))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sides_of_a_conflict_are_read_and_the_ancestor_is_not() {
        let text = "# head\na = 1\n<<<<<<< HEAD\nb = 2\n||||||| base\nb = 0\n=======\nb = 3\n>>>>>>> theirs\n\nc = 4\n";
        let got: Vec<(u32, &str)> = content(text).collect();
        assert_eq!(
            got,
            [(2, "a = 1"), (4, "b = 2"), (8, "b = 3"), (11, "c = 4")]
        );
    }
}
