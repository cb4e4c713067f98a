//! Short holds on training that a user interface asks for while a person interacts with it
//! (scrolling the sample grid): the trainer waits between steps until the hold runs out, so a
//! machine with few cores gives its CPU to the interface for that moment.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// The hold deadline plus how long training has waited on holds in total.
#[derive(Debug, Default)]
pub(crate) struct TrainingHold {
    until: Mutex<Option<Instant>>,
    held_nanos: AtomicU64,
    requests: AtomicU64,
}

impl TrainingHold {
    /// Holds training until `now + duration`, replacing any earlier deadline; a zero
    /// duration ends the hold at once.
    pub fn hold_for(&self, now: Instant, duration: Duration) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        *self.until.lock() = (!duration.is_zero()).then(|| now + duration);
    }

    /// How much longer the hold lasts, or `None` when there is none.
    pub fn remaining(&self, now: Instant) -> Option<Duration> {
        let mut until = self.until.lock();
        match *until {
            Some(deadline) if deadline > now => Some(deadline - now),
            Some(_) => {
                *until = None;
                None
            }
            None => None,
        }
    }

    pub fn add_held(&self, waited: Duration) {
        let nanos = u64::try_from(waited.as_nanos()).unwrap_or(u64::MAX);
        self.held_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Totals since start: time training waited on holds, and holds asked for.
    pub fn totals(&self) -> HoldTotals {
        HoldTotals {
            held: Duration::from_nanos(self.held_nanos.load(Ordering::Relaxed)),
            requests: self.requests.load(Ordering::Relaxed),
        }
    }
}

/// What holds have cost training so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HoldTotals {
    /// Time the trainer spent waiting on holds instead of stepping.
    pub held: Duration,
    /// Hold requests received (each one replaces the deadline before it).
    pub requests: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hold_lasts_until_its_deadline() {
        let hold = TrainingHold::default();
        let now = Instant::now();
        assert_eq!(hold.remaining(now), None);
        hold.hold_for(now, Duration::from_millis(400));
        assert_eq!(
            hold.remaining(now + Duration::from_millis(100)),
            Some(Duration::from_millis(300))
        );
        assert_eq!(hold.remaining(now + Duration::from_millis(400)), None);
        assert_eq!(hold.remaining(now), None, "an expired hold is gone");
    }

    #[test]
    fn a_new_hold_replaces_the_old_one_and_zero_releases() {
        let hold = TrainingHold::default();
        let now = Instant::now();
        hold.hold_for(now, Duration::from_secs(2));
        hold.hold_for(now, Duration::from_millis(50));
        assert_eq!(hold.remaining(now), Some(Duration::from_millis(50)));
        hold.hold_for(now, Duration::ZERO);
        assert_eq!(hold.remaining(now), None);
        assert_eq!(hold.totals().requests, 3);
    }

    #[test]
    fn held_time_adds_up() {
        let hold = TrainingHold::default();
        hold.add_held(Duration::from_millis(30));
        hold.add_held(Duration::from_millis(12));
        assert_eq!(hold.totals().held, Duration::from_millis(42));
    }
}
