//! The one typed configuration: CLI flags > environment > run-config file > defaults.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// Everything the server and the run need, resolved from every source.
#[derive(Debug, Clone)]
pub struct Config {
    pub server: ServerConfig,
    pub run: RunConfig,
    /// The optional natural-language assistant.
    pub agent: Option<crate::agent::AgentConfig>,
}

/// How the service is exposed.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub host: IpAddr,
    pub port: u16,
    /// Optional second listener with the same routes (for Studio builds that expect :8080).
    pub web_port: Option<u16>,
    pub max_message_bytes: usize,
    pub tls: Option<TlsConfig>,
    pub auth_tokens: Vec<String>,
    /// Extra origins allowed to call over gRPC-Web from a browser (`*` allows any).
    pub allowed_origins: Vec<String>,
    pub lock_timeout: Duration,
    pub slow_call: Duration,
    pub logger_max_concurrent: usize,
    pub shutdown_grace: Duration,
    pub log_dir: PathBuf,
    /// Serve a prebuilt Weights Studio from this folder instead of our embedded one.
    pub studio_dir: Option<PathBuf>,
    /// Whether the Studio may hold training for a moment while a person scrolls.
    pub studio_hold: bool,
}

/// TLS material; mTLS when `client_ca` is set.
#[derive(Debug, Clone)]
pub struct TlsConfig {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub client_ca: Option<PathBuf>,
}

/// What to train and how.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RunConfig {
    pub data: DataConfig,
    pub model: ModelConfig,
    pub optimizer: OptimizerConfig,
    pub train: TrainConfig,
    pub edits: EditsConfig,
    pub thumbnails: ThumbnailConfig,
    pub server: ServerFileConfig,
}

/// Server settings a run-config file may carry (flags and environment win over them).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ServerFileConfig {
    pub host: Option<IpAddr>,
    pub port: Option<u16>,
    pub web_port: Option<u16>,
    pub log_dir: Option<PathBuf>,
    pub max_message_bytes: Option<usize>,
    pub allowed_origins: Option<Vec<String>>,
    pub lock_timeout_secs: Option<u64>,
    pub slow_call_ms: Option<u64>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DataConfig {
    pub kind: DataKind,
    /// Folder (image-folder), CSV file (csv) or images file (idx).
    pub path: Option<PathBuf>,
    /// IDX labels file.
    pub labels_path: Option<PathBuf>,
    /// CSV label column.
    pub label_column: Option<String>,
    /// Fraction of training labels flipped on purpose (built-in digits only; 0 turns it off).
    pub label_noise: f64,
    pub seed: u64,
    pub val_fraction: f64,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum DataKind {
    Digits,
    ImageFolder,
    Idx,
    Csv,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ModelConfig {
    pub kind: ModelKindConfig,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKindConfig {
    Cnn,
    Mlp,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct OptimizerConfig {
    pub kind: OptimizerKindConfig,
    pub learning_rate: f64,
    pub momentum: f64,
    pub weight_decay: f64,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum OptimizerKindConfig {
    Sgd,
    Adamw,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TrainConfig {
    pub experiment_name: String,
    pub batch_size: usize,
    pub eval_batch_size: usize,
    /// Step budget; training pauses itself when it runs out.
    pub steps: u64,
    pub eval_frequency: u64,
    pub checkpoint_frequency: u64,
    pub start_paused: bool,
    pub seed: u64,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct EditsConfig {
    /// Apply edits at the next batch without pausing (the spec pauses first by default).
    pub live: bool,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ThumbnailConfig {
    /// `auto`, `gpu` or `cpu`.
    pub backend: String,
    pub cache_mb: usize,
    pub workers: usize,
}

impl Default for DataConfig {
    fn default() -> Self {
        Self {
            kind: DataKind::Digits,
            path: None,
            labels_path: None,
            label_column: None,
            label_noise: 0.03,
            seed: 42,
            val_fraction: 0.2,
        }
    }
}

impl Default for ModelConfig {
    fn default() -> Self {
        Self {
            kind: ModelKindConfig::Cnn,
        }
    }
}

impl Default for OptimizerConfig {
    fn default() -> Self {
        Self {
            kind: OptimizerKindConfig::Sgd,
            learning_rate: 0.05,
            momentum: 0.9,
            weight_decay: 0.0,
        }
    }
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            experiment_name: "mnist-demo".into(),
            batch_size: 64,
            eval_batch_size: 256,
            steps: 100_000,
            eval_frequency: 500,
            checkpoint_frequency: 1000,
            start_paused: false,
            seed: 7,
        }
    }
}

impl Default for ThumbnailConfig {
    fn default() -> Self {
        Self {
            backend: "auto".into(),
            cache_mb: 256,
            workers: 8,
        }
    }
}

/// A run-config file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{name} = {value:?} is not valid: {expected}")]
    Invalid {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
}

impl RunConfig {
    /// Reads a TOML run config; unknown keys and bad values are named in the error together
    /// with what would have been accepted.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml(&text).map_err(|message| ConfigError::Parse {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Parses TOML text; the error message names the offending key and the accepted values.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        toml::from_str::<Self>(text).map_err(|error| error.to_string().trim().to_string())
    }
}

impl ServerConfig {
    /// Defaults for a server on `host:port` logging into `log_dir` (used by tests and embedders).
    pub fn new(host: IpAddr, port: u16, log_dir: PathBuf) -> Self {
        Self {
            host,
            port,
            web_port: None,
            max_message_bytes: 256 * 1024 * 1024,
            tls: None,
            auth_tokens: Vec::new(),
            allowed_origins: Vec::new(),
            lock_timeout: Duration::from_secs(180),
            slow_call: Duration::from_secs(2),
            logger_max_concurrent: 3,
            shutdown_grace: Duration::from_secs(10),
            log_dir,
            studio_dir: None,
            studio_hold: true,
        }
    }

    /// True when the listener is reachable only from this machine.
    pub fn is_loopback(&self) -> bool {
        self.host.is_loopback()
    }

    /// A printable summary with secrets masked.
    pub fn describe(&self) -> String {
        let tokens = if self.auth_tokens.is_empty() {
            "off".to_string()
        } else {
            format!("on ({} token(s), ****)", self.auth_tokens.len())
        };
        let tls = match &self.tls {
            None => "off".to_string(),
            Some(tls) => format!(
                "on (cert {}, key ****{})",
                tls.cert.display(),
                tls.client_ca
                    .as_ref()
                    .map(|ca| format!(", client certificates required, CA {}", ca.display()))
                    .unwrap_or_default()
            ),
        };
        format!(
            "listen {}:{}{} | tls {} | auth {} | max message {} MiB | log dir {} | lock timeout {:?} | slow call {:?} | logger concurrency {} | allowed origins [{}] | studio {} | studio holds {}",
            self.host,
            self.port,
            self.web_port
                .map(|port| format!(" (+ web port {port})"))
                .unwrap_or_default(),
            tls,
            tokens,
            self.max_message_bytes / (1024 * 1024),
            self.log_dir.display(),
            self.lock_timeout,
            self.slow_call,
            self.logger_max_concurrent,
            self.allowed_origins.join(", "),
            self.studio_dir
                .as_ref()
                .map(|dir| dir.display().to_string())
                .unwrap_or_else(|| "embedded".into()),
            if self.studio_hold { "on" } else { "off" },
        )
    }
}

/// Splits a comma-separated list, trimming blanks.
pub fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_the_demo_defaults() {
        assert_eq!(RunConfig::from_toml("").unwrap(), RunConfig::default());
    }

    #[test]
    fn sections_override_defaults() {
        let config = RunConfig::from_toml(
            "[model]\nkind = \"mlp\"\n[optimizer]\nkind = \"adamw\"\nlearning_rate = 0.001\n[train]\nbatch_size = 32\n",
        )
        .unwrap();
        assert_eq!(config.model.kind, ModelKindConfig::Mlp);
        assert_eq!(config.optimizer.kind, OptimizerKindConfig::Adamw);
        assert_eq!(config.train.batch_size, 32);
        assert_eq!(config.train.steps, TrainConfig::default().steps);
    }

    #[test]
    fn unknown_key_is_named_with_the_accepted_ones() {
        let error = RunConfig::from_toml("[train]\nbatchsize = 3\n").unwrap_err();
        assert!(error.contains("batchsize"), "{error}");
        assert!(error.contains("batch_size"), "{error}");
    }

    #[test]
    fn bad_enum_value_lists_the_variants() {
        let error = RunConfig::from_toml("[model]\nkind = \"resnet\"\n").unwrap_err();
        assert!(error.contains("resnet"), "{error}");
        assert!(error.contains("cnn") && error.contains("mlp"), "{error}");
    }

    #[test]
    fn describe_masks_tokens() {
        let mut server = ServerConfig::new([127, 0, 0, 1].into(), 1, "logs".into());
        server.auth_tokens = vec!["s3cret".into()];
        let text = server.describe();
        assert!(!text.contains("s3cret"));
        assert!(text.contains("auth on"));
    }

    #[test]
    fn lists_are_trimmed() {
        assert_eq!(split_list(" a, b ,,c"), ["a", "b", "c"]);
    }
}
