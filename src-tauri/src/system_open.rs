//! Opens a folder in the platform's file manager (the "Open log folder" menu item).

use std::path::Path;
use std::process::Command;

use crate::error::DesktopError;

/// The program and arguments that show `path` in the file manager on this platform.
pub fn open_command(path: &Path) -> Command {
    #[cfg(target_os = "macos")]
    let mut command = Command::new("open");
    #[cfg(target_os = "windows")]
    let mut command = Command::new("explorer");
    #[cfg(not(any(target_os = "macos", target_os = "windows")))]
    let mut command = Command::new("xdg-open");
    command.arg(path);
    command
}

/// Starts the file manager on `path` without waiting for it; a reaper thread collects the
/// launcher's exit so it never lingers as a zombie.
pub fn open_folder(path: &Path) -> Result<(), DesktopError> {
    let open_error = |source| DesktopError::Open {
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(path).map_err(open_error)?;
    let mut child = open_command(path).spawn().map_err(open_error)?;
    std::thread::Builder::new()
        .name("open-folder".into())
        .spawn(move || {
            let _ = child.wait();
        })
        .map_err(open_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_names_the_folder() {
        let command = open_command(Path::new("/tmp/logs"));
        let args: Vec<_> = command.get_args().collect();
        assert_eq!(args, vec![std::ffi::OsStr::new("/tmp/logs")]);
    }
}
