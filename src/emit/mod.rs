//! Emit stage: serialising annotated documents and error records, and writing them to files or
//! stdout with byte-position tracking (what `--resume` needs to cut a file back to a checkpoint).

use crate::doc::{Annotated, DocId};
use serde::Serialize;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Destination of output records: anything that takes ordered, encoded records.
pub trait Sink: Send {
    /// Writes one encoded record (one JSONL line, newline included).
    fn write_line(&mut self, line: &[u8]) -> io::Result<()>;
    /// Makes everything written so far visible to readers; `durable` also asks the OS to persist it.
    fn flush(&mut self, durable: bool) -> io::Result<()>;
    /// Bytes written since the start of the file (including what was kept on resume), when the
    /// sink is a file.
    fn position(&self) -> Option<u64>;
}

/// Encodes an annotated document as one JSONL line (with the trailing newline).
pub fn encode_jsonl(doc: &Annotated) -> Vec<u8> {
    let mut v = Vec::with_capacity(doc.text.len() * 2 + 512);
    // Serialising plain data with string keys cannot fail.
    serde_json::to_writer(&mut v, doc).expect("serialising an annotated document");
    v.push(b'\n');
    v
}

/// One line of the errors file.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct ErrorRecord {
    /// Input file name (`-` for stdin).
    pub input: String,
    /// 1-based line number for JSONL inputs.
    pub line: Option<u64>,
    /// Document id when it could be read.
    pub id: Option<DocId>,
    /// `error`: the document is not in the output; `warning`: it is, with the change described.
    pub severity: Severity,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, Serialize, serde::Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl ErrorRecord {
    pub fn encode(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec(self).expect("serialising an error record");
        v.push(b'\n');
        v
    }
}

/// A JSONL file or stdout, tracking how many bytes it holds.
pub struct LineWriter {
    inner: BufWriter<Box<dyn WriteFile>>,
    pos: Option<u64>,
    path: Option<PathBuf>,
}

/// A writable target that may be a file (for durability) or a stream.
pub trait WriteFile: Write + Send {
    fn sync(&mut self) -> io::Result<()>;
}

impl WriteFile for File {
    fn sync(&mut self) -> io::Result<()> {
        self.sync_data()
    }
}

struct Stream<W: Write + Send>(W);

impl<W: Write + Send> Write for Stream<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl<W: Write + Send> WriteFile for Stream<W> {
    fn sync(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl LineWriter {
    /// Creates (truncates) `path`.
    pub fn create(path: &Path) -> io::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let f = File::create(path)?;
        Ok(LineWriter { inner: BufWriter::with_capacity(1 << 20, Box::new(f)), pos: Some(0), path: Some(path.into()) })
    }

    /// Opens `path` for appending after cutting it to `len` bytes (resume).
    pub fn resume(path: &Path, len: u64) -> io::Result<Self> {
        let mut f = OpenOptions::new().write(true).create(true).truncate(false).open(path)?;
        let actual = f.metadata()?.len();
        if actual < len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "{} holds {actual} bytes but the checkpoint says {len}: it was changed outside vigie",
                    path.display()
                ),
            ));
        }
        f.set_len(len)?;
        f.seek(SeekFrom::Start(len))?;
        Ok(LineWriter {
            inner: BufWriter::with_capacity(1 << 20, Box::new(f)),
            pos: Some(len),
            path: Some(path.into()),
        })
    }

    pub fn stdout() -> Self {
        LineWriter { inner: BufWriter::with_capacity(1 << 16, Box::new(Stream(io::stdout()))), pos: None, path: None }
    }

    pub fn stderr() -> Self {
        LineWriter { inner: BufWriter::with_capacity(0, Box::new(Stream(io::stderr()))), pos: None, path: None }
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }
}

impl Sink for LineWriter {
    fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        self.inner.write_all(line)?;
        if let Some(p) = &mut self.pos {
            *p += line.len() as u64;
        }
        Ok(())
    }

    fn flush(&mut self, durable: bool) -> io::Result<()> {
        self.inner.flush()?;
        if durable {
            self.inner.get_mut().sync()?;
        }
        Ok(())
    }

    fn position(&self) -> Option<u64> {
        self.pos
    }
}
