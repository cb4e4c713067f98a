//! The `weightslab` command: serve the demo, train from a config, read the audit log.

#[allow(unsafe_code)]
fn main() -> anyhow::Result<()> {
    // SAFETY: first statement of main; no other thread exists yet.
    unsafe { weightslab::pin_thread_count() };
    weightslab::cli::main()
}
