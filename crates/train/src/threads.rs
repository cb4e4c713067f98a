//! Pins the worker-thread count candle asks for, so it is not recomputed on every matmul.
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
