//! Thread settings for training: the worker-thread count candle asks for (pinned, so it is
//! not recomputed on every matmul) and the trainer's CPU priority.
//!
//! candle 0.11 calls `get_num_threads()` for each CPU matmul; with `RAYON_NUM_THREADS` unset
//! that falls back to `num_cpus::get_physical()`, which reads and parses `/proc/cpuinfo`
//! every time (measured: a quarter of an MLP step on 2 cores). Setting the variable once at
//! start-up to the same value candle would pick makes that a lookup.

/// The variable candle (and rayon) read for their thread count.
pub const THREADS_VAR: &str = "RAYON_NUM_THREADS";

/// Sets [`THREADS_VAR`] to the number of physical cores unless the user set it.
///
/// # Safety
/// Must be called before the process starts any other thread (first thing in `main`):
/// changing the environment while another thread may read it is undefined behaviour.
#[allow(unsafe_code)]
pub unsafe fn pin_thread_count() {
    if std::env::var_os(THREADS_VAR).is_none() {
        let cores = num_cpus::get_physical().max(1);
        // SAFETY: the caller guarantees no other thread exists yet.
        unsafe { std::env::set_var(THREADS_VAR, cores.to_string()) };
    }
}

/// Niceness the trainer thread runs at (0 is normal, 19 the lowest priority).
pub const TRAINER_NICENESS: i32 = 10;

/// Lowers the calling thread's CPU priority to about [`TRAINER_NICENESS`], so the Studio,
/// the RPC threads and the rest of the desktop get a core first when they need one, while
/// training still takes every idle cycle. Threads it starts afterwards (candle's worker pool
/// is created on the trainer's first tensor operation) inherit the priority on Linux.
/// Best effort: where the OS refuses, training runs at normal priority.
pub fn yield_to_interactive_work() {
    // thread-priority maps 0..=99 onto niceness 20..=-20; 25 lands on about 10.
    let value = thread_priority::ThreadPriorityValue::try_from(25u8);
    let result = value.map_err(|e| e.to_string()).and_then(|v| {
        thread_priority::set_current_thread_priority(
            thread_priority::ThreadPriority::Crossplatform(v),
        )
        .map_err(|e| format!("{e:?}"))
    });
    if let Err(error) = result {
        tracing::debug!(%error, "cannot lower the trainer's priority; it runs at normal priority");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On Linux the trainer's thread really runs at a lower priority (nice > 0).
    #[cfg(target_os = "linux")]
    #[test]
    fn trainer_priority_is_lowered() {
        let nice = std::thread::spawn(|| {
            yield_to_interactive_work();
            let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
            // Field 19 of stat is the nice value; fields after the command name start at 3.
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(16)?.parse::<i32>().ok())
        })
        .join()
        .unwrap();
        assert!(matches!(nice, Some(n) if n > 0), "nice value {nice:?}");
    }
}
