//! Checkpoints for `--resume`.
//!
//! Protocol: the writer appends output and error lines in input order; after a batch it flushes
//! both files and then atomically replaces the state file (`OUT.vigie-state`, written to a temporary
//! file, synced, renamed) with the number of input records fully handled and the byte lengths of
//! both files at that point. A process killed at any moment leaves a state that describes a prefix
//! of the files; `--resume` cuts both files back to the recorded lengths (dropping any torn or
//! uncommitted tail), skips the recorded number of records and continues. Annotation is
//! deterministic, so the result is byte-identical to an uninterrupted run.

use crate::doc::Label;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

const FORMAT: u32 = 1;

/// Counters carried across resumed runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub docs_in: u64,
    pub annotated: u64,
    pub failed: u64,
    pub warnings: u64,
    pub entities: BTreeMap<Label, u64>,
}

/// Contents of the state file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub format: u32,
    /// Hash of the inputs (names, sizes) and of every setting that changes the output.
    pub fingerprint: String,
    /// Input records (valid or not) whose output and error lines are in the files.
    pub records_done: u64,
    pub out_bytes: u64,
    pub err_bytes: u64,
    pub stats: Stats,
    /// The run reached the end of its inputs.
    pub complete: bool,
}

impl State {
    pub fn new(fingerprint: String) -> Self {
        State {
            format: FORMAT,
            fingerprint,
            records_done: 0,
            out_bytes: 0,
            err_bytes: 0,
            stats: Stats::default(),
            complete: false,
        }
    }
}

/// Where the state of output `out` is kept.
pub fn state_path(out: &Path) -> PathBuf {
    let mut s = out.as_os_str().to_owned();
    s.push(".vigie-state");
    PathBuf::from(s)
}

/// Hex SHA-256 of a JSON description of the run.
pub fn fingerprint(desc: &serde_json::Value) -> String {
    let mut h = Sha256::new();
    h.update(serde_json::to_vec(desc).unwrap_or_default());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads a state file; `Ok(None)` when there is none.
pub fn load(path: &Path) -> io::Result<Option<State>> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let st: State = serde_json::from_slice(&bytes).map_err(|e| {
                io::Error::new(io::ErrorKind::InvalidData, format!("{}: unreadable resume state: {e}", path.display()))
            })?;
            if st.format != FORMAT {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}: resume state format {} is not supported", path.display(), st.format),
                ));
            }
            Ok(Some(st))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Atomically replaces the state file.
pub fn save(path: &Path, st: &State, durable: bool) -> io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&serde_json::to_vec_pretty(st).map_err(io::Error::other)?)?;
        if durable {
            f.sync_data()?;
        }
    }
    std::fs::rename(&tmp, path)
}
