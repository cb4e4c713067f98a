//! Measures the desktop app as a person meets it: cold start to the first Studio paint (and
//! to the server listening and the first GetDataSamples call), and idle CPU of the whole
//! process tree (WebKit helpers included) while training is paused. Needs a display
//! (e.g. `Xvfb :99` and `DISPLAY=:99`).
//!
//!   cargo run --release -p weightslab-desktop --example desktop-bench -- \
//!       [--app PATH] [--runs N] [--settle-secs S] [--idle-secs S] [--training]
//!
//! An example rather than a `[[bin]]`, because Tauri bundles every binary of the crate.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use weightslab_desktop::metrics_text::calls_of;
use weightslab_desktop::procstat;

struct Options {
    app: PathBuf,
    runs: usize,
    settle_secs: f64,
    idle_secs: f64,
    training: bool,
}

fn options() -> anyhow::Result<Options> {
    // Examples land in `target/<profile>/examples/`, the app one folder up.
    let mut app = std::env::current_exe()?
        .parent()
        .and_then(|examples| examples.parent())
        .context("the bench binary has no profile folder above it")?
        .join("weightslab-desktop");
    // The first thumbnails, curves and WebKit's own start-up work take several seconds after
    // the first paint on 2 cores; measuring earlier reads start-up, not idle.
    let (mut runs, mut settle_secs, mut idle_secs, mut training) = (3, 20.0, 10.0, false);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().with_context(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--app" => app = PathBuf::from(value("--app")?),
            "--runs" => runs = value("--runs")?.parse().context("--runs takes a count")?,
            "--settle-secs" => {
                settle_secs = value("--settle-secs")?
                    .parse()
                    .context("--settle-secs takes seconds")?
            }
            "--idle-secs" => {
                idle_secs = value("--idle-secs")?
                    .parse()
                    .context("--idle-secs takes seconds")?
            }
            "--training" => training = true,
            other => bail!(
                "unknown argument {other:?}; use --app PATH, --runs N, --settle-secs S, --idle-secs S, --training"
            ),
        }
    }
    Ok(Options {
        app,
        runs,
        settle_secs,
        idle_secs,
        training,
    })
}

fn metrics(addr: SocketAddr) -> Option<String> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(200)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        stream,
        "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    Some(text)
}

fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100.0)
}

struct Run {
    listening: Duration,
    first_samples_call: Option<Duration>,
    painted: Option<Duration>,
    idle_cpu: Option<IdleCpu>,
    exit_ok: bool,
}

/// CPU use while idle, in percent of one core: the app process and WebKit's helpers.
struct IdleCpu {
    app: f64,
    helpers: f64,
}

fn one_run(options: &Options, measure_idle: bool) -> anyhow::Result<Run> {
    let log_dir = std::env::temp_dir().join(format!("wl-desktop-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&log_dir);
    let mut command = Command::new(&options.app);
    command
        .args([
            "--thumbnails",
            "cpu",
            "--checkpoint-on-quit",
            "skip",
            "--exit-after-secs",
            "300",
        ])
        .arg("--log-dir")
        .arg(&log_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if !options.training {
        command.arg("--start-paused");
    }
    let started = Instant::now();
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot start {}", options.app.display()))?;
    let stdout = child.stdout.take().context("no stdout")?;
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send((Instant::now(), line)).is_err() {
                break;
            }
        }
    });
    let deadline = started + Duration::from_secs(240);
    let (mut listening, mut addr, mut painted, mut first_call) = (None, None, None, None);
    while painted.is_none() && Instant::now() < deadline {
        while let Ok((at, line)) = received.try_recv() {
            if let Some(url) = line.split("Studio at ").nth(1) {
                let host = url
                    .trim_start_matches("http://")
                    .split('/')
                    .next()
                    .unwrap_or_default();
                addr = host.parse::<SocketAddr>().ok();
                listening = Some(at - started);
            }
            if line.contains("first Studio paint") {
                painted = Some(at - started);
            }
            if line.contains("cannot start") {
                bail!("the app did not start: {line}");
            }
        }
        if first_call.is_none()
            && let Some(text) = addr.and_then(metrics)
            && calls_of(&text, "GetDataSamples") > 0
        {
            first_call = Some(started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let listening = listening.context("the app never printed its Studio URL")?;
    let idle_cpu = if measure_idle && painted.is_some() {
        std::thread::sleep(Duration::from_secs_f64(options.settle_secs));
        let before = procstat::tree_ticks(child.id());
        let window = Instant::now();
        std::thread::sleep(Duration::from_secs_f64(options.idle_secs));
        let after = procstat::tree_ticks(child.id());
        let seconds = window.elapsed().as_secs_f64();
        let ticks_per_second = clock_ticks_per_second();
        let percent = |ticks: u64| 100.0 * ticks as f64 / ticks_per_second / seconds;
        let pid = child.id();
        let all = procstat::ticks_between(&before, &after);
        let app = after
            .get(&pid)
            .zip(before.get(&pid))
            .map_or(0, |(now, then)| now.saturating_sub(*then));
        Some(IdleCpu {
            app: percent(app),
            helpers: percent(all.saturating_sub(app)),
        })
    } else {
        None
    };
    Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()?;
    let status = child.wait()?;
    let _ = std::fs::remove_dir_all(&log_dir);
    Ok(Run {
        listening,
        first_samples_call: first_call,
        painted,
        idle_cpu,
        exit_ok: status.success(),
    })
}

fn ms(duration: Option<Duration>) -> String {
    duration.map_or("-".into(), |d| format!("{:.0}", d.as_secs_f64() * 1000.0))
}

fn main() -> anyhow::Result<()> {
    let options = options()?;
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        bail!(
            "no display: start Xvfb (Xvfb :99 -screen 0 1280x800x24 -nolisten tcp &) and set DISPLAY=:99"
        );
    }
    println!(
        "run  listening_ms  first_GetDataSamples_ms  first_paint_ms  idle_cpu_%_app+webkit({}s after {}s, {})  exit_ok",
        options.idle_secs,
        options.settle_secs,
        if options.training {
            "training"
        } else {
            "paused"
        }
    );
    let mut paints = Vec::new();
    for run in 0..options.runs {
        let result = one_run(&options, run == 0)?;
        println!(
            "{run:>3}  {:>12}  {:>23}  {:>14}  {:>20}  {}",
            ms(Some(result.listening)),
            ms(result.first_samples_call),
            ms(result.painted),
            result.idle_cpu.map_or("-".into(), |cpu| format!(
                "{:.1}+{:.1}={:.1}",
                cpu.app,
                cpu.helpers,
                cpu.app + cpu.helpers
            )),
            result.exit_ok
        );
        paints.extend(result.painted);
    }
    paints.sort();
    if let Some(median) = paints.get(paints.len() / 2) {
        println!(
            "median cold start to first Studio paint: {:.0} ms over {} runs",
            median.as_secs_f64() * 1000.0,
            paints.len()
        );
    }
    Ok(())
}
