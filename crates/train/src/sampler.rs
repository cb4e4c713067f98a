//! The batch sampler: seeded epoch shuffles over the in-loop set, re-checked against the latest
//! in-loop membership at every draw so a discarded sample never reaches a later batch.

use std::sync::Arc;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// Draws training batches from a changing set of allowed indices.
pub struct BatchSampler {
    rng: ChaCha8Rng,
    /// The in-loop set the membership table was built from (compared by pointer, so an
    /// unchanged set costs nothing per draw).
    current: Option<Arc<[u32]>>,
    member: Vec<bool>,
    order: Vec<u32>,
    cursor: usize,
    epoch: u64,
}

impl BatchSampler {
    pub fn new(seed: u64) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
            current: None,
            member: Vec::new(),
            order: Vec::new(),
            cursor: 0,
            epoch: 0,
        }
    }

    /// Completed or started epochs.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Restarts the shuffle from `seed` (used after a checkpoint restore).
    pub fn reseed(&mut self, seed: u64) {
        self.rng = ChaCha8Rng::seed_from_u64(seed);
        self.order.clear();
        self.cursor = 0;
    }

    /// Up to `batch` distinct indices, all members of `in_loop`. Fewer only when the in-loop
    /// set itself is smaller than `batch`; empty when it is empty. Indices at or above
    /// `dataset_len` are ignored.
    pub fn draw(&mut self, in_loop: &Arc<[u32]>, batch: usize, dataset_len: usize) -> Vec<u32> {
        self.refresh(in_loop, dataset_len);
        let available = self.member.iter().filter(|m| **m).count();
        let want = batch.min(available);
        let mut out: Vec<u32> = Vec::with_capacity(want);
        // Each epoch holds every member once, so two passes always fill `want`.
        let mut fresh_epochs = 0;
        while out.len() < want {
            if self.cursor >= self.order.len() {
                if fresh_epochs == 2 {
                    break;
                }
                self.new_epoch();
                fresh_epochs += 1;
                continue;
            }
            let idx = self.order[self.cursor];
            self.cursor += 1;
            let allowed = self.member.get(idx as usize).copied().unwrap_or(false);
            if allowed && !out.contains(&idx) {
                out.push(idx);
            }
        }
        out
    }

    fn refresh(&mut self, in_loop: &Arc<[u32]>, dataset_len: usize) {
        if let Some(cur) = &self.current
            && Arc::ptr_eq(cur, in_loop)
            && self.member.len() == dataset_len
        {
            return;
        }
        self.member.clear();
        self.member.resize(dataset_len, false);
        for &i in in_loop.iter() {
            if let Some(m) = self.member.get_mut(i as usize) {
                *m = true;
            }
        }
        self.current = Some(Arc::clone(in_loop));
    }

    fn new_epoch(&mut self) {
        self.order.clear();
        self.order.extend(
            self.member
                .iter()
                .enumerate()
                .filter(|(_, m)| **m)
                .filter_map(|(i, _)| u32::try_from(i).ok()),
        );
        self.order.shuffle(&mut self.rng);
        self.cursor = 0;
        self.epoch += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    fn set(v: &[u32]) -> Arc<[u32]> {
        Arc::from(v.to_vec())
    }

    #[test]
    fn one_epoch_visits_every_member_once() {
        let mut s = BatchSampler::new(1);
        let all = set(&(0..100).collect::<Vec<_>>());
        let mut seen = HashSet::new();
        for _ in 0..10 {
            for i in s.draw(&all, 10, 100) {
                assert!(seen.insert(i), "{i} drawn twice in one epoch");
            }
        }
        assert_eq!(seen.len(), 100);
    }

    #[test]
    fn removed_indices_vanish_mid_epoch() {
        let mut s = BatchSampler::new(2);
        let all = set(&(0..50).collect::<Vec<_>>());
        s.draw(&all, 5, 50);
        let kept = set(&(0..50).filter(|i| i % 2 == 0).collect::<Vec<_>>());
        for _ in 0..20 {
            for i in s.draw(&kept, 5, 50) {
                assert_eq!(i % 2, 0);
            }
        }
    }

    #[test]
    fn same_seed_same_batches() {
        let all = set(&(0..30).collect::<Vec<_>>());
        let mut a = BatchSampler::new(9);
        let mut b = BatchSampler::new(9);
        for _ in 0..7 {
            assert_eq!(a.draw(&all, 4, 30), b.draw(&all, 4, 30));
        }
    }

    #[test]
    fn small_and_empty_sets() {
        let mut s = BatchSampler::new(3);
        let mut got = s.draw(&set(&[4, 2]), 8, 10);
        got.sort();
        assert_eq!(got, vec![2, 4]);
        assert!(s.draw(&set(&[]), 8, 10).is_empty());
        assert!(s.draw(&set(&[99]), 8, 10).is_empty());
    }

    proptest! {
        #[test]
        fn batches_are_distinct_members(
            members in proptest::collection::btree_set(0u32..200, 0..120),
            batch in 1usize..40,
            seed in any::<u64>(),
            draws in 1usize..12,
        ) {
            let in_loop: Arc<[u32]> = members.iter().copied().collect::<Vec<_>>().into();
            let mut s = BatchSampler::new(seed);
            for _ in 0..draws {
                let b = s.draw(&in_loop, batch, 200);
                prop_assert_eq!(b.len(), batch.min(members.len()));
                let distinct: HashSet<_> = b.iter().collect();
                prop_assert_eq!(distinct.len(), b.len());
                prop_assert!(b.iter().all(|i| members.contains(i)));
            }
        }
    }
}
