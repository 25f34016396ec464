//! Comparing quantities: within a dimension (`1 minute` = `60 seconds`), by position, and
//! against baselines that an older rescore read.

use std::borrow::Cow;

use super::units::dimension;
use super::{read_canonical, read_canonical_value, Quantity, Value};

impl Quantity {
    /// The dimension of the unit (`time`, `bytes`, `fps`, ...; `""` for a bare number).
    pub fn dimension(&self) -> &str {
        dimension(self.unit.as_deref()).0
    }

    /// Whether the two can be compared as values: the same unit, or units of one dimension.
    pub fn same_dimension(&self, other: &Quantity) -> bool {
        self.dimension() == other.dimension()
    }

    /// The midpoint in the dimension's base unit (seconds, bytes, ...).
    fn base_midpoint(&self) -> f64 {
        let mid = match self.high {
            Some(high) => self.value / 2.0 + high / 2.0,
            None => self.value,
        };
        mid * dimension(self.unit.as_deref()).1
    }

    /// Relative change `|new-old|/|old|` in the base unit (`old == 0`: 0 when equal, else
    /// infinity); ranges compare their midpoints.
    pub fn relative_change(&self, new: &Quantity) -> f64 {
        let (old, new) = (self.base_midpoint(), new.base_midpoint());
        if old == new {
            0.0
        } else if old == 0.0 {
            f64::INFINITY
        } else {
            let rel = (new - old).abs() / old.abs();
            // Unit conversion leaves rounding noise (`0.1 minute` vs `6 s`): that is no move.
            if rel < 1e-9 {
                0.0
            } else {
                rel
            }
        }
    }

    /// The signed move as a percentage of the old value (`+50%`, `−36%`, `from zero`).
    pub fn percent_move(&self, new: &Quantity) -> String {
        let (old, new) = (self.base_midpoint(), new.base_midpoint());
        if old == 0.0 {
            return "from zero".into();
        }
        let pct = (new - old) / old.abs() * 100.0;
        let sign = if pct < 0.0 { "−" } else { "+" };
        format!("{sign}{:.0}%", pct.abs())
    }
}

/// Old and new quantities paired: by position when the counts agree, else each old one with
/// the first unused new one of the same dimension.
pub fn pair<'a>(old: &'a [Quantity], new: &'a [Quantity]) -> Vec<(&'a Quantity, &'a Quantity)> {
    if old.len() == new.len() {
        return old.iter().zip(new).collect();
    }
    let mut used = vec![false; new.len()];
    old.iter()
        .filter_map(|qa| {
            let j = (0..new.len()).find(|&j| !used[j] && new[j].same_dimension(qa))?;
            used[j] = true;
            Some((qa, &new[j]))
        })
        .collect()
}

/// The pair that moved most (relative change, dimensions agreeing), with its move.
pub fn largest_move<'a>(
    old: &'a [Quantity],
    new: &'a [Quantity],
) -> Option<(&'a Quantity, &'a Quantity, f64)> {
    pair(old, new)
        .into_iter()
        .filter(|(x, y)| x.same_dimension(y))
        .map(|(x, y)| (x, y, x.relative_change(y)))
        .filter(|&(_, _, rel)| rel > 0.0)
        .max_by(|p, q| p.2.total_cmp(&q.2))
}

/// The first pair whose units are of different dimensions.
pub fn dimension_change<'a>(
    old: &'a [Quantity],
    new: &'a [Quantity],
) -> Option<(&'a Quantity, &'a Quantity)> {
    pair(old, new)
        .into_iter()
        .find(|(x, y)| !x.same_dimension(y))
}

/// Whether two lists hold the same values: one count, and no pair moved or changed dimension.
pub fn same_values(old: &[Quantity], new: &[Quantity]) -> bool {
    old.len() == new.len()
        && largest_move(old, new).is_none()
        && dimension_change(old, new).is_none()
}

/// Whether the numbers written in two canonical (lowercased) claim texts differ. A claim's
/// stored quantities are compared only when this holds, so that a baseline read by an older
/// rescore (which took `Genie 3` for the number 3, or `39 M` for 39) is not a change while the
/// text is the same.
pub fn canonical_numbers_differ(old_text: &str, new_text: &str) -> bool {
    old_text != new_text && !same_values(&read_canonical(old_text), &read_canonical(new_text))
}

/// A list of quantities, borrowed from a value or read again from its text.
pub type Numbers<'a> = Cow<'a, [Quantity]>;

/// The numbers to compare between two benchmark values, or `None` when one is text.
///
/// A baseline written by an older rescore holds a single [`Value::Quantity`] (the cell's first
/// number) or text where this version reads numbers; both are read the way they were meant.
pub fn cell_numbers<'a>(old: &'a Value, new: &'a Value) -> Option<(Numbers<'a>, Numbers<'a>)> {
    match (old, new) {
        (Value::Numbers { numbers: a }, Value::Numbers { numbers: b }) => {
            Some((Cow::Borrowed(a), Cow::Borrowed(b)))
        }
        (Value::Quantity(a), Value::Numbers { numbers: b }) => {
            let first = b.first()?;
            Some((
                Cow::Owned(vec![as_meant(a, first)]),
                Cow::Borrowed(std::slice::from_ref(first)),
            ))
        }
        (Value::Text { text }, Value::Numbers { numbers: b }) => match read_canonical_value(text) {
            Value::Numbers { numbers: a } => Some((Cow::Owned(a), Cow::Borrowed(b))),
            _ => None,
        },
        (Value::Quantity(a), Value::Quantity(b)) => Some((
            Cow::Borrowed(std::slice::from_ref(a)),
            Cow::Borrowed(std::slice::from_ref(b)),
        )),
        (Value::Numbers { numbers: a }, Value::Quantity(b)) => {
            Some((Cow::Borrowed(a), Cow::Borrowed(std::slice::from_ref(b))))
        }
        _ => None,
    }
}

/// What an older rescore's bare number `old` meant, next to this version's reading `new` of the
/// cell: that rescore knew fewer units, and no SI suffix after a space (`11 B` was 11), so a
/// bare old number takes the new unit and the power of 1000 that brings it nearest the new value.
fn as_meant(old: &Quantity, new: &Quantity) -> Quantity {
    if old.unit.is_some() {
        return old.clone();
    }
    let scale = if old.value != 0.0 && new.value != 0.0 {
        let distance = |s: f64| (new.value.abs() / (old.value.abs() * s)).ln().abs();
        [1.0, 1e3, 1e6, 1e9, 1e12]
            .into_iter()
            .min_by(|&a, &b| distance(a).total_cmp(&distance(b)))
            .unwrap_or(1.0)
    } else {
        1.0
    };
    Quantity {
        value: old.value * scale,
        high: old.high.map(|h| h * scale),
        unit: new.unit.clone(),
        approx: old.approx,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{extract_quantities, parse_value};
    use super::*;

    fn q(text: &str) -> Quantity {
        extract_quantities(text).remove(0)
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn relative_change_converts_within_a_dimension() {
        assert_eq!(q("~1 minute").relative_change(&q("~60 seconds")), 0.0);
        assert_eq!(q("2 GB").relative_change(&q("2000 MB")), 0.0);
        assert!(close(q("1 minute").relative_change(&q("90 seconds")), 0.5));
        assert_eq!(q("1 minute").percent_move(&q("90 seconds")), "+50%");
        assert_eq!(q("64%").percent_move(&q("41%")), "−36%");
        assert_eq!(q("0%").percent_move(&q("1%")), "from zero");
    }

    #[test]
    fn relative_change_of_ranges_uses_midpoints() {
        assert!(close(q("10–20").relative_change(&q("10–30")), 1.0 / 3.0));
        assert!(close(q("10-20").relative_change(&q("15")), 0.0));
        assert!(q("0").relative_change(&q("1")).is_infinite());
    }

    #[test]
    fn pairs_by_position_or_by_dimension() {
        let a = extract_quantities("47.14GB GPU / 2.96GB CPU");
        let b = extract_quantities("47.14GB GPU / 29.6GB CPU");
        let (x, y, rel) = largest_move(&a, &b).expect("a move");
        assert_eq!(
            (x.to_string(), y.to_string()),
            ("2.96 gb".into(), "29.6 gb".into())
        );
        assert!(close(rel, 9.0));
        let c = extract_quantities("24 fps and 64%");
        let d = extract_quantities("64% only");
        assert_eq!(pair(&c, &d).len(), 1);
        assert!(dimension_change(&c, &d).is_none());
    }

    #[test]
    fn canonical_texts_that_read_alike_are_no_change() {
        assert!(!canonical_numbers_differ(
            "genie 3 at 39 m",
            "genie 3 at 39m"
        ));
        assert!(canonical_numbers_differ("at 39 m", "at 50m"));
        assert!(!canonical_numbers_differ("x (june 2025)", "x"));
    }

    #[test]
    fn an_old_baseline_cell_reads_as_it_was_meant() {
        let old = |v: f64, unit: Option<&str>| {
            Value::Quantity(Quantity {
                value: v,
                high: None,
                unit: unit.map(|u| Cow::Owned(u.to_owned())),
                approx: false,
            })
        };
        let same = |old: &Value, cell: &str| {
            let new = parse_value(cell);
            let (a, b) = cell_numbers(old, &new).expect("numbers");
            same_values(&a, &b)
        };
        assert!(same(&old(11.0, None), "11 B"));
        assert!(same(&old(47.14, Some("gb")), "47.14GB GPU / 2.96GB CPU"));
        assert!(same(&old(8.0, None), "8 GPUs"));
        assert!(!same(&old(11.0, None), "12 B"));
        let text = Value::Text {
            text: "256px".into(),
        };
        assert!(same(&text, "256px"));
        assert!(!same(&text, "384px"));
    }
}
