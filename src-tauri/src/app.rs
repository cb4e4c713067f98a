//! The Tauri shell: the window (loading page, then the Studio), its menu, single instance,
//! remembered window state, self-quit for tests, and the graceful quit that offers a
//! checkpoint and folds the journal.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tauri::menu::{
    CheckMenuItem, CheckMenuItemBuilder, MenuBuilder, MenuItemBuilder, SubmenuBuilder,
};
use tauri::{
    AppHandle, Manager, RunEvent, WebviewUrl, WebviewWindow, WebviewWindowBuilder, WindowEvent, Wry,
};
use tauri_plugin_dialog::{DialogExt, MessageDialogButtons, MessageDialogKind};

use crate::args::{DEFAULT_EXPOSE_PORT, DesktopArgs};
use crate::backend::Backend;
use crate::error::DesktopError;
use crate::exposure::ExposureInfo;
use crate::logdirs;
use crate::page_script::init_script;
use crate::paint::PaintClock;
use crate::quit::{CheckpointDecision, decide};
use crate::system_open;

const MAIN: &str = "main";

mod menu_id {
    pub const OPEN_FOLDER: &str = "open-folder";
    pub const OPEN_CONFIG: &str = "open-config";
    pub const EXPOSE: &str = "expose";
    pub const CONNECTION: &str = "connection";
    pub const LOG_FOLDER: &str = "log-folder";
    pub const QUIT: &str = "quit";
}

/// Where the service is in its life.
enum Session {
    /// Loading data; the window shows the loading page.
    Starting,
    /// Boxed: the backend is large and the other states are tiny.
    Running(Box<Backend>),
    /// Switching runs or stopping: no backend to act on.
    Busy,
    Failed(String),
    Stopped,
}

/// Everything the menu, commands and events share.
pub struct Shell {
    args: DesktopArgs,
    /// Where runs opened from the menu keep their logs: beside an explicit `--log-dir`, else
    /// the platform's app-data folder (a double-clicked app's working folder may be `/`).
    base_log_dir: Mutex<PathBuf>,
    clock: PaintClock,
    session: Mutex<Session>,
    quitting: AtomicBool,
    /// Set once the service stopped: the next exit request is let through.
    stopped: AtomicBool,
    exit_code: AtomicI32,
    expose_item: Mutex<Option<CheckMenuItem<Wry>>>,
    /// The bundled loading page's URL (its scheme differs per platform), kept from start-up.
    loading_url: Mutex<Option<tauri::Url>>,
}

type SharedShell = Arc<Shell>;

/// Prints a line for people and scripts (the smoke test reads these) and flushes at once.
fn say(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "weightslab-desktop: {text}");
    let _ = out.flush();
}

/// Builds and runs the app; returns the exit code.
pub fn run(args: DesktopArgs, started: Instant) -> anyhow::Result<i32> {
    let mut config = args.resolve()?;
    let explicit_log_dir = args.serve.log_dir.is_some() || config.run.server.log_dir.is_some();
    let base_log_dir = config
        .server
        .log_dir
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let shell: SharedShell = Arc::new(Shell {
        args,
        base_log_dir: Mutex::new(base_log_dir),
        clock: PaintClock::new(started),
        session: Mutex::new(Session::Starting),
        quitting: AtomicBool::new(false),
        stopped: AtomicBool::new(false),
        exit_code: AtomicI32::new(0),
        expose_item: Mutex::new(None),
        loading_url: Mutex::new(None),
    });

    let setup_shell = shell.clone();
    let app = tauri::Builder::default()
        // First, so a second launch hands over and exits before anything else starts.
        .plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            say(&format!(
                "second launch ({} args): focusing this window",
                argv.len()
            ));
            if let Some(window) = app.get_webview_window(MAIN) {
                let _ = window.unminimize();
                let _ = window.show();
                let _ = window.set_focus();
            }
        }))
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_dialog::init())
        .manage(shell.clone())
        .invoke_handler(tauri::generate_handler![studio_painted])
        .setup(move |app| {
            let shell = setup_shell.clone();
            if !explicit_log_dir {
                let data = app.path().app_data_dir()?;
                config.server.log_dir = data.join("runs").join("default");
                *shell.base_log_dir.lock() = data;
            }
            let window = build_window(app.handle(), &shell)?;
            *shell.loading_url.lock() = window.url().ok();
            window.on_window_event({
                let app = app.handle().clone();
                move |event| {
                    if let WindowEvent::CloseRequested { api, .. } = event {
                        api.prevent_close();
                        request_quit(&app);
                    }
                }
            });
            spawn_start(app.handle().clone(), config.clone());
            spawn_signal_watch(app.handle().clone())?;
            if let Some(seconds) = shell.args.exit_after_secs {
                let app = app.handle().clone();
                let delay = Duration::try_from_secs_f64(seconds.max(0.0)).unwrap_or(Duration::ZERO);
                std::thread::Builder::new()
                    .name("exit-after".into())
                    .spawn(move || {
                        std::thread::sleep(delay);
                        say(&format!("quitting after {seconds} s as asked"));
                        request_quit(&app);
                    })?;
            }
            Ok(())
        })
        .build(tauri::generate_context!())?;

    let run_shell = shell.clone();
    let code = app.run_return(move |app, event| match event {
        RunEvent::ExitRequested { api, .. } if !run_shell.stopped.load(Ordering::SeqCst) => {
            api.prevent_exit();
            request_quit(app);
        }
        RunEvent::MenuEvent(event) => on_menu(app, event.id().as_ref()),
        _ => {}
    });
    Ok(code.max(shell.exit_code.load(Ordering::SeqCst)))
}

fn build_window(app: &AppHandle, shell: &Shell) -> tauri::Result<WebviewWindow> {
    let expose = CheckMenuItemBuilder::with_id(menu_id::EXPOSE, "Expose on network")
        .checked(false)
        .build(app)?;
    *shell.expose_item.lock() = Some(expose.clone());
    let file = SubmenuBuilder::new(app, "WeightsLab")
        .item(
            &MenuItemBuilder::with_id(menu_id::OPEN_FOLDER, "Open dataset folder…")
                .accelerator("CmdOrCtrl+O")
                .build(app)?,
        )
        .item(
            &MenuItemBuilder::with_id(menu_id::OPEN_CONFIG, "Open run config…")
                .accelerator("CmdOrCtrl+Shift+O")
                .build(app)?,
        )
        .separator()
        .item(&expose)
        .item(&MenuItemBuilder::with_id(menu_id::CONNECTION, "Show connection info…").build(app)?)
        .separator()
        .item(&MenuItemBuilder::with_id(menu_id::LOG_FOLDER, "Open log folder").build(app)?)
        .separator()
        .item(
            &MenuItemBuilder::with_id(menu_id::QUIT, "Quit")
                .accelerator("CmdOrCtrl+Q")
                .build(app)?,
        )
        .build()?;
    let menu = MenuBuilder::new(app).item(&file).build()?;
    WebviewWindowBuilder::new(app, MAIN, WebviewUrl::App("index.html".into()))
        .title("WeightsLab")
        .inner_size(1280.0, 800.0)
        .min_inner_size(640.0, 480.0)
        .menu(menu)
        .initialization_script(init_script())
        .build()
}

fn shell(app: &AppHandle) -> SharedShell {
    app.state::<SharedShell>().inner().clone()
}

/// Shows the bundled loading page with a status line. The text travels in the URL fragment
/// (read by the page on load and on `hashchange`), so it works from any page, the Studio
/// included, without racing a page load.
fn show_loading(app: &AppHandle, status: &str, detail: &str, failed: bool) {
    let Some(window) = app.get_webview_window(MAIN) else {
        return;
    };
    let Some(mut url) = shell(app).loading_url.lock().clone() else {
        return;
    };
    let message = serde_json::json!({ "status": status, "detail": detail, "failed": failed });
    url.set_fragment(Some(&message.to_string()));
    if let Err(error) = window.navigate(url) {
        tracing::warn!(%error, "cannot show the loading page");
    }
}

fn navigate(app: &AppHandle, url: &str) {
    let Some(window) = app.get_webview_window(MAIN) else {
        return;
    };
    match url.parse::<tauri::Url>() {
        Ok(url) => {
            if let Err(error) = window.navigate(url) {
                tracing::error!(%error, "cannot show the Studio");
            }
        }
        Err(error) => tracing::error!(%error, url, "the Studio URL does not parse"),
    }
}

fn error_dialog(app: &AppHandle, title: &str, text: &str) {
    app.dialog()
        .message(text)
        .title(title)
        .kind(MessageDialogKind::Error)
        .blocking_show();
}

/// Starts the service off the UI thread, then swaps the loading page for the Studio.
fn spawn_start(app: AppHandle, config: weightslab::config::Config) {
    let spawned = std::thread::Builder::new()
        .name("weightslab-start".into())
        .spawn(move || start_and_show(&app, config));
    if let Err(error) = spawned {
        tracing::error!(%error, "cannot start the service thread");
    }
}

fn start_and_show(app: &AppHandle, config: weightslab::config::Config) -> bool {
    let shell = shell(app);
    match Backend::start(config) {
        Ok(mut backend) => {
            let url = backend.studio_url().unwrap_or_default();
            say(&format!(
                "Studio at {url} (log folder {})",
                backend.log_dir().display()
            ));
            // A failure is reported on stdout; the window works without the network port.
            if shell.args.expose {
                let _ = expose(&shell, &mut backend);
            }
            *shell.session.lock() = Session::Running(Box::new(backend));
            navigate(app, &url);
            true
        }
        Err(error) => {
            let text = error.to_string();
            tracing::error!(%text, "the service did not start");
            say(&format!("cannot start: {text}"));
            show_loading(app, "WeightsLab could not start", &text, true);
            *shell.session.lock() = Session::Failed(text);
            shell.exit_code.store(1, Ordering::SeqCst);
            false
        }
    }
}

#[tauri::command]
fn studio_painted(page_ms: f64, app: AppHandle, shell: tauri::State<'_, SharedShell>) {
    let Some(elapsed) = shell.clock.first_paint() else {
        return;
    };
    say(&format!(
        "first Studio paint {:.0} ms after process start ({page_ms:.0} ms after the page began loading)",
        elapsed.as_secs_f64() * 1000.0
    ));
    if shell.args.exit_after_paint {
        request_quit(&app);
    }
}

fn on_menu(app: &AppHandle, id: &str) {
    let app = app.clone();
    let id = id.to_string();
    // Every action may block (dialogs, loading data, draining calls): never on the UI thread.
    let spawned = std::thread::Builder::new()
        .name("menu-action".into())
        .spawn(move || match id.as_str() {
            menu_id::OPEN_FOLDER => open_dataset_folder(&app),
            menu_id::OPEN_CONFIG => open_run_config(&app),
            menu_id::EXPOSE => toggle_exposure(&app),
            menu_id::CONNECTION => show_connection(&app),
            menu_id::LOG_FOLDER => open_log_folder(&app),
            menu_id::QUIT => request_quit(&app),
            other => tracing::debug!(other, "unhandled menu item"),
        });
    if let Err(error) = spawned {
        tracing::error!(%error, "cannot run the menu action");
    }
}

fn set_expose_checked(shell: &Shell, checked: bool) {
    if let Some(item) = shell.expose_item.lock().as_ref()
        && let Err(error) = item.set_checked(checked)
    {
        tracing::warn!(%error, "cannot update the menu");
    }
}

/// Opens the network listener; errors are reported on stdout and returned for a dialog.
fn expose(shell: &Shell, backend: &mut Backend) -> Result<ExposureInfo, DesktopError> {
    let port = shell.args.expose_port.unwrap_or(DEFAULT_EXPOSE_PORT);
    let serve = &shell.args.serve;
    let extra: Vec<String> = serve
        .auth_token
        .iter()
        .cloned()
        .chain(
            serve
                .auth_tokens
                .as_deref()
                .map(weightslab::config::split_list)
                .unwrap_or_default(),
        )
        .collect();
    let result = backend.expose(port, &extra);
    set_expose_checked(shell, result.is_ok());
    match &result {
        Ok(info) => {
            say(&format!(
                "exposed on the network: {}",
                info.urls().join(" ")
            ));
            if shell.args.print_token {
                say(&format!("token {}", info.token));
            }
        }
        Err(error) => say(&format!("cannot expose: {error}")),
    }
    result
}

fn toggle_exposure(app: &AppHandle) {
    let shell = shell(app);
    let mut session = shell.session.lock();
    let Session::Running(backend) = &mut *session else {
        drop(session);
        set_expose_checked(&shell, false);
        error_dialog(
            app,
            "Expose on network",
            &DesktopError::NotRunning.to_string(),
        );
        return;
    };
    let outcome = if backend.exposure().is_some() {
        backend.unexpose().map(|()| None)
    } else {
        expose(&shell, backend).map(Some)
    };
    // Dialogs wait for the person: never while holding the session.
    drop(session);
    match outcome {
        Ok(Some(info)) => {
            app.dialog()
                .message(info.instructions())
                .title("Expose on network")
                .kind(MessageDialogKind::Info)
                .blocking_show();
        }
        Ok(None) => {
            set_expose_checked(&shell, false);
            say("network port closed");
        }
        Err(error) => error_dialog(app, "Expose on network", &error.to_string()),
    }
}

fn show_connection(app: &AppHandle) {
    let shell = shell(app);
    let text = match &*shell.session.lock() {
        Session::Running(backend) => match backend.exposure() {
            Some(info) => info.instructions(),
            None => format!(
                "Only this window is connected (to {}). Choose \"Expose on network\" to let a remote Studio in.",
                backend.studio_url().unwrap_or_default()
            ),
        },
        _ => DesktopError::NotRunning.to_string(),
    };
    app.dialog()
        .message(text)
        .title("Connection")
        .kind(MessageDialogKind::Info)
        .blocking_show();
}

fn open_log_folder(app: &AppHandle) {
    let shell = shell(app);
    let dir = match &*shell.session.lock() {
        Session::Running(backend) => backend.log_dir().to_path_buf(),
        _ => shell.base_log_dir.lock().clone(),
    };
    if let Err(error) = system_open::open_folder(&dir) {
        error_dialog(app, "Open log folder", &error.to_string());
    }
}

fn open_dataset_folder(app: &AppHandle) {
    let Some(folder) = app
        .dialog()
        .file()
        .set_title("Open a dataset folder (one sub-folder of images per class)")
        .blocking_pick_folder()
        .and_then(|path| path.into_path().ok())
    else {
        return;
    };
    let shell = shell(app);
    switch_run(app, &format!("Opening {}", folder.display()), |current| {
        let (run, log_dir) =
            logdirs::dataset_folder_run(current, &folder, &shell.base_log_dir.lock())?;
        Ok((run, log_dir))
    });
}

fn open_run_config(app: &AppHandle) {
    let Some(file) = app
        .dialog()
        .file()
        .set_title("Open a run config")
        .add_filter("Run config", &["toml"])
        .blocking_pick_file()
        .and_then(|path| path.into_path().ok())
    else {
        return;
    };
    let shell = shell(app);
    switch_run(app, &format!("Opening {}", file.display()), |_| {
        logdirs::run_config_run(&file, &shell.base_log_dir.lock())
    });
}

/// Stops the current run gracefully (offering a checkpoint) and starts the one `next`
/// describes; when that fails, the previous run is started again.
fn switch_run(
    app: &AppHandle,
    status: &str,
    next: impl FnOnce(
        &weightslab::config::RunConfig,
    ) -> Result<(weightslab::config::RunConfig, PathBuf), DesktopError>,
) {
    let shell = shell(app);
    let backend = {
        let mut session = shell.session.lock();
        match std::mem::replace(&mut *session, Session::Busy) {
            Session::Running(backend) => backend,
            other => {
                *session = other;
                drop(session);
                error_dialog(app, "Open", &DesktopError::NotRunning.to_string());
                return;
            }
        }
    };
    let previous = backend.config().clone();
    let (run, log_dir) = match next(&previous.run) {
        Ok(next) => next,
        Err(error) => {
            *shell.session.lock() = Session::Running(backend);
            error_dialog(app, "Open", &error.to_string());
            return;
        }
    };
    let save = checkpoint_wanted(app, &shell, &backend);
    show_loading(app, status, "Stopping the current run…", false);
    set_expose_checked(&shell, false);
    say(&backend.shutdown(save).describe());
    let mut config = previous.clone();
    config.run = run;
    config.server.log_dir = log_dir;
    crate::args::loopback_only(&mut config, None, shell.args.serve.port);
    show_loading(
        app,
        status,
        "Loading the data and starting the trainer.",
        false,
    );
    if !start_and_show(app, config) {
        let text = match &*shell.session.lock() {
            Session::Failed(text) => text.clone(),
            _ => String::new(),
        };
        error_dialog(
            app,
            "Open",
            &format!("{text}\n\nThe previous run is opened again."),
        );
        shell.exit_code.store(0, Ordering::SeqCst);
        start_and_show(app, previous);
    }
}

/// Asks or decides whether to write a checkpoint before stopping `backend`.
fn checkpoint_wanted(app: &AppHandle, shell: &Shell, backend: &Backend) -> bool {
    match decide(shell.args.checkpoint_on_quit, backend.advanced_since_checkpoint()) {
        CheckpointDecision::Save => true,
        CheckpointDecision::Skip => false,
        CheckpointDecision::Ask => app
            .dialog()
            .message(format!(
                "Training advanced to step {} since the last checkpoint. Save a checkpoint before stopping?",
                backend.experiment().trainer_snapshot().model_age
            ))
            .title("Save a checkpoint?")
            .kind(MessageDialogKind::Info)
            .buttons(MessageDialogButtons::YesNo)
            .blocking_show(),
    }
}

/// SIGTERM or Ctrl+C in the terminal quit as gracefully as the menu does.
fn spawn_signal_watch(app: AppHandle) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            runtime.block_on(wait_for_signal());
            say("signal received: quitting");
            request_quit(&app);
        })?;
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Starts the graceful quit once; later requests while it runs are ignored.
fn request_quit(app: &AppHandle) {
    let shell = shell(app);
    if shell.quitting.swap(true, Ordering::SeqCst) {
        return;
    }
    let app = app.clone();
    let spawned = std::thread::Builder::new()
        .name("weightslab-quit".into())
        .spawn(move || quit(&app));
    if let Err(error) = spawned {
        tracing::error!(%error, "cannot run the quit sequence; exiting without folding the journal");
        shell.stopped.store(true, Ordering::SeqCst);
        shell.exit_code.store(1, Ordering::SeqCst);
    }
}

fn quit(app: &AppHandle) {
    let shell = shell(app);
    let session = loop {
        let mut session = shell.session.lock();
        match &*session {
            // Wait for a start or a switch to settle, then stop whatever it produced.
            Session::Starting | Session::Busy => {
                drop(session);
                std::thread::sleep(Duration::from_millis(100));
            }
            _ => break std::mem::replace(&mut *session, Session::Stopped),
        }
    };
    let code = match session {
        Session::Running(backend) => {
            let save = checkpoint_wanted(app, &shell, &backend);
            let report = backend.shutdown(save);
            say(&report.describe());
            if report.clean() { 0 } else { 1 }
        }
        Session::Failed(_) => 1,
        _ => 0,
    };
    let code = code.max(shell.exit_code.load(Ordering::SeqCst));
    shell.exit_code.store(code, Ordering::SeqCst);
    shell.stopped.store(true, Ordering::SeqCst);
    say(&format!(
        "exit {code} after {:.1} s",
        shell.clock.since_start().as_secs_f64()
    ));
    app.exit(code);
}
