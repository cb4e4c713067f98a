//! A small fixed pool of worker threads that maps a page of work items in parallel.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_channel::{Sender, bounded};

use crate::MediaError;

type Task = Box<dyn FnOnce() + Send + 'static>;

/// Queued tasks per worker before `map` waits: enough to keep every worker busy, small
/// enough that a flood of pages queues in the callers, not in memory here.
const QUEUE_PER_WORKER: usize = 16;

/// Fixed worker threads fed through a bounded channel; joined on drop.
#[derive(Debug)]
pub struct WorkerPool {
    sender: Option<Sender<Task>>,
    handles: Vec<JoinHandle<()>>,
}

impl WorkerPool {
    pub fn new(workers: usize) -> Result<WorkerPool, MediaError> {
        if workers == 0 {
            return Err(MediaError::Config(
                "the thumbnail pool needs at least 1 worker".to_string(),
            ));
        }
        let (sender, receiver) = bounded::<Task>(workers * QUEUE_PER_WORKER);
        let mut handles = Vec::with_capacity(workers);
        for i in 0..workers {
            let receiver = receiver.clone();
            let handle = std::thread::Builder::new()
                .name(format!("wl-thumb-{i}"))
                .spawn(move || {
                    for task in receiver {
                        task();
                    }
                })
                .map_err(|e| MediaError::Worker(format!("cannot start worker thread {i}: {e}")))?;
            handles.push(handle);
        }
        Ok(WorkerPool {
            sender: Some(sender),
            handles,
        })
    }

    pub fn workers(&self) -> usize {
        self.handles.len()
    }

    /// Applies `f` to every item on the pool and returns the results in item order. A panic
    /// inside `f` becomes that item's `MediaError::Worker`; the worker keeps running.
    pub fn map<T, R, F>(&self, items: Vec<T>, f: F) -> Vec<Result<R, MediaError>>
    where
        T: Send + 'static,
        R: Send + 'static,
        F: Fn(T) -> R + Send + Sync + 'static,
    {
        let n = items.len();
        let f = Arc::new(f);
        let (result_tx, result_rx) = bounded(n);
        let mut results: Vec<Option<Result<R, MediaError>>> = (0..n).map(|_| None).collect();
        for (i, item) in items.into_iter().enumerate() {
            let f = f.clone();
            let result_tx = result_tx.clone();
            let task: Task = Box::new(move || {
                let r = catch_unwind(AssertUnwindSafe(|| f(item))).map_err(|panic| {
                    let what = panic
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "unknown panic".to_string());
                    MediaError::Worker(format!("item {i} panicked: {what}"))
                });
                // The receiver lives until every sender is gone; a send cannot fail here.
                let _ = result_tx.send((i, r));
            });
            let sent = self.sender.as_ref().map(|s| s.send(task));
            if !matches!(sent, Some(Ok(()))) {
                results[i] = Some(Err(MediaError::Worker(
                    "the worker pool has shut down".to_string(),
                )));
            }
        }
        drop(result_tx);
        for (i, r) in result_rx.iter() {
            results[i] = Some(r);
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(MediaError::Worker("a task was lost".to_string()))))
            .collect()
    }
}

impl Drop for WorkerPool {
    fn drop(&mut self) {
        // Closing the channel ends each worker's loop once the queue drains.
        self.sender.take();
        for handle in self.handles.drain(..) {
            if handle.join().is_err() {
                tracing::warn!("a thumbnail worker exited by panic");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::sync::Mutex;

    #[test]
    fn results_come_back_in_order_from_several_threads() {
        let pool = WorkerPool::new(4).unwrap();
        let seen = Arc::new(Mutex::new(HashSet::new()));
        let seen2 = seen.clone();
        let out = pool.map((0..200u64).collect(), move |x| {
            seen2
                .lock()
                .unwrap()
                .insert(std::thread::current().name().map(str::to_string));
            std::thread::sleep(std::time::Duration::from_micros(200));
            x * x
        });
        let values: Vec<u64> = out.into_iter().map(|r| r.unwrap()).collect();
        assert_eq!(values, (0..200u64).map(|x| x * x).collect::<Vec<_>>());
        assert!(
            seen.lock().unwrap().len() > 1,
            "work ran on one thread only"
        );
    }

    #[test]
    fn a_panic_fails_one_item_and_the_pool_survives() {
        let pool = WorkerPool::new(1).unwrap();
        let out = pool.map(vec![1, 0, 2], |x| {
            assert!(x != 0, "boom on zero");
            10 / x
        });
        assert_eq!(out[0].as_ref().unwrap(), &10);
        let err = out[1].as_ref().unwrap_err().to_string();
        assert!(err.contains("boom on zero"), "{err}");
        assert_eq!(out[2].as_ref().unwrap(), &5);
        assert_eq!(pool.map(vec![3], |x| x + 1)[0].as_ref().unwrap(), &4);
    }

    #[test]
    fn zero_workers_is_a_config_error() {
        assert!(matches!(WorkerPool::new(0), Err(MediaError::Config(_))));
    }
}
