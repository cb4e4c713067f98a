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

/// Niceness the trainer thread runs at with [`TrainerPriority::Low`] (0 is normal, 19 the
/// lowest priority).
pub const TRAINER_NICENESS: i32 = 10;

/// The variable that picks the trainer's CPU priority: `idle`, `low` or `normal`.
pub const PRIORITY_VAR: &str = "WL_TRAINER_PRIORITY";

/// How the trainer's threads share the CPU with everything else on the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrainerPriority {
    /// Linux `SCHED_IDLE`: training takes only CPU time nothing else wants, and any other
    /// thread that wakes up gets the core at once. With a niceness alone, a browser's
    /// rendering steps still stall while the trainer holds the cores: on 2 cores the Studio's
    /// longest frames while the demo trains were 64–107 ms at nice 10 and 0–86 ms under
    /// `SCHED_IDLE`. The price is training speed, because the trainer's own threads (candle's
    /// workers, the batch loader) then also wait for each other behind anything else that
    /// runs: measured on 2 cores, the CNN trains about 16 % slower and the MLP, whose steps
    /// are short, about 64 % slower. Elsewhere than Linux: as `Low`.
    Idle,
    /// Niceness [`TRAINER_NICENESS`] (the default): a smaller share when the CPU is contended.
    Low,
    /// The priority the process started with.
    Normal,
}

impl TrainerPriority {
    /// From [`PRIORITY_VAR`]; unset means `Low`, an unknown value is logged and means `Low`.
    pub fn from_env() -> Self {
        match std::env::var(PRIORITY_VAR) {
            Err(_) => Self::Low,
            Ok(value) => value.parse().unwrap_or_else(|error| {
                tracing::warn!(%error, "using the low priority for training");
                Self::Low
            }),
        }
    }
}

impl std::str::FromStr for TrainerPriority {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "idle" => Ok(Self::Idle),
            "low" => Ok(Self::Low),
            "normal" => Ok(Self::Normal),
            other => Err(format!(
                "{PRIORITY_VAR}={other:?} is not one of idle, low, normal"
            )),
        }
    }
}

/// Lowers the calling thread's CPU priority as [`TrainerPriority::from_env`] says, so the
/// Studio, the RPC threads and the rest of the desktop get a core first when they need one,
/// while training still takes every idle cycle. Threads it starts afterwards (candle's worker
/// pool is created on the trainer's first tensor operation) inherit the policy on Linux.
/// Best effort: where the OS refuses, training runs at normal priority.
pub fn yield_to_interactive_work() {
    apply_priority(TrainerPriority::from_env());
}

/// Gives the calling thread `priority`.
pub fn apply_priority(priority: TrainerPriority) {
    if priority == TrainerPriority::Idle && set_idle_policy().is_ok() {
        return;
    }
    if priority == TrainerPriority::Normal {
        return;
    }
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

#[cfg(target_os = "linux")]
fn set_idle_policy() -> Result<(), String> {
    use thread_priority::{
        NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy,
        set_thread_priority_and_policy, thread_native_id,
    };
    set_thread_priority_and_policy(
        thread_native_id(),
        ThreadPriority::Min,
        ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle),
    )
    .map_err(|error| {
        tracing::debug!(?error, "SCHED_IDLE refused; lowering the niceness instead");
        format!("{error:?}")
    })
}

#[cfg(not(target_os = "linux"))]
fn set_idle_policy() -> Result<(), String> {
    Err("SCHED_IDLE is Linux-only".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Field `index` (1-based, as in proc(5)) of this thread's stat line.
    #[cfg(target_os = "linux")]
    fn stat_field(index: usize) -> Option<i64> {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
        // Fields after the command name (field 2, in parentheses) start at 3.
        let (_, rest) = stat.rsplit_once(')')?;
        rest.split_whitespace().nth(index - 3)?.parse().ok()
    }

    /// Policy (field 41 of stat: 0 normal, 5 idle) and niceness (field 19) of a fresh thread
    /// after `apply_priority`.
    #[cfg(target_os = "linux")]
    fn applied(priority: TrainerPriority) -> (Option<i64>, Option<i64>) {
        std::thread::spawn(move || {
            apply_priority(priority);
            (stat_field(41), stat_field(19))
        })
        .join()
        .unwrap()
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn priorities_reach_the_thread() {
        let (policy, nice) = applied(TrainerPriority::Low);
        assert_eq!(policy, Some(0), "low keeps the normal policy");
        assert!(
            matches!(nice, Some(n) if n > 0),
            "low lowers the niceness: {nice:?}"
        );
        assert_eq!(
            applied(TrainerPriority::Idle).0,
            Some(5),
            "idle is SCHED_IDLE"
        );
    }

    #[test]
    fn priority_names() {
        assert_eq!("idle".parse(), Ok(TrainerPriority::Idle));
        assert_eq!(" Low ".parse(), Ok(TrainerPriority::Low));
        assert_eq!("normal".parse(), Ok(TrainerPriority::Normal));
        let error = "fast".parse::<TrainerPriority>().unwrap_err();
        assert!(error.contains("idle, low, normal"), "{error}");
    }
}
