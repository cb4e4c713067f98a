//! The `weightslab-desktop` binary: parses the settings, sets up logging and runs the app.

use std::time::Instant;

use clap::Parser;
use weightslab_desktop::args::DesktopArgs;

#[allow(unsafe_code)]
fn main() {
    // SAFETY: first statement of main; no other thread exists yet.
    unsafe { weightslab::pin_thread_count() };
    let started = Instant::now();
    weightslab::init_tracing();
    let args = DesktopArgs::parse();
    match weightslab_desktop::app::run(args, started) {
        Ok(code) => std::process::exit(code),
        Err(error) => {
            eprintln!("weightslab-desktop: {error:#}");
            std::process::exit(1);
        }
    }
}
