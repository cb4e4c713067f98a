//! Per-RPC concurrency limits: a bounded logger pool and named locks with timeouts.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::ServiceError;

/// A lock that reports who holds it when it cannot be taken in time.
pub struct NamedLock {
    name: &'static str,
    lock: Arc<tokio::sync::Mutex<()>>,
    holder: Arc<Mutex<Option<(String, Instant)>>>,
}

/// Held while the guarded operation runs; clears the holder on drop.
pub struct NamedGuard {
    _guard: tokio::sync::OwnedMutexGuard<()>,
    holder: Arc<Mutex<Option<(String, Instant)>>>,
}

impl Drop for NamedGuard {
    fn drop(&mut self) {
        *self.holder.lock() = None;
    }
}

impl NamedLock {
    pub fn new(name: &'static str) -> Self {
        Self {
            name,
            lock: Arc::new(tokio::sync::Mutex::new(())),
            holder: Arc::new(Mutex::new(None)),
        }
    }

    /// Waits at most `timeout`; on expiry the error names the current holder and for how long
    /// it has held the lock.
    pub async fn acquire(
        &self,
        who: String,
        timeout: Duration,
    ) -> Result<NamedGuard, ServiceError> {
        match tokio::time::timeout(timeout, self.lock.clone().lock_owned()).await {
            Ok(guard) => {
                *self.holder.lock() = Some((who, Instant::now()));
                Ok(NamedGuard {
                    _guard: guard,
                    holder: self.holder.clone(),
                })
            }
            Err(_) => {
                let holder = self
                    .holder
                    .lock()
                    .as_ref()
                    .map(|(name, since)| {
                        format!(
                            "{name} (holding it for {:.1} s)",
                            since.elapsed().as_secs_f64()
                        )
                    })
                    .unwrap_or_else(|| "another call".to_string());
                Err(ServiceError::Aborted(format!(
                    "the {} lock was not free within {:.1} s: held by {holder}; try again",
                    self.name,
                    timeout.as_secs_f64()
                )))
            }
        }
    }
}

/// The limits the spec's "Concurrency Patterns" name.
pub struct Limits {
    logger: Arc<Semaphore>,
    logger_max: usize,
    pub edits: NamedLock,
    pub queries: NamedLock,
    pub lock_timeout: Duration,
}

impl Limits {
    pub fn new(logger_max: usize, lock_timeout: Duration) -> Self {
        Self {
            logger: Arc::new(Semaphore::new(logger_max)),
            logger_max,
            edits: NamedLock::new("edit"),
            queries: NamedLock::new("query"),
            lock_timeout,
        }
    }

    /// A logger slot now, or RESOURCE_EXHAUSTED at once (never a queue).
    pub fn logger_slot(&self) -> Result<OwnedSemaphorePermit, ServiceError> {
        self.logger.clone().try_acquire_owned().map_err(|_| {
            ServiceError::ResourceExhausted(format!(
                "GetLatestLoggerData is limited to {} concurrent calls and all are busy; retry shortly",
                self.logger_max
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logger_slots_are_bounded() {
        let limits = Limits::new(3, Duration::from_secs(1));
        let held: Vec<_> = (0..3).map(|_| limits.logger_slot().unwrap()).collect();
        let error = limits.logger_slot().unwrap_err();
        assert_eq!(error.code(), tonic::Code::ResourceExhausted);
        drop(held);
        assert!(limits.logger_slot().is_ok());
    }

    #[tokio::test]
    async fn a_busy_lock_names_its_holder() {
        let lock = NamedLock::new("edit");
        let _held = lock
            .acquire(
                "EditDataSample from 127.0.0.1:9".into(),
                Duration::from_secs(1),
            )
            .await
            .unwrap();
        let error = match lock
            .acquire("other".into(), Duration::from_millis(10))
            .await
        {
            Err(error) => error,
            Ok(_) => panic!("the lock is held"),
        };
        assert_eq!(error.code(), tonic::Code::Aborted);
        assert!(
            error
                .to_string()
                .contains("EditDataSample from 127.0.0.1:9"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn a_released_lock_can_be_taken_again() {
        let lock = NamedLock::new("query");
        drop(
            lock.acquire("a".into(), Duration::from_secs(1))
                .await
                .unwrap(),
        );
        assert!(
            lock.acquire("b".into(), Duration::from_secs(1))
                .await
                .is_ok()
        );
    }
}
