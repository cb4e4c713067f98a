//! The edit journal: an append-only file of length + CRC32 framed JSON records, fsync'd per
//! edit, replayed at open (a torn last record is dropped), rewritten after compaction.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::edit::Op;
use crate::error::TableError;

const MAGIC: &[u8; 8] = b"WLJRNL01";
const FRAME_HEADER: usize = 8;

/// One journal record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Record {
    /// First record: which dataset the journal belongs to.
    Header {
        fingerprint: String,
    },
    Edit {
        seq: u64,
        op: Op,
    },
}

/// What was found in an existing journal.
pub(crate) struct Replay {
    /// `None` when the file was empty or held only a torn header.
    pub fingerprint: Option<String>,
    pub edits: Vec<(u64, Op)>,
    /// Bytes dropped from a torn tail.
    pub torn_bytes: u64,
}

/// The open journal, positioned for appends.
pub(crate) struct Journal {
    path: PathBuf,
    file: File,
    len: u64,
    fingerprint: String,
}

fn frame(record: &Record) -> Result<Vec<u8>, TableError> {
    let payload = serde_json::to_vec(record).map_err(|e| TableError::Journal {
        path: PathBuf::new(),
        offset: 0,
        message: format!("cannot encode record: {e}"),
    })?;
    let len = u32::try_from(payload.len()).map_err(|_| {
        TableError::InvalidEdit(format!(
            "the edit is {} bytes when journaled; split it into smaller edits",
            payload.len()
        ))
    })?;
    let mut out = Vec::with_capacity(FRAME_HEADER + payload.len());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    Ok(out)
}

/// Parses a journal image. A record that runs past the end, or whose checksum fails while it
/// ends exactly at the end of the file, is a torn write and is dropped; a bad checksum
/// anywhere before that means real corruption and is an error naming the byte offset.
pub(crate) fn parse(path: &Path, bytes: &[u8]) -> Result<(Replay, u64), TableError> {
    let corrupt = |offset: usize, message: String| TableError::Journal {
        path: path.to_path_buf(),
        offset: offset as u64,
        message,
    };
    let mut replay = Replay {
        fingerprint: None,
        edits: Vec::new(),
        torn_bytes: 0,
    };
    if bytes.len() < MAGIC.len() {
        replay.torn_bytes = bytes.len() as u64;
        return Ok((replay, 0));
    }
    if &bytes[..MAGIC.len()] != MAGIC {
        return Err(corrupt(
            0,
            "the file does not start with the journal marker".into(),
        ));
    }
    let mut offset = MAGIC.len();
    while offset < bytes.len() {
        let rest = &bytes[offset..];
        if rest.len() < FRAME_HEADER {
            break;
        }
        let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        let crc = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
        let end = FRAME_HEADER + len;
        if rest.len() < end {
            break;
        }
        let payload = &rest[FRAME_HEADER..end];
        if crc32fast::hash(payload) != crc {
            if rest.len() == end {
                break;
            }
            return Err(corrupt(
                offset,
                format!(
                    "checksum mismatch in a {len}-byte record that is followed by more records"
                ),
            ));
        }
        let record: Record = serde_json::from_slice(payload)
            .map_err(|e| corrupt(offset, format!("record does not decode: {e}")))?;
        match record {
            Record::Header { fingerprint } if replay.fingerprint.is_none() => {
                replay.fingerprint = Some(fingerprint)
            }
            Record::Header { .. } => return Err(corrupt(offset, "a second header record".into())),
            Record::Edit { .. } if replay.fingerprint.is_none() => {
                return Err(corrupt(offset, "an edit record before the header".into()));
            }
            Record::Edit { seq, op } => replay.edits.push((seq, op)),
        }
        offset += end;
    }
    replay.torn_bytes = (bytes.len() - offset) as u64;
    Ok((replay, offset as u64))
}

fn sync_dir(dir: &Path) -> Result<(), TableError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| TableError::io(dir, e))
}

impl Journal {
    /// Reads the journal at `path` (if any), cuts off a torn tail, and opens it for appends.
    /// A journal of another dataset is returned as a replay with that fingerprint; the caller
    /// decides what to do before calling [`Journal::create`].
    pub fn read(path: &Path) -> Result<Option<(Replay, u64)>, TableError> {
        let mut bytes = Vec::new();
        match File::open(path) {
            Ok(mut f) => f
                .read_to_end(&mut bytes)
                .map_err(|e| TableError::io(path, e))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(TableError::io(path, e)),
        };
        parse(path, &bytes).map(Some)
    }

    /// Opens an existing journal whose valid prefix is `valid_len` bytes, dropping anything after.
    pub fn open_existing(
        path: &Path,
        valid_len: u64,
        fingerprint: &str,
    ) -> Result<Self, TableError> {
        if valid_len < MAGIC.len() as u64 {
            return Self::create(path, fingerprint);
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| TableError::io(path, e))?;
        let actual = file.metadata().map_err(|e| TableError::io(path, e))?.len();
        if actual != valid_len {
            file.set_len(valid_len)
                .map_err(|e| TableError::io(path, e))?;
            file.sync_all().map_err(|e| TableError::io(path, e))?;
        }
        let mut journal = Self {
            path: path.to_path_buf(),
            file,
            len: valid_len,
            fingerprint: fingerprint.to_string(),
        };
        journal
            .file
            .seek(SeekFrom::Start(valid_len))
            .map_err(|e| TableError::io(path, e))?;
        Ok(journal)
    }

    /// Starts an empty journal (atomically replacing any file at `path`).
    pub fn create(path: &Path, fingerprint: &str) -> Result<Self, TableError> {
        Self::replace_with(path, fingerprint, &[])
    }

    fn replace_with(path: &Path, fingerprint: &str, tail: &[u8]) -> Result<Self, TableError> {
        let tmp = path.with_extension("journal.tmp");
        let mut image = MAGIC.to_vec();
        image.extend(frame(&Record::Header {
            fingerprint: fingerprint.to_string(),
        })?);
        image.extend_from_slice(tail);
        {
            let mut f = File::create(&tmp).map_err(|e| TableError::io(&tmp, e))?;
            f.write_all(&image).map_err(|e| TableError::io(&tmp, e))?;
            f.sync_all().map_err(|e| TableError::io(&tmp, e))?;
        }
        std::fs::rename(&tmp, path).map_err(|e| TableError::io(path, e))?;
        if let Some(dir) = path.parent() {
            sync_dir(dir)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| TableError::io(path, e))?;
        let len = image.len() as u64;
        file.seek(SeekFrom::Start(len))
            .map_err(|e| TableError::io(path, e))?;
        Ok(Self {
            path: path.to_path_buf(),
            file,
            len,
            fingerprint: fingerprint.to_string(),
        })
    }

    /// Appends one edit and makes it durable before returning.
    pub fn append(&mut self, seq: u64, op: &Op) -> Result<(), TableError> {
        let bytes = frame(&Record::Edit {
            seq,
            op: op.clone(),
        })?;
        let result = self
            .file
            .write_all(&bytes)
            .and_then(|()| self.file.sync_data());
        if let Err(e) = result {
            // Cut a partial write off so the next append does not land behind garbage.
            let _ = self.file.set_len(self.len);
            let _ = self.file.seek(SeekFrom::Start(self.len));
            return Err(TableError::io(&self.path, e));
        }
        self.len += bytes.len() as u64;
        Ok(())
    }

    /// Byte length so far; a compaction remembers it to know which records came after.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Drops every record before byte `from` (already folded into HDF5), keeping the rest.
    pub fn truncate_before(&mut self, from: u64) -> Result<(), TableError> {
        let mut tail = Vec::new();
        let read = self.file.seek(SeekFrom::Start(from)).and_then(|_| {
            (&self.file)
                .take(self.len.saturating_sub(from))
                .read_to_end(&mut tail)
        });
        // Appends write at the file position: put it back at the end whatever happens next,
        // so a failed rewrite leaves a journal that still appends correctly.
        let restore = self.file.seek(SeekFrom::Start(self.len));
        read.and(restore)
            .map_err(|e| TableError::io(&self.path, e))?;
        *self = Self::replace_with(&self.path, &self.fingerprint, &tail)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(tag: &str) -> Op {
        Op::RegisterTag { tag: tag.into() }
    }

    #[test]
    fn appends_replay_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let mut j = Journal::create(&path, "fp").unwrap();
        j.append(1, &op("a")).unwrap();
        j.append(2, &op("b")).unwrap();
        let (replay, valid) = Journal::read(&path).unwrap().unwrap();
        assert_eq!(replay.fingerprint.as_deref(), Some("fp"));
        assert_eq!(replay.edits, vec![(1, op("a")), (2, op("b"))]);
        assert_eq!(valid, j.len());
    }

    #[test]
    fn torn_tail_is_dropped_but_inner_corruption_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let mut j = Journal::create(&path, "fp").unwrap();
        j.append(1, &op("a")).unwrap();
        let after_first = j.len() as usize;
        j.append(2, &op("b")).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        for cut in after_first..bytes.len() {
            let (replay, valid) = parse(&path, &bytes[..cut]).unwrap();
            assert_eq!(replay.edits.len(), 1, "cut at {cut}");
            assert_eq!(valid as usize, after_first);
        }
        // A flipped byte in the last record reads as a torn write.
        let mut last_bad = bytes.clone();
        let end = last_bad.len() - 2;
        last_bad[end] ^= 0xff;
        assert_eq!(parse(&path, &last_bad).unwrap().0.edits.len(), 1);
        // The same flip in the first record, with a record after it, is corruption.
        let mut inner_bad = bytes.clone();
        inner_bad[after_first - 2] ^= 0xff;
        let err = parse(&path, &inner_bad).err().unwrap();
        let TableError::Journal { offset, .. } = err else {
            panic!("wrong variant")
        };
        assert!(offset > 8 && (offset as usize) < after_first);
    }

    #[test]
    fn truncate_keeps_later_records_and_reopen_appends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let mut j = Journal::create(&path, "fp").unwrap();
        j.append(1, &op("a")).unwrap();
        let mark = j.len();
        j.append(2, &op("b")).unwrap();
        j.truncate_before(mark).unwrap();
        j.append(3, &op("c")).unwrap();
        let (replay, valid) = Journal::read(&path).unwrap().unwrap();
        assert_eq!(replay.edits, vec![(2, op("b")), (3, op("c"))]);
        let mut again = Journal::open_existing(&path, valid, "fp").unwrap();
        again.append(4, &op("d")).unwrap();
        assert_eq!(Journal::read(&path).unwrap().unwrap().0.edits.len(), 3);
    }
}
