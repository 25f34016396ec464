//! Page numbers that stay put while pages come and go. A one-shot load numbers the pages by
//! their place in the sorted page list; the watcher's list gains and loses pages, and
//! renumbering what holds a page number after each one (every node's and edge's `Loc::file`,
//! every name in the resolver's index) costs a pass over all of it. So, once the list changes,
//! a page keeps the number it had and a new page takes the next number never given: a number
//! names one page for as long as the table lives, and the table maps it to the page's place in
//! the list. A page joins at the end of the list and one that leaves gives its place to the
//! last page, so no change moves more than one other page. `Repo` numbers the graph's pages
//! so, and `Index` its names' pages.

/// No page: the number of a page that left.
const GONE: u32 = u32::MAX;

/// Page numbers for a page list that changes one page at a time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageNumbers {
    /// Number → place in the page list (`GONE` for a page that left).
    place: Vec<u32>,
    /// Place in the page list → number.
    number: Vec<u32>,
}

impl PageNumbers {
    /// The numbering of a list of `n` pages fresh from a load: each page's number is its place.
    pub fn identity(n: usize) -> PageNumbers {
        let all: Vec<u32> = (0..n as u32).collect();
        PageNumbers {
            place: all.clone(),
            number: all,
        }
    }

    /// The place in the page list of the page numbered `number`, if it is still there.
    pub fn place(&self, number: u32) -> Option<usize> {
        self.place
            .get(number as usize)
            .filter(|&&p| p != GONE)
            .map(|&p| p as usize)
    }

    /// The number of the page at place `at` in the list.
    pub fn number(&self, at: usize) -> u32 {
        self.number[at]
    }

    /// Every page's number, by place in the list.
    pub fn numbers(&self) -> &[u32] {
        &self.number
    }

    /// The place in the list of the page numbered `number`, which is in the list.
    pub fn at(&self, number: u32) -> usize {
        self.place[number as usize] as usize
    }

    /// A page joins the list at its end; returns the number it takes, one never given before.
    pub fn push(&mut self) -> u32 {
        let number = self.place.len() as u32;
        self.place.push(self.number.len() as u32);
        self.number.push(number);
        number
    }

    /// The page at place `at` leaves the list, and the last page takes its place; returns the
    /// number of the page that left, which no page takes again.
    pub fn swap_remove(&mut self, at: usize) -> u32 {
        let number = self.number.swap_remove(at);
        self.place[number as usize] = GONE;
        if let Some(&moved) = self.number.get(at) {
            self.place[moved as usize] = at as u32;
        }
        number
    }

    /// The list was put in a new order: `numbers`, the pages' numbers in it.
    pub fn reorder(&mut self, numbers: &[u32]) {
        self.number.clear();
        self.number.extend_from_slice(numbers);
        for (at, &n) in numbers.iter().enumerate() {
            self.place[n as usize] = at as u32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_numbering_is_the_place_in_the_list() {
        let n = PageNumbers::identity(4);
        assert_eq!(n.numbers(), [0, 1, 2, 3]);
        assert_eq!(
            (0..4).map(|k| n.place(k)).collect::<Vec<_>>(),
            [0, 1, 2, 3].map(Some)
        );
        assert_eq!(n.place(4), None);
    }

    #[test]
    fn pages_coming_and_going_leave_the_others_their_numbers() {
        // A model list of names beside the table: every page must keep its first number and
        // be found at its place through it, after every step.
        let mut list: Vec<String> = (0..20).map(|k| format!("p{k:02}")).collect();
        let mut numbers = PageNumbers::identity(list.len());
        let mut first: std::collections::HashMap<String, u32> = list
            .iter()
            .enumerate()
            .map(|(k, name)| (name.clone(), k as u32))
            .collect();
        let mut gone = Vec::new();
        for step in 0..200usize {
            if step % 3 == 2 && !list.is_empty() {
                let at = (step * 7919) % list.len();
                let name = list.swap_remove(at);
                let number = numbers.swap_remove(at);
                assert_eq!(
                    first.remove(&name),
                    Some(number),
                    "{name} left with its number"
                );
                gone.push(number);
            } else if step % 17 == 0 {
                // Put in another order (the list sorted backwards).
                list.sort_by(|a, b| b.cmp(a));
                let order: Vec<u32> = list.iter().map(|name| first[name]).collect();
                numbers.reorder(&order);
            } else {
                let name = format!("n{step:03}");
                list.push(name.clone());
                let number = numbers.push();
                assert!(!gone.contains(&number), "a number is never given twice");
                assert!(
                    first.values().all(|&n| n != number),
                    "nor taken from a page"
                );
                first.insert(name, number);
            }
            for (k, name) in list.iter().enumerate() {
                assert_eq!(
                    numbers.number(k),
                    first[name],
                    "step {step}: {name}'s number"
                );
                assert_eq!(
                    numbers.place(first[name]),
                    Some(k),
                    "step {step}: {name}'s place"
                );
                assert_eq!(numbers.at(first[name]), k);
            }
            for &number in &gone {
                assert_eq!(numbers.place(number), None, "a page that left is nowhere");
            }
        }
    }
}
