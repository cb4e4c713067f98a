//! The audit log: one JSON line per user action, appended to `audit.jsonl` and fsync'd.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One audited action as written to disk.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AuditEntry {
    /// UTC, RFC 3339 with microseconds.
    pub timestamp: String,
    pub action_type: String,
    /// `success` or `error`.
    pub status: String,
    pub details: Value,
    pub error: Option<String>,
    pub peer: Option<String>,
}

/// Append-only, durable audit trail. Lines are never rewritten.
pub struct AuditLog {
    path: PathBuf,
    file: Mutex<File>,
}

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("cannot open audit log {path}: {source}")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot append to audit log {path}: {source}")]
    Append {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl AuditLog {
    pub const FILE_NAME: &'static str = "audit.jsonl";

    pub fn open(log_dir: &Path) -> Result<Self, AuditError> {
        let path = log_dir.join(Self::FILE_NAME);
        let open_error = |source| AuditError::Open {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(log_dir).map_err(open_error)?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(open_error)?;
        Ok(Self {
            path,
            file: Mutex::new(file),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one entry and syncs it to disk before returning.
    pub fn record(
        &self,
        action_type: &str,
        outcome: Result<(), &str>,
        details: Value,
        peer: Option<String>,
    ) -> Result<(), AuditError> {
        let entry = AuditEntry {
            timestamp: now_rfc3339_micros(),
            action_type: action_type.to_string(),
            status: if outcome.is_ok() { "success" } else { "error" }.to_string(),
            details,
            error: outcome.err().map(str::to_string),
            peer,
        };
        let mut line = serde_json::to_string(&entry).unwrap_or_else(|_| "{}".to_string());
        line.push('\n');
        let mut file = self.file.lock();
        let append_error = |source| AuditError::Append {
            path: self.path.clone(),
            source,
        };
        file.write_all(line.as_bytes()).map_err(append_error)?;
        file.sync_data().map_err(append_error)
    }

    /// Records and logs (never fails the caller): an audit failure must not undo an action
    /// that already happened, but it is reported loudly.
    pub fn record_or_warn(
        &self,
        action_type: &str,
        outcome: Result<(), &str>,
        details: Value,
        peer: Option<String>,
    ) {
        if let Err(error) = self.record(action_type, outcome, details, peer) {
            tracing::error!(%error, action_type, "audit entry lost");
        }
    }
}

/// The last `count` entries of an audit file (oldest first).
pub fn tail(path: &Path, count: usize) -> std::io::Result<Vec<AuditEntry>> {
    let file = File::open(path)?;
    let mut ring = std::collections::VecDeque::with_capacity(count.min(4096));
    for line in BufReader::new(file).lines() {
        let line = line?;
        if let Ok(entry) = serde_json::from_str::<AuditEntry>(&line) {
            if ring.len() == count {
                ring.pop_front();
            }
            if count > 0 {
                ring.push_back(entry);
            }
        }
    }
    Ok(ring.into_iter().collect())
}

fn now_rfc3339_micros() -> String {
    let now = time::OffsetDateTime::now_utc();
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    );
    now.format(&format)
        .unwrap_or_else(|_| now.unix_timestamp().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_appended_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::open(dir.path()).unwrap();
        log.record("pause", Ok(()), serde_json::json!({"model_age": 3}), None)
            .unwrap();
        log.record(
            "tag_add",
            Err("unknown sample ids: 9"),
            serde_json::json!({"tag": "x"}),
            Some("127.0.0.1:5".into()),
        )
        .unwrap();
        let entries = tail(log.path(), 10).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].action_type, "pause");
        assert_eq!(entries[0].status, "success");
        assert_eq!(entries[1].status, "error");
        assert_eq!(entries[1].error.as_deref(), Some("unknown sample ids: 9"));
        // 2026-11-26T17:46:40.123456Z
        assert_eq!(entries[0].timestamp.len(), 27, "{}", entries[0].timestamp);
        assert_eq!(tail(log.path(), 1).unwrap()[0].action_type, "tag_add");
    }

    #[test]
    fn reopening_appends_instead_of_truncating() {
        let dir = tempfile::tempdir().unwrap();
        AuditLog::open(dir.path())
            .unwrap()
            .record("resume", Ok(()), Value::Null, None)
            .unwrap();
        AuditLog::open(dir.path())
            .unwrap()
            .record("pause", Ok(()), Value::Null, None)
            .unwrap();
        assert_eq!(
            tail(&dir.path().join(AuditLog::FILE_NAME), 5)
                .unwrap()
                .len(),
            2
        );
    }
}
