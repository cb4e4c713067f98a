//! Command-line and environment settings of the desktop app: the server's own `ServeArgs`
//! plus what only the desktop shell needs (self-quit for tests, checkpoint-on-quit policy,
//! the port "Expose on network" opens).

use std::net::{IpAddr, Ipv4Addr};

use clap::Parser;
use weightslab::cli::ServeArgs;
use weightslab::config::Config;

use crate::error::DesktopError;
use crate::quit::CheckpointPolicy;

/// The port a remote Studio expects by default; a free one is used when it is taken.
pub const DEFAULT_EXPOSE_PORT: u16 = 50051;

/// WeightsLab desktop: trains the configured run and shows the Studio in a window. Every
/// `weightslab serve` flag is accepted; the window's own listener is always on 127.0.0.1.
#[derive(Debug, Clone, Parser)]
#[command(name = "weightslab-desktop", version, about, long_about = None)]
pub struct DesktopArgs {
    #[command(flatten)]
    pub serve: ServeArgs,
    /// Quit by itself (gracefully) after this many seconds; for smoke tests and benchmarks.
    #[arg(long, env = "WL_DESKTOP_EXIT_AFTER_SECS")]
    pub exit_after_secs: Option<f64>,
    /// Quit by itself (gracefully) once the Studio has painted its first samples.
    #[arg(long, env = "WL_DESKTOP_EXIT_AFTER_PAINT", value_parser = clap::builder::BoolishValueParser::new(), default_value_t = false)]
    pub exit_after_paint: bool,
    /// At quit, when training advanced since the last checkpoint: ask, save or skip.
    #[arg(long, env = "WL_DESKTOP_CHECKPOINT_ON_QUIT", default_value = "ask")]
    pub checkpoint_on_quit: CheckpointPolicy,
    /// Port that "Expose on network" opens on every interface [default: 50051, or a free one].
    #[arg(long, env = "WL_DESKTOP_EXPOSE_PORT")]
    pub expose_port: Option<u16>,
    /// Expose on the network right after start (as the menu item does).
    #[arg(long)]
    pub expose: bool,
    /// With --expose: also print the generated token on stdout (for scripts; the menu shows it).
    #[arg(long)]
    pub print_token: bool,
}

impl DesktopArgs {
    /// Resolves the server settings for the window's loopback listener.
    ///
    /// The window talks to 127.0.0.1 only, so a configured non-loopback host is ignored (with a
    /// warning: the network is reached through "Expose on network", which adds a token). The
    /// port defaults to a free one so a second app or a `weightslab serve` never collides.
    pub fn resolve(&self) -> Result<Config, DesktopError> {
        let mut config = self.serve.resolve().map_err(DesktopError::Config)?;
        loopback_only(&mut config, self.serve.host, self.serve.port);
        Ok(config)
    }
}

/// Forces the window's listener onto loopback; `explicit_port` is what the user asked for.
pub fn loopback_only(
    config: &mut Config,
    explicit_host: Option<IpAddr>,
    explicit_port: Option<u16>,
) {
    if let Some(host) = explicit_host.filter(|host| !host.is_loopback()) {
        tracing::warn!(%host, "the desktop app listens on 127.0.0.1 only; use \"Expose on network\" to accept remote Studios");
    }
    config.server.host = IpAddr::V4(Ipv4Addr::LOCALHOST);
    config.server.port = explicit_port.or(config.run.server.port).unwrap_or(0);
    // The window's page must not need a token; configured tokens guard the network listener.
    config.server.auth_tokens.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_listener_is_loopback_on_a_free_port_without_tokens() {
        let args = DesktopArgs::parse_from([
            "weightslab-desktop",
            "--host",
            "0.0.0.0",
            "--auth-token",
            "secret",
            "--log-dir",
            "/tmp/wl-desktop-args-test",
        ]);
        let config = args.resolve().unwrap();
        assert_eq!(config.server.host, IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert_eq!(config.server.port, 0);
        assert!(config.server.auth_tokens.is_empty());
        assert_eq!(args.checkpoint_on_quit, CheckpointPolicy::Ask);
    }

    #[test]
    fn explicit_port_and_desktop_flags_are_kept() {
        let args = DesktopArgs::parse_from([
            "weightslab-desktop",
            "--port",
            "6123",
            "--start-paused",
            "--exit-after-secs",
            "2.5",
            "--checkpoint-on-quit",
            "skip",
        ]);
        let config = args.resolve().unwrap();
        assert_eq!(config.server.port, 6123);
        assert!(config.run.train.start_paused);
        assert_eq!(args.exit_after_secs, Some(2.5));
        assert_eq!(args.checkpoint_on_quit, CheckpointPolicy::Skip);
    }

    #[test]
    fn unknown_checkpoint_policy_is_refused() {
        let result =
            DesktopArgs::try_parse_from(["weightslab-desktop", "--checkpoint-on-quit", "maybe"]);
        assert!(result.is_err());
    }
}
