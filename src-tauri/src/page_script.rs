//! The script Tauri injects into every page of the window before the page's own scripts: a
//! locale guard, then the first-paint reporter.

use crate::paint::paint_reporter;

/// A process started under the POSIX locale (`LANG` unset, `C` or `POSIX`, common for
/// services and minimal sessions) makes WebKitGTK report `navigator.language = "C"`, which
/// is no BCP 47 tag: every `Intl` call given it throws a RangeError, and the Studio stops
/// before drawing anything. The guard replaces tags `Intl` refuses with `en-US`, so the page
/// sees what a browser would report.
pub const LOCALE_GUARD: &str = r#"(function () {
  function valid(tag) {
    try { return Intl.getCanonicalLocales(tag).length > 0; } catch (e) { return false; }
  }
  var language = navigator.language;
  var languages = Array.prototype.filter.call(navigator.languages || [], valid);
  if (valid(language) && languages.length > 0) return;
  var fixed = valid(language) ? language : (languages[0] || "en-US");
  if (languages.length === 0) languages = [fixed];
  try {
    Object.defineProperty(navigator, "language", { get: function () { return fixed; }, configurable: true });
    Object.defineProperty(navigator, "languages", { get: function () { return languages.slice(); }, configurable: true });
  } catch (e) {
    console.warn("cannot correct navigator.language", e);
  }
})();"#;

/// Everything injected, in order.
pub fn init_script() -> String {
    format!("{LOCALE_GUARD}\n{}", paint_reporter())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guard_runs_before_the_reporter() {
        let script = init_script();
        let guard = script.find("getCanonicalLocales").unwrap();
        let reporter = script.find("studio_painted").unwrap();
        assert!(guard < reporter);
        assert!(script.contains("\"en-US\""));
    }
}
