//! The `weightslab` command: serve the demo, train from a config, read the audit log.

fn main() -> anyhow::Result<()> {
    weightslab::cli::main()
}
