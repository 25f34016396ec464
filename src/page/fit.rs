//! Exact-size storage for a parsed page. A one-shot command holds every page until the graph is
//! built, and a parse grows its vectors and texts step by step, so on a large repo the spare
//! room is tens of megabytes at the peak. Shrinking in place does not return it: mimalloc keeps
//! a block that stays at least half used. What has room to spare is moved into a new
//! allocation of its own size.

use rescore_graph::quantity::Value;

use super::Page;

/// Moves the numbers and texts of a page's row values into allocations of their exact size
/// (its claims, rows and links, and a claim's and a row's own texts, are boxed to size as they
/// are made).
pub(super) fn fit(page: &mut Page) {
    for value in page.rows.iter_mut().filter_map(|r| r.value.as_deref_mut()) {
        fit_value(value);
    }
}

fn fit_value(value: &mut Value) {
    match value {
        Value::Numbers { numbers } => fit_vec(numbers),
        Value::Text { text } => fit_string(text),
        Value::Quantity(_) => {}
    }
}

/// Whether `capacity` leaves enough room unused to be worth a copy: more than an eighth, the
/// spacing of the allocator's size classes.
fn spare(len: usize, capacity: usize) -> bool {
    capacity - len > len / 8
}

/// A vector as a boxed slice in an allocation of its own size (`into_boxed_slice` alone
/// shrinks in place, which keeps the room).
pub(super) fn boxed<T>(mut v: Vec<T>) -> Box<[T]> {
    fit_vec(&mut v);
    v.into_boxed_slice()
}

/// A text as a boxed `str` in an allocation of its own size.
pub(super) fn boxed_str(mut s: String) -> Box<str> {
    fit_string(&mut s);
    s.into_boxed_str()
}

fn fit_vec<T>(v: &mut Vec<T>) {
    if spare(v.len(), v.capacity()) {
        let mut exact = Vec::with_capacity(v.len());
        exact.append(v);
        *v = exact;
    }
}

pub(super) fn fit_string(s: &mut String) {
    if spare(s.len(), s.capacity()) {
        *s = s.as_str().to_owned();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vector_with_room_to_spare_gets_its_exact_size() {
        let mut v: Vec<u32> = Vec::with_capacity(64);
        v.extend([1, 2, 3]);
        fit_vec(&mut v);
        assert_eq!(v, [1, 2, 3]);
        assert_eq!(v.capacity(), 3);
    }

    #[test]
    fn an_empty_vector_lets_go_of_its_room() {
        let mut v: Vec<u32> = Vec::with_capacity(8);
        fit_vec(&mut v);
        assert_eq!(v.capacity(), 0);
    }

    #[test]
    fn a_nearly_full_vector_is_left_alone() {
        let mut v: Vec<u32> = Vec::with_capacity(9);
        v.extend(0..8);
        let before = v.as_ptr();
        fit_vec(&mut v);
        assert_eq!(v.as_ptr(), before);
    }

    #[test]
    fn a_boxed_vector_has_its_exact_size() {
        let mut v: Vec<u64> = Vec::with_capacity(4);
        v.push(7);
        let before = v.as_ptr();
        let b = boxed(v);
        assert_eq!(&*b, [7]);
        assert_ne!(b.as_ptr(), before, "moved out of the room for four");
    }

    #[test]
    fn a_boxed_text_has_its_exact_size() {
        let mut s = String::with_capacity(64);
        s.push_str("gpqa@model-x");
        let before = s.as_ptr();
        let b = boxed_str(s);
        assert_eq!(&*b, "gpqa@model-x");
        assert_ne!(b.as_ptr(), before, "moved out of the room for 64");
    }

    #[test]
    fn a_text_with_room_to_spare_keeps_its_bytes() {
        let mut s = String::with_capacity(200);
        s.push_str("11B parameters");
        fit_string(&mut s);
        assert_eq!(s, "11B parameters");
        assert_eq!(s.capacity(), s.len());
    }
}
