//! The thumbnail cache: least-recently-used, bounded by the bytes it holds, with hit counts.

use lru::LruCache;
use parking_lot::Mutex;

use crate::{SizeSpec, ThumbFormat, Thumbnail};

/// Bookkeeping per entry on top of the encoded bytes (key, map slot, Arc header), so a
/// flood of tiny thumbnails cannot grow the cache far beyond its budget.
const ENTRY_OVERHEAD: usize = 96;

/// What identifies a thumbnail: the source, its size and its format.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    pub key: String,
    pub size: SizeSpec,
    pub format: ThumbFormat,
}

impl CacheKey {
    fn weight(&self, thumb: &Thumbnail) -> usize {
        thumb.bytes.len() + self.key.len() + ENTRY_OVERHEAD
    }
}

/// A snapshot of the cache counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
    /// Bytes held, including per-entry overhead.
    pub bytes: usize,
    pub entries: usize,
}

#[derive(Debug)]
struct Inner {
    lru: LruCache<CacheKey, Thumbnail>,
    bytes: usize,
    hits: u64,
    misses: u64,
}

/// Thread-safe byte-bounded LRU of encoded thumbnails. Lock hold times are a hash lookup.
#[derive(Debug)]
pub struct ThumbCache {
    inner: Mutex<Inner>,
    capacity: usize,
}

impl ThumbCache {
    /// A cache that never holds more than `capacity` bytes; 0 disables caching.
    pub fn new(capacity: usize) -> ThumbCache {
        ThumbCache {
            inner: Mutex::new(Inner {
                lru: LruCache::unbounded(),
                bytes: 0,
                hits: 0,
                misses: 0,
            }),
            capacity,
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Looks up and marks the entry as recently used; counts a hit or a miss.
    pub fn get(&self, key: &CacheKey) -> Option<Thumbnail> {
        let mut inner = self.inner.lock();
        let found = inner.lru.get(key).cloned();
        if found.is_some() {
            inner.hits += 1;
        } else {
            inner.misses += 1;
        }
        found
    }

    /// Stores a thumbnail, evicting the least recently used ones until it fits. An entry
    /// larger than the whole budget is not stored.
    pub fn insert(&self, key: CacheKey, thumb: Thumbnail) {
        let weight = key.weight(&thumb);
        if weight > self.capacity {
            return;
        }
        let mut inner = self.inner.lock();
        if let Some(old) = inner.lru.pop(&key) {
            inner.bytes -= key.weight(&old);
        }
        while inner.bytes + weight > self.capacity {
            match inner.lru.pop_lru() {
                Some((k, t)) => inner.bytes -= k.weight(&t),
                None => break,
            }
        }
        inner.bytes += weight;
        inner.lru.put(key, thumb);
    }

    pub fn stats(&self) -> CacheStats {
        let inner = self.inner.lock();
        CacheStats {
            hits: inner.hits,
            misses: inner.misses,
            bytes: inner.bytes,
            entries: inner.lru.len(),
        }
    }

    /// Drops every entry (counters are kept).
    pub fn clear(&self) {
        let mut inner = self.inner.lock();
        inner.lru.clear();
        inner.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(k: &str) -> CacheKey {
        CacheKey {
            key: k.to_string(),
            size: SizeSpec::Default,
            format: ThumbFormat::Png,
        }
    }

    fn thumb(len: usize) -> Thumbnail {
        Thumbnail {
            bytes: vec![0u8; len].into(),
            width: 1,
            height: 1,
            channels: 1,
            format: ThumbFormat::Png,
            source_width: 1,
            source_height: 1,
        }
    }

    #[test]
    fn evicts_least_recently_used_by_bytes() {
        // Room for exactly two 1000-byte entries (+ key + overhead each).
        let per = 1000 + 1 + ENTRY_OVERHEAD;
        let cache = ThumbCache::new(2 * per);
        cache.insert(key("a"), thumb(1000));
        cache.insert(key("b"), thumb(1000));
        assert!(cache.get(&key("a")).is_some()); // a is now the most recent
        cache.insert(key("c"), thumb(1000));
        assert!(cache.get(&key("b")).is_none(), "b was least recently used");
        assert!(cache.get(&key("a")).is_some());
        assert!(cache.get(&key("c")).is_some());
        let s = cache.stats();
        assert_eq!((s.entries, s.bytes, s.hits, s.misses), (2, 2 * per, 3, 1));
    }

    #[test]
    fn one_big_entry_evicts_several_small_ones() {
        let cache = ThumbCache::new(3000);
        for k in ["a", "b", "c", "d"] {
            cache.insert(key(k), thumb(500));
        }
        cache.insert(key("big"), thumb(2000));
        let s = cache.stats();
        assert!(s.bytes <= 3000, "{s:?}");
        assert!(cache.get(&key("big")).is_some());
        assert!(cache.get(&key("a")).is_none());
    }

    #[test]
    fn oversized_and_disabled() {
        let cache = ThumbCache::new(100);
        cache.insert(key("a"), thumb(1000));
        assert_eq!(cache.stats().entries, 0);
        let off = ThumbCache::new(0);
        off.insert(key("a"), thumb(1));
        assert!(off.get(&key("a")).is_none());
    }

    #[test]
    fn replacing_a_key_does_not_leak_bytes() {
        let cache = ThumbCache::new(10_000);
        cache.insert(key("a"), thumb(1000));
        cache.insert(key("a"), thumb(10));
        assert_eq!(cache.stats().bytes, 10 + 1 + ENTRY_OVERHEAD);
        assert_eq!(cache.stats().entries, 1);
    }

    proptest! {
        #[test]
        fn bytes_stay_within_budget_and_match_entries(
            capacity in 0usize..20_000,
            ops in proptest::collection::vec((0u8..12, 0usize..5_000), 1..60),
        ) {
            let cache = ThumbCache::new(capacity);
            for (k, len) in ops {
                cache.insert(key(&k.to_string()), thumb(len));
                let s = cache.stats();
                prop_assert!(s.bytes <= capacity);
                let inner = cache.inner.lock();
                let sum: usize = inner.lru.iter().map(|(k, t)| k.weight(t)).sum();
                prop_assert_eq!(sum, s.bytes);
            }
        }
    }
}
