//! Ingest stage: turns command-line inputs (JSONL files, `.txt` files, directories, stdin) into a
//! stream of validated [`Document`]s, one [`Record`] per input document, in a deterministic order.
//!
//! Bad input never stops the stream: every problem becomes a [`Record`] whose `doc` is an
//! [`InputError`], carrying where it came from. Lines are read with a length cap so a single huge
//! line cannot exhaust memory.

mod reader;

pub use reader::{read_line_capped, LineRead};

use crate::doc::{DocId, Document};
use crate::text::sanitize::sanitize_controls;
use std::collections::HashSet;
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Fields of an input JSON object that are not carried into `meta`.
const RESERVED: [&str; 3] = ["id", "text", "lang"];

/// How an input file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// One JSON object per line.
    Jsonl,
    /// The whole file is one document, its id the file name.
    Text,
    /// A stream that can be read only once (a FIFO, `<(…)` process substitution, a device) with
    /// no telling extension: compression, then JSONL or text, are decided from its first bytes
    /// as it is read, never by opening it twice.
    Sniff,
}

/// Compression of an input, read transparently (news corpora usually ship as `.jsonl.gz` or
/// `.jsonl.zst`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Gzip,
    Zstd,
}

impl Compression {
    /// From the file name's last extension (`.gz`, `.zst`, `.zstd`).
    fn from_ext(p: &Path) -> Option<Compression> {
        match p.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase()).as_deref() {
            Some("gz") | Some("gzip") => Some(Compression::Gzip),
            Some("zst") | Some("zstd") => Some(Compression::Zstd),
            _ => None,
        }
    }

    /// From the first bytes of the data (gzip `1f 8b`, zstd frame `28 b5 2f fd`).
    pub fn sniff(head: &[u8]) -> Option<Compression> {
        if head.starts_with(&[0x1f, 0x8b]) {
            Some(Compression::Gzip)
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Some(Compression::Zstd)
        } else {
            None
        }
    }

    /// A reader of the decompressed data (concatenated gzip members and zstd frames included).
    pub fn decoder<'a, R: BufRead + Send + 'a>(self, r: R) -> io::Result<Box<dyn BufRead + Send + 'a>> {
        Ok(match self {
            Compression::Gzip => Box::new(BufReader::with_capacity(1 << 16, flate2::bufread::MultiGzDecoder::new(r))),
            Compression::Zstd => {
                Box::new(BufReader::with_capacity(1 << 16, zstd::stream::read::Decoder::with_buffer(r)?))
            }
        })
    }
}

/// One input file (or stdin) after expanding the command-line arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    /// `None` for stdin.
    pub path: Option<PathBuf>,
    pub kind: InputKind,
    /// Document id for `Text` inputs.
    pub text_id: String,
    /// Size in bytes when known (for progress and resume fingerprints); of the compressed file
    /// for compressed inputs.
    pub size: Option<u64>,
    /// How the file is compressed (stdin is sniffed when read).
    pub compression: Option<Compression>,
}

impl InputFile {
    /// A JSONL file given by path (e.g. an annotated file to export).
    pub fn plain(path: &Path) -> InputFile {
        InputFile {
            path: Some(path.to_path_buf()),
            kind: InputKind::Jsonl,
            text_id: path.display().to_string(),
            size: None,
            compression: None,
        }
    }

    /// Name used in error records and logs.
    pub fn display_name(&self) -> String {
        match &self.path {
            Some(p) => p.display().to_string(),
            None => "-".to_string(),
        }
    }
}

/// Fatal input errors (the run cannot start): missing files, unreadable directories.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("input {path}: {source}")]
    Io { path: String, source: io::Error },
    #[error("input {0}: no .jsonl/.ndjson/.txt files (optionally .gz/.zst) found in this directory")]
    EmptyDir(String),
    #[error("stdin (-) can be given only once")]
    StdinTwice,
    /// An output path that is an input (also through a link): writing it would destroy the input.
    #[error("refusing to write {flag} {output}: it is the input {input} (nothing was written)")]
    OutputIsInput { flag: String, output: String, input: String },
    /// Two outputs of one run on the same file.
    #[error("refusing to run: {flag_a} {a} and {flag_b} {b} are the same file (nothing was written)")]
    SameOutput { flag_a: String, a: String, flag_b: String, b: String },
}

/// The identity of an existing file (device, inode), links followed.
#[cfg(unix)]
fn file_identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}
#[cfg(not(unix))]
fn file_identity(path: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(path).ok()
}

/// An output path as it will be written: absolute, its directory's links resolved.
fn output_location(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    match (abs.parent(), abs.file_name()) {
        (Some(dir), Some(name)) => std::fs::canonicalize(dir).map(|d| d.join(name)).unwrap_or(abs),
        _ => abs,
    }
}

/// Refuses, before anything is opened for writing, any output (`(flag, path)`) that is one of the
/// inputs (the same file, also through a symbolic or hard link) or another output. `-o same.jsonl`
/// on its own input would otherwise truncate it.
pub fn check_outputs(inputs: &[InputFile], outputs: &[(&str, &Path)]) -> Result<(), IngestError> {
    let input_ids: Vec<(_, &InputFile)> =
        inputs.iter().filter_map(|f| f.path.as_deref().and_then(file_identity).map(|id| (id, f))).collect();
    for (flag, out) in outputs {
        if let Some(id) = file_identity(out) {
            if let Some((_, f)) = input_ids.iter().find(|(i, _)| *i == id) {
                return Err(IngestError::OutputIsInput {
                    flag: flag.to_string(),
                    output: out.display().to_string(),
                    input: f.display_name(),
                });
            }
        }
    }
    for (i, (flag_a, a)) in outputs.iter().enumerate() {
        for (flag_b, b) in &outputs[i + 1..] {
            let same = match (file_identity(a), file_identity(b)) {
                (Some(x), Some(y)) => x == y,
                _ => output_location(a) == output_location(b),
            };
            if same {
                return Err(IngestError::SameOutput {
                    flag_a: flag_a.to_string(),
                    a: a.display().to_string(),
                    flag_b: flag_b.to_string(),
                    b: b.display().to_string(),
                });
            }
        }
    }
    Ok(())
}

/// Why one input document was rejected (or, for warnings, changed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("invalid UTF-8 at byte {0} of the line")]
    InvalidUtf8Line(usize),
    #[error("file is not valid UTF-8 (first bad byte at offset {0}); convert it, e.g. iconv -f latin1 -t utf-8")]
    InvalidUtf8File(usize),
    #[error("malformed JSON: {0}")]
    Json(String),
    #[error("expected a JSON object, found {0}")]
    NotObject(&'static str),
    #[error("missing \"id\"")]
    MissingId,
    #[error("\"id\" must be a non-empty string or a number, found {0}")]
    BadId(String),
    #[error("missing \"text\"")]
    MissingText,
    #[error("\"text\" must be a string, found {0}")]
    NonStringText(&'static str),
    #[error("\"lang\" must be a string, found {0}")]
    NonStringLang(&'static str),
    #[error("empty text")]
    EmptyText,
    #[error("text is {size} bytes, over the limit of {limit} (raise --max-doc-bytes)")]
    TooLarge { size: u64, limit: u64 },
    #[error("line is longer than {0} bytes (the limit follows --max-doc-bytes)")]
    LineTooLong(u64),
    #[error("duplicate id {id:?}: first seen at {first}")]
    DuplicateId { id: String, first: String },
    #[error("read error: {0}")]
    Read(String),
}

fn json_type(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Where a record came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub input: Arc<str>,
    /// 1-based line number for JSONL inputs.
    pub line: Option<u64>,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}", self.input, l),
            None => write!(f, "{}", self.input),
        }
    }
}

/// One input document, valid or not.
#[derive(Debug, Clone)]
pub struct Record {
    /// Position in the input stream (0-based, counts rejected documents too).
    pub seq: u64,
    pub origin: Origin,
    /// The id when it could be read (also for rejected documents).
    pub id: Option<DocId>,
    pub doc: Result<Document, InputError>,
    /// Non-fatal changes made to the document (e.g. control characters replaced).
    pub warnings: Vec<String>,
    /// Input bytes this record consumed (for progress).
    pub bytes: u64,
}

/// Options for reading.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Largest accepted `text`, in UTF-8 bytes.
    pub max_doc_bytes: u64,
    /// Keep only the documents of this shard.
    pub shard: Option<Shard>,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions { max_doc_bytes: 4 * 1024 * 1024, shard: None }
    }
}

/// Shard `index` of `count` (0-based): the documents whose id hashes there (FNV-1a 64 of the id
/// as printed, modulo `count`), so N independent runs split a corpus with no coordination.
/// Records whose id cannot be read go to shard 0, so every error is reported exactly once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// Whether a record with this id belongs to the shard.
    pub fn contains(&self, id: Option<&DocId>) -> bool {
        match id {
            None => self.index == 0,
            Some(id) => fnv1a64(id.to_string().as_bytes()) % u64::from(self.count) == u64::from(self.index),
        }
    }
}

impl std::str::FromStr for Shard {
    type Err = String;
    /// Parses `I/N` with `0 <= I < N`.
    fn from_str(s: &str) -> Result<Self, String> {
        let (i, n) = s.split_once('/').ok_or_else(|| format!("expected I/N (e.g. 0/4), got {s:?}"))?;
        let index: u32 = i.trim().parse().map_err(|_| format!("shard index {i:?} is not a number"))?;
        let count: u32 = n.trim().parse().map_err(|_| format!("shard count {n:?} is not a number"))?;
        if count == 0 || index >= count {
            return Err(format!("shard {index}/{count}: need 0 <= I < N"));
        }
        Ok(Shard { index, count })
    }
}

/// FNV-1a 64: a hash that is the same on every machine and version (shard assignment).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Kind and compression from the file name: `.jsonl`, `.ndjson`, `.txt`, each optionally
/// followed by `.gz` or `.zst`.
fn is_input_ext(p: &Path) -> Option<(InputKind, Option<Compression>)> {
    let comp = Compression::from_ext(p);
    let inner = if comp.is_some() { Path::new(p.file_stem()?) } else { p };
    let kind = match inner.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase()).as_deref() {
        Some("jsonl") | Some("ndjson") => InputKind::Jsonl,
        Some("txt") => InputKind::Text,
        _ => return None,
    };
    Some((kind, comp))
}

/// Sniffs a file given explicitly with an unknown extension: compressed if it starts with a
/// gzip or zstd signature (then JSONL), else JSONL if it starts with `{`, else text.
fn sniff(path: &Path) -> io::Result<(InputKind, Option<Compression>)> {
    let mut buf = [0u8; 512];
    let n = File::open(path)?.read(&mut buf)?;
    if let Some(c) = Compression::sniff(&buf[..n]) {
        return Ok((InputKind::Jsonl, Some(c)));
    }
    let first = buf[..n].iter().find(|b| !b.is_ascii_whitespace());
    Ok((if first == Some(&b'{') { InputKind::Jsonl } else { InputKind::Text }, None))
}

fn walk(dir: &Path, root: &Path, out: &mut Vec<InputFile>) -> Result<(), IngestError> {
    let io_err = |source| IngestError::Io { path: dir.display().to_string(), source };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io_err)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(io_err)?;
    entries.sort();
    for p in entries {
        let meta = std::fs::metadata(&p).map_err(|source| IngestError::Io { path: p.display().to_string(), source })?;
        if meta.is_dir() {
            walk(&p, root, out)?;
        } else if let Some((kind, compression)) = is_input_ext(&p) {
            let rel = p.strip_prefix(root).unwrap_or(&p).to_string_lossy().into_owned();
            out.push(InputFile { path: Some(p), kind, text_id: rel, size: Some(meta.len()), compression });
        }
    }
    Ok(())
}

/// Expands command-line inputs: files as given, directories recursively (sorted, `.jsonl`,
/// `.ndjson`, `.txt` only), `-` for JSONL on stdin.
pub fn expand_inputs(args: &[PathBuf]) -> Result<Vec<InputFile>, IngestError> {
    let mut out = Vec::new();
    let mut stdin_seen = false;
    for a in args {
        if a.as_os_str() == "-" {
            if stdin_seen {
                return Err(IngestError::StdinTwice);
            }
            stdin_seen = true;
            out.push(InputFile {
                path: None,
                kind: InputKind::Jsonl,
                text_id: "-".into(),
                size: None,
                compression: None,
            });
            continue;
        }
        let meta = std::fs::metadata(a).map_err(|source| IngestError::Io { path: a.display().to_string(), source })?;
        if meta.is_dir() {
            let before = out.len();
            walk(a, a, &mut out)?;
            if out.len() == before {
                return Err(IngestError::EmptyDir(a.display().to_string()));
            }
        } else {
            // a FIFO or a device can be read once only: it is sniffed as it is read
            let regular = meta.is_file();
            let (kind, compression) = match is_input_ext(a) {
                Some(k) => k,
                None if !regular => (InputKind::Sniff, None),
                None => sniff(a).map_err(|source| IngestError::Io { path: a.display().to_string(), source })?,
            };
            let name =
                a.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| a.display().to_string());
            let size = regular.then(|| meta.len());
            out.push(InputFile { path: Some(a.clone()), kind, text_id: name, size, compression });
        }
    }
    Ok(out)
}

/// A reader of an input's (decompressed) bytes. Stdin is decompressed when it starts with a gzip
/// or zstd signature.
pub fn open_input(f: &InputFile) -> Result<Box<dyn BufRead + Send>, IngestError> {
    let name = f.display_name();
    let io_err = |source| IngestError::Io { path: name.clone(), source };
    let mut raw: Box<dyn BufRead + Send> = match &f.path {
        None => Box::new(BufReader::with_capacity(1 << 16, io::stdin())),
        Some(p) => Box::new(BufReader::with_capacity(1 << 16, File::open(p).map_err(io_err)?)),
    };
    let compression = match (f.compression, &f.path) {
        (Some(c), _) => Some(c),
        (None, None) => Compression::sniff(raw.fill_buf().map_err(io_err)?),
        (None, Some(_)) if f.kind == InputKind::Sniff => Compression::sniff(raw.fill_buf().map_err(io_err)?),
        (None, Some(_)) => None,
    };
    match compression {
        None => Ok(raw),
        Some(c) => c.decoder(raw).map_err(io_err),
    }
}

/// Validates one JSONL line into a document (without the duplicate check).
pub fn parse_json_line(line: &[u8], opts: &IngestOptions) -> (Option<DocId>, Result<Document, InputError>) {
    let s = match std::str::from_utf8(line) {
        Ok(s) => s,
        Err(e) => return (None, Err(InputError::InvalidUtf8Line(e.valid_up_to()))),
    };
    let value: serde_json::Value = match serde_json::from_str(s) {
        Ok(v) => v,
        Err(e) => return (None, Err(InputError::Json(e.to_string()))),
    };
    let mut obj = match value {
        serde_json::Value::Object(o) => o,
        other => return (None, Err(InputError::NotObject(json_type(&other)))),
    };
    let id = match obj.get("id") {
        None => Err(InputError::MissingId),
        Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Ok(DocId::Str(s.clone())),
        Some(serde_json::Value::Number(n)) => Ok(DocId::Num(n.clone())),
        Some(other) => Err(InputError::BadId(match other {
            serde_json::Value::String(_) => "an empty string".into(),
            o => json_type(o).into(),
        })),
    };
    let id = match id {
        Ok(id) => id,
        Err(e) => return (None, Err(e)),
    };
    let text = match obj.shift_remove("text") {
        None => return (Some(id), Err(InputError::MissingText)),
        Some(serde_json::Value::String(t)) => t,
        Some(other) => return (Some(id), Err(InputError::NonStringText(json_type(&other)))),
    };
    let lang = match obj.shift_remove("lang") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(l)) => Some(l),
        Some(other) => return (Some(id), Err(InputError::NonStringLang(json_type(&other)))),
    };
    if let Err(e) = check_text(&text, opts) {
        return (Some(id), Err(e));
    }
    let meta = obj.into_iter().filter(|(k, _)| !RESERVED.contains(&k.as_str())).collect();
    (Some(id.clone()), Ok(Document { id, text, lang, meta }))
}

fn check_text(text: &str, opts: &IngestOptions) -> Result<(), InputError> {
    if text.len() as u64 > opts.max_doc_bytes {
        return Err(InputError::TooLarge { size: text.len() as u64, limit: opts.max_doc_bytes });
    }
    if text.trim().is_empty() {
        return Err(InputError::EmptyText);
    }
    Ok(())
}

/// Replaces control characters in a valid document (offsets unchanged) and returns a warning.
fn clean_controls(doc: &mut Document) -> Option<String> {
    let s = sanitize_controls(&doc.text);
    if s.replaced == 0 {
        return None;
    }
    let (pos, c) = s.first.unwrap_or((0, ' '));
    let msg = format!(
        "{} control character(s) replaced by spaces (first U+{:04X} at char {}); offsets unchanged",
        s.replaced, c as u32, pos
    );
    doc.text = s.text.into_owned();
    Some(msg)
}

/// Streaming reader over all inputs, in order. Yields one [`Record`] per document.
pub struct RecordReader {
    files: std::vec::IntoIter<InputFile>,
    current: Option<(Arc<str>, Box<dyn BufRead + Send>)>,
    line_no: u64,
    seq: u64,
    opts: IngestOptions,
    /// 64-bit hashes of ids seen so far (8 bytes per document) with their first origin index.
    seen: HashSet<u64>,
    first_seen: std::collections::HashMap<u64, Origin>,
    buf: Vec<u8>,
    fatal: Option<IngestError>,
}

fn id_hash(id: &DocId) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    id.to_string().hash(&mut h);
    h.finish()
}

impl RecordReader {
    pub fn new(files: Vec<InputFile>, opts: IngestOptions) -> Self {
        RecordReader {
            files: files.into_iter(),
            current: None,
            line_no: 0,
            seq: 0,
            opts,
            seen: HashSet::new(),
            first_seen: std::collections::HashMap::new(),
            buf: Vec::new(),
            fatal: None,
        }
    }

    /// A fatal error met while reading (e.g. an input file vanished); the stream ends after it.
    pub fn take_fatal(&mut self) -> Option<IngestError> {
        self.fatal.take()
    }

    fn record(&mut self, origin: Origin, id: Option<DocId>, doc: Result<Document, InputError>, bytes: u64) -> Record {
        let mut doc = doc;
        let mut warnings = Vec::new();
        if let Ok(d) = &doc {
            let h = id_hash(&d.id);
            if !self.seen.insert(h) {
                let first = self.first_seen.get(&h).map(|o| o.to_string()).unwrap_or_default();
                doc = Err(InputError::DuplicateId { id: d.id.to_string(), first });
            } else {
                // Keep the first origin only for a bounded number of ids (for the error message).
                if self.first_seen.len() < 100_000 {
                    self.first_seen.insert(h, origin.clone());
                }
            }
        }
        if let Ok(d) = &mut doc {
            warnings.extend(clean_controls(d));
        }
        let seq = self.seq;
        self.seq += 1;
        Record { seq, origin, id, doc, warnings, bytes }
    }

    fn read_text_file(&mut self, f: &InputFile) -> Record {
        let path = f.path.as_ref().expect("text inputs are files");
        let reader = File::open(path).and_then(|file| {
            let raw = BufReader::new(file);
            Ok(match f.compression {
                None => Box::new(raw) as Box<dyn Read + Send>,
                Some(c) => c.decoder(raw)?,
            })
        });
        self.text_record(f, reader)
    }

    /// One text document from `reader` (its decompressed bytes), at most `max_doc_bytes`.
    fn text_record<R: Read>(&mut self, f: &InputFile, reader: io::Result<R>) -> Record {
        let name: Arc<str> = f.display_name().into();
        let origin = Origin { input: name.clone(), line: None };
        let id = DocId::Str(f.text_id.clone());
        let limit = self.opts.max_doc_bytes;
        let res = (|| -> Result<Result<Document, InputError>, io::Error> {
            let mut bytes = Vec::new();
            reader?.take(limit + 1).read_to_end(&mut bytes)?;
            if bytes.len() as u64 > limit {
                let size = match (f.compression, &f.path, f.kind) {
                    (None, Some(path), InputKind::Text) => {
                        std::fs::metadata(path).map(|m| m.len()).unwrap_or(limit + 1)
                    }
                    _ => bytes.len() as u64,
                };
                return Ok(Err(InputError::TooLarge { size, limit }));
            }
            let text = match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(e) => return Ok(Err(InputError::InvalidUtf8File(e.utf8_error().valid_up_to()))),
            };
            let text = text.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(text);
            Ok(check_text(&text, &self.opts).map(|_| Document {
                id: id.clone(),
                text,
                lang: None,
                meta: serde_json::Map::new(),
            }))
        })();
        let doc = res.unwrap_or_else(|e| Err(InputError::Read(e.to_string())));
        self.record(origin, Some(id), doc, f.size.unwrap_or(0))
    }

    fn open(&mut self, f: &InputFile) -> Result<Box<dyn BufRead + Send>, IngestError> {
        open_input(f)
    }
}

impl Iterator for RecordReader {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        loop {
            if self.fatal.is_some() {
                return None;
            }
            if self.current.is_none() {
                let f = self.files.next()?;
                match f.kind {
                    InputKind::Text => {
                        if let Some(sh) = self.opts.shard {
                            if !sh.contains(Some(&DocId::Str(f.text_id.clone()))) {
                                continue;
                            }
                        }
                        return Some(self.read_text_file(&f));
                    }
                    InputKind::Sniff => match self.open(&f) {
                        // JSONL when its first non-blank byte opens an object, else one text
                        Ok(mut r) => match r.fill_buf().map(|b| b.iter().find(|c| !c.is_ascii_whitespace()).copied()) {
                            Ok(Some(b'{')) | Ok(None) => {
                                self.current = Some((f.display_name().into(), r));
                                self.line_no = 0;
                            }
                            Ok(Some(_)) => {
                                if let Some(sh) = self.opts.shard {
                                    if !sh.contains(Some(&DocId::Str(f.text_id.clone()))) {
                                        continue;
                                    }
                                }
                                return Some(self.text_record(&f, Ok(r)));
                            }
                            Err(e) => {
                                self.fatal = Some(IngestError::Io { path: f.display_name(), source: e });
                                return None;
                            }
                        },
                        Err(e) => {
                            self.fatal = Some(e);
                            return None;
                        }
                    },
                    InputKind::Jsonl => match self.open(&f) {
                        Ok(r) => {
                            self.current = Some((f.display_name().into(), r));
                            self.line_no = 0;
                        }
                        Err(e) => {
                            self.fatal = Some(e);
                            return None;
                        }
                    },
                }
            }
            // JSONL: slack for JSON escapes and the other fields around the text.
            let cap = self.opts.max_doc_bytes.saturating_mul(2).saturating_add(1 << 20);
            let (name, reader) = self.current.as_mut().expect("set above");
            let name = name.clone();
            let read = read_line_capped(reader.as_mut(), &mut self.buf, cap);
            match read {
                Err(e) => {
                    self.fatal = Some(IngestError::Io { path: name.to_string(), source: e });
                    return None;
                }
                Ok(None) => {
                    self.current = None;
                    continue;
                }
                Ok(Some(lr)) => {
                    self.line_no += 1;
                    let origin = Origin { input: name, line: Some(self.line_no) };
                    if lr.truncated {
                        if self.opts.shard.is_some_and(|sh| !sh.contains(None)) {
                            continue;
                        }
                        return Some(self.record(origin, None, Err(InputError::LineTooLong(cap)), lr.consumed));
                    }
                    let line = trim_line(&self.buf);
                    if line.iter().all(|b| b.is_ascii_whitespace()) {
                        continue; // blank lines are not documents
                    }
                    let line = line.strip_prefix(b"\xef\xbb\xbf".as_slice()).unwrap_or(line);
                    let (id, doc) = parse_json_line(line, &self.opts);
                    if self.opts.shard.is_some_and(|sh| !sh.contains(id.as_ref())) {
                        continue;
                    }
                    return Some(self.record(origin, id, doc, lr.consumed));
                }
            }
        }
    }
}

fn trim_line(b: &[u8]) -> &[u8] {
    let mut end = b.len();
    while end > 0 && (b[end - 1] == b'\n' || b[end - 1] == b'\r') {
        end -= 1;
    }
    &b[..end]
}
