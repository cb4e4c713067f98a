//! Per-client read positions for incremental polls, bounded by least-recently-used eviction.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;

/// A client's position: the sequence number of the last point it has been given. Each client
/// has its own lock, so one client's poll never waits for another's.
pub(crate) type Cursor = Arc<Mutex<u64>>;

#[derive(Debug)]
struct Entry {
    cursor: Cursor,
    last_used: u64,
}

/// Cursors by client id. Eviction scans for the oldest entry; with the default 1024 clients
/// that costs microseconds and happens only when a new client arrives at a full table.
#[derive(Debug)]
pub(crate) struct CursorTable {
    max_clients: usize,
    clock: u64,
    entries: HashMap<String, Entry>,
}

impl CursorTable {
    pub fn new(max_clients: usize) -> Self {
        Self {
            max_clients: max_clients.max(1),
            clock: 0,
            entries: HashMap::new(),
        }
    }

    /// The cursor of `client_id`, or `None` for a client not seen (or evicted) before.
    pub fn get(&mut self, client_id: &str) -> Option<Cursor> {
        self.clock += 1;
        let clock = self.clock;
        self.entries.get_mut(client_id).map(|e| {
            e.last_used = clock;
            Arc::clone(&e.cursor)
        })
    }

    /// The cursor of `client_id`, created at `position` when the client is new.
    pub fn get_or_insert(&mut self, client_id: &str, position: u64) -> Cursor {
        if let Some(cursor) = self.get(client_id) {
            return cursor;
        }
        if self.entries.len() >= self.max_clients {
            self.evict_oldest();
        }
        let cursor = Arc::new(Mutex::new(position));
        self.entries.insert(
            client_id.to_owned(),
            Entry {
                cursor: Arc::clone(&cursor),
                last_used: self.clock,
            },
        );
        cursor
    }

    fn evict_oldest(&mut self) {
        let oldest = self
            .entries
            .iter()
            .min_by_key(|(_, e)| e.last_used)
            .map(|(id, _)| id.clone());
        if let Some(id) = oldest {
            tracing::debug!(client = %id, "evicted the least recently used poll cursor");
            self.entries.remove(&id);
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_client_starts_at_given_position() {
        let mut t = CursorTable::new(4);
        assert!(t.get("a").is_none());
        let c = t.get_or_insert("a", 7);
        assert_eq!(*c.lock(), 7);
        *c.lock() = 9;
        assert_eq!(*t.get_or_insert("a", 0).lock(), 9);
    }

    #[test]
    fn least_recently_used_is_evicted() {
        let mut t = CursorTable::new(2);
        t.get_or_insert("a", 1);
        t.get_or_insert("b", 2);
        t.get("a"); // b is now the oldest
        t.get_or_insert("c", 3);
        assert_eq!(t.len(), 2);
        assert!(t.get("b").is_none());
        assert!(t.get("a").is_some() && t.get("c").is_some());
    }
}
