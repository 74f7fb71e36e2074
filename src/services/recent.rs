//! A map that keeps what was used recently and at most about `cap` entries: memory that stays
//! the same size however many people a workspace has. Two generations: entries go into the young
//! one; when it is full it becomes the old one and the old one is dropped. An entry used from the
//! old one moves back into the young one, so what is in use stays.

use std::collections::HashMap;
use std::hash::Hash;

pub struct Recent<K, V> {
    young: HashMap<K, V>,
    old: HashMap<K, V>,
    /// Entries per generation.
    half: usize,
}

impl<K: Eq + Hash, V> Recent<K, V> {
    /// At most `cap` entries (two generations of half of it).
    pub fn new(cap: usize) -> Self {
        Self {
            young: HashMap::new(),
            old: HashMap::new(),
            half: (cap / 2).max(1),
        }
    }

    pub fn get(&mut self, key: &K) -> Option<&V>
    where
        K: Clone,
    {
        if !self.young.contains_key(key) {
            let (key, value) = self.old.remove_entry(key)?;
            self.insert(key, value);
        }
        self.young.get(key)
    }

    pub fn contains(&mut self, key: &K) -> bool
    where
        K: Clone,
    {
        self.get(key).is_some()
    }

    pub fn insert(&mut self, key: K, value: V) {
        self.old.remove(&key);
        if self.young.len() >= self.half && !self.young.contains_key(&key) {
            self.old = std::mem::take(&mut self.young);
        }
        self.young.insert(key, value);
    }

    pub fn remove(&mut self, key: &K) {
        self.young.remove(key);
        self.old.remove(key);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.young.len() + self.old.len()
    }
}

impl<K: Eq + Hash, V> Default for Recent<K, V> {
    fn default() -> Self {
        Self::new(8192)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_at_most_its_cap_and_keeps_what_is_used() {
        let mut r = Recent::new(4);
        for i in 0..100 {
            r.insert(i, i * 10);
            // 0 is used all along, so it stays.
            assert_eq!(r.get(&0), Some(&0), "after {i}");
            assert!(r.len() <= 4, "{} entries after {i}", r.len());
        }
        assert_eq!(r.get(&99), Some(&990));
        assert_eq!(r.get(&50), None);
    }

    #[test]
    fn an_entry_removed_is_gone_from_both_generations() {
        let mut r = Recent::new(2);
        r.insert("a", 1);
        r.insert("b", 2);
        r.insert("c", 3);
        r.remove(&"b");
        r.remove(&"c");
        assert!(!r.contains(&"b") && !r.contains(&"c"));
        assert_eq!(r.len(), 0);
    }
}
