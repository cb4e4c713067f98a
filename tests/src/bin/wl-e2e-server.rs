//! The `weightslab` command, built inside the test crate so that process-level tests (restart,
//! `kill -9`, signals) can spawn it through `CARGO_BIN_EXE_wl-e2e-server`. Same code as the
//! real binary: it calls the library's CLI entry point.

#[allow(unsafe_code)]
fn main() -> anyhow::Result<()> {
    // SAFETY: first statement of main; no other thread exists yet.
    unsafe { weightslab::pin_thread_count() };
    weightslab::cli::main()
}
