//! Build script: Tauri's code generation (config, icons, ACL) plus the app's one IPC command,
//! declared so a capability can grant it to the Studio page served from loopback.

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(&["studio_painted"]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .unwrap_or_else(|error| panic!("tauri-build failed: {error:#}"));
}
