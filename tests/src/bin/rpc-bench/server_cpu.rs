//! CPU time the server under test spends, read from Linux's per-thread scheduler statistics
//! (`/proc/<pid>/task/<tid>/schedstat`, nanoseconds on a CPU, user and kernel together). Divided
//! by the number of calls it tells how much work a call costs the server, which on a noisy VM
//! is steadier than latency and separates "our stack does more" from "the machine was busy".

use std::time::Duration;

/// Which threads make up the server being measured.
#[derive(Clone, Debug)]
pub enum ServerThreads {
    /// Threads of process `pid` whose names start with `name_prefix` (all when empty).
    Of { pid: u32, name_prefix: &'static str },
    /// A server elsewhere (`RPC_BENCH_ADDR`): its CPU time is not known here.
    Unknown,
}

impl ServerThreads {
    /// The total CPU time of those threads so far; `None` where it cannot be read.
    pub fn cpu_time(&self) -> Option<Duration> {
        let ServerThreads::Of { pid, name_prefix } = self else {
            return None;
        };
        let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
        let mut total_ns = 0u64;
        for task in tasks.flatten() {
            let path = task.path();
            let name = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
            if !name.starts_with(name_prefix) {
                continue;
            }
            // A thread that ended between the listing and this read no longer counts.
            let Ok(stats) = std::fs::read_to_string(path.join("schedstat")) else {
                continue;
            };
            total_ns += stats
                .split_whitespace()
                .next()
                .and_then(|on_cpu| on_cpu.parse::<u64>().ok())?;
        }
        Some(Duration::from_nanos(total_ns))
    }
}

/// CPU time per call between two readings, when both were taken.
pub fn per_call(
    before: Option<Duration>,
    after: Option<Duration>,
    calls: usize,
) -> Option<Duration> {
    let spent = after?.checked_sub(before?)?;
    Some(spent / calls.max(1) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_cpu_time_and_it_grows() {
        let threads = ServerThreads::Of {
            pid: std::process::id(),
            name_prefix: "",
        };
        let before = threads.cpu_time().expect("schedstat is readable on Linux");
        let mut spin = 0u64;
        let started = std::time::Instant::now();
        while started.elapsed() < Duration::from_millis(20) {
            spin = spin.wrapping_add(1);
        }
        std::hint::black_box(spin);
        let after = threads.cpu_time().expect("schedstat is readable on Linux");
        assert!(
            after > before,
            "{after:?} after spinning, {before:?} before"
        );
        assert_eq!(ServerThreads::Unknown.cpu_time(), None);
        assert_eq!(
            per_call(Some(before), Some(before + Duration::from_micros(300)), 3),
            Some(Duration::from_micros(100))
        );
        assert_eq!(per_call(None, Some(before), 3), None);
    }
}
