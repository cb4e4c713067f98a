//! First-paint timing: a script injected into every page of the window reports, through the
//! `studio_painted` command, the first frame in which the Studio shows real sample cells; the
//! app turns that into "cold start to first Studio paint" (since the process started).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The Studio's grid cell that has its sample loaded (not a loading placeholder).
pub const PAINTED_SELECTOR: &str = ".grid .cell:not(.loading) .cell-id";

/// Part of the script injected before any page script (see [`crate::page_script`]). On the Studio page (served over http by the loopback
/// server) it waits until a loaded sample cell with text exists, lets two animation frames
/// pass so the cell has been painted, and calls `studio_painted` once. The app's own loading
/// page (tauri://) is skipped.
pub fn paint_reporter() -> String {
    format!(
        r#"(function () {{
  if (location.protocol !== "http:" && location.protocol !== "https:") return;
  var sent = false;
  function painted() {{
    var cell = document.querySelector({selector:?});
    return cell && cell.textContent && cell.textContent.trim().length > 0;
  }}
  function report() {{
    if (sent) return;
    sent = true;
    var internals = window.__TAURI_INTERNALS__;
    if (internals && internals.invoke) {{
      internals.invoke("studio_painted", {{ pageMs: performance.now() }}).catch(function (e) {{
        console.warn("studio_painted was refused", e);
      }});
    }}
  }}
  function check() {{
    if (sent || !painted()) return false;
    requestAnimationFrame(function () {{ requestAnimationFrame(report); }});
    return true;
  }}
  function watch() {{
    if (check()) return;
    var observer = new MutationObserver(function () {{ if (check()) observer.disconnect(); }});
    observer.observe(document.documentElement, {{ childList: true, subtree: true, characterData: true, attributes: true }});
  }}
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", watch);
  else watch();
}})();"#,
        selector = PAINTED_SELECTOR
    )
}

/// Remembers when the process started and whether the first paint was already reported.
#[derive(Debug)]
pub struct PaintClock {
    started: Instant,
    reported: AtomicBool,
}

impl PaintClock {
    pub fn new(started: Instant) -> Self {
        Self {
            started,
            reported: AtomicBool::new(false),
        }
    }

    /// Time since start for the first report; `None` for every later one (reloads, switched
    /// runs), so the number always means the cold start.
    pub fn first_paint(&self) -> Option<Duration> {
        (!self.reported.swap(true, Ordering::SeqCst)).then(|| self.started.elapsed())
    }

    pub fn since_start(&self) -> Duration {
        self.started.elapsed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_first_paint_counts() {
        let clock = PaintClock::new(Instant::now());
        assert!(clock.first_paint().is_some());
        assert!(clock.first_paint().is_none());
    }

    #[test]
    fn script_targets_loaded_cells_and_the_command() {
        let script = paint_reporter();
        assert!(script.contains("\".grid .cell:not(.loading) .cell-id\""));
        assert!(script.contains("\"studio_painted\""));
        assert!(script.contains("requestAnimationFrame"));
    }
}
