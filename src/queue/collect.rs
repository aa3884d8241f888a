//! `collect`: writes the results stream to a JSONL file, and optionally the dead letters.
//!
//! The streams are read, not consumed (an ephemeral ordered consumer from the first message up to
//! the last one present when `collect` starts), so collecting is idempotent: running it again gives
//! the same lines, plus any result stored since. Each document key is written once, **the first
//! result seen in stream order** (the results stream already keeps one message per key); the lines
//! are the workers' payloads unchanged, i.e. byte-identical to `vigie annotate`'s lines, in
//! completion order rather than input order. The output file is written to a temporary file next
//! to it and renamed at the end, so it is never seen half-written.

use super::{QueueConfig, QueueError, HDR_DELIVERIES, HDR_DOC_ID, HDR_REASON, HDR_SOURCE_SEQ};
use async_nats::jetstream::{self, consumer::pull, consumer::DeliverPolicy};
use futures::StreamExt;
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Settings of one collect.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    pub output: PathBuf,
    /// Also write the dead letters here, one JSON object per line.
    pub dead: Option<PathBuf>,
    /// First wait until the documents stream is empty (every submitted document handled).
    pub wait: bool,
    /// Time between two checks while waiting.
    pub poll: Duration,
    /// Give up when a stream yields nothing for this long although messages remain.
    pub stall_timeout: Duration,
}

impl Default for CollectOptions {
    fn default() -> Self {
        CollectOptions {
            output: PathBuf::new(),
            dead: None,
            wait: false,
            poll: Duration::from_secs(1),
            stall_timeout: Duration::from_secs(30),
        }
    }
}

/// What a collect did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CollectSummary {
    /// Lines written to the output.
    pub written: u64,
    /// Results skipped because their key was already written.
    pub duplicates: u64,
    /// Dead letters in the dead-letter stream.
    pub dead: u64,
    /// Documents still in the documents stream (not yet handled) when the results were read.
    pub queued: u64,
}

/// One line of the dead-letters file.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DeadLetter {
    /// The document id as text, when the payload had one.
    pub id: Option<String>,
    pub reason: String,
    /// Deliveries before it was dead-lettered.
    pub deliveries: Option<i64>,
    /// Sequence of the original message in the documents stream.
    pub source_seq: Option<u64>,
    /// The original message payload (invalid UTF-8 replaced).
    pub payload: String,
}

/// Messages in a stream right now, and the last sequence.
async fn stream_state(js: &jetstream::Context, name: &str) -> Result<(u64, u64), QueueError> {
    let mut stream = js
        .get_stream(name)
        .await
        .map_err(|e| QueueError::Nats { what: format!("opening stream {name}"), source: super::boxed(e) })?;
    let info = stream
        .info()
        .await
        .map_err(|e| QueueError::Nats { what: format!("reading stream {name}"), source: super::boxed(e) })?;
    Ok((info.state.messages, info.state.last_sequence))
}

/// Calls `f` on every message of stream `name` up to its current last sequence.
async fn read_stream(
    js: &jetstream::Context,
    name: &str,
    stall: Duration,
    mut f: impl FnMut(&async_nats::Message) -> Result<(), QueueError>,
) -> Result<(), QueueError> {
    let (messages, last) = stream_state(js, name).await?;
    if messages == 0 {
        return Ok(());
    }
    fn nats<E: std::error::Error + Send + Sync + 'static>(what: &str, name: &str) -> impl FnOnce(E) -> QueueError {
        let what = format!("{what} stream {name}");
        move |e| QueueError::Nats { what, source: super::boxed(e) }
    }
    let stream = js.get_stream(name).await.map_err(nats("opening", name))?;
    let consumer = stream
        .create_consumer(pull::OrderedConfig { deliver_policy: DeliverPolicy::All, ..Default::default() })
        .await
        .map_err(nats("reading", name))?;
    let mut msgs = consumer.messages().await.map_err(nats("reading", name))?;
    loop {
        let next = tokio::time::timeout(stall, msgs.next()).await.map_err(|_| QueueError::Nats {
            what: format!("reading stream {name}"),
            source: format!("no message for {stall:?} although the stream is not finished").into(),
        })?;
        let msg = match next {
            None => return Ok(()),
            Some(m) => m.map_err(nats("reading", name))?,
        };
        let (seq, pending) = msg
            .info()
            .map(|i| (i.stream_sequence, i.pending))
            .map_err(|e| QueueError::Nats { what: format!("reading stream {name}"), source: e })?;
        f(&msg.message)?;
        if seq >= last || pending == 0 {
            return Ok(());
        }
    }
}

/// Writes to a temporary file next to `path`, renamed over it by [`AtomicFile::commit`].
struct AtomicFile {
    tmp: tempfile::NamedTempFile,
    out: std::io::BufWriter<std::fs::File>,
    path: PathBuf,
}

impl AtomicFile {
    fn create(path: &Path) -> Result<Self, QueueError> {
        let io = |source| QueueError::Io { path: path.display().to_string(), source };
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(io)?;
        let tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
        let out = std::io::BufWriter::with_capacity(1 << 20, tmp.reopen().map_err(io)?);
        Ok(AtomicFile { tmp, out, path: path.to_path_buf() })
    }

    fn line(&mut self, bytes: &[u8]) -> Result<(), QueueError> {
        let io = |source| QueueError::Io { path: self.path.display().to_string(), source };
        self.out.write_all(bytes).map_err(io)?;
        if !bytes.ends_with(b"\n") {
            self.out.write_all(b"\n").map_err(io)?;
        }
        Ok(())
    }

    fn commit(self) -> Result<(), QueueError> {
        let path = self.path;
        let io = |source| QueueError::Io { path: path.display().to_string(), source };
        let file = self.out.into_inner().map_err(|e| io(e.into_error()))?;
        file.sync_all().map_err(io)?;
        self.tmp.persist(&path).map_err(|e| io(e.error))?;
        Ok(())
    }
}

/// Collects the results (and dead letters) into files. `on_wait(queued)` is called at each check
/// while waiting for the documents stream to empty.
pub async fn collect(
    js: &jetstream::Context,
    cfg: &QueueConfig,
    opts: &CollectOptions,
    mut on_wait: impl FnMut(u64),
) -> Result<CollectSummary, QueueError> {
    super::ensure_streams(js, cfg).await?;
    let mut sum = CollectSummary::default();
    if opts.wait {
        loop {
            let (queued, _) = stream_state(js, &cfg.docs_stream).await?;
            if queued == 0 {
                break;
            }
            on_wait(queued);
            tokio::time::sleep(opts.poll).await;
        }
    }
    sum.queued = stream_state(js, &cfg.docs_stream).await?.0;

    let mut out = AtomicFile::create(&opts.output)?;
    let mut seen: HashSet<String> = HashSet::new();
    let prefix = format!("{}.", cfg.results_subject);
    read_stream(js, &cfg.results_stream, opts.stall_timeout, |m| {
        let key = m.subject.as_str().strip_prefix(&prefix).unwrap_or(m.subject.as_str());
        if seen.insert(key.to_string()) {
            sum.written += 1;
            out.line(&m.payload)
        } else {
            sum.duplicates += 1;
            Ok(())
        }
    })
    .await?;
    out.commit()?;

    let mut dead_out = opts.dead.as_deref().map(AtomicFile::create).transpose()?;
    read_stream(js, &cfg.dead_stream, opts.stall_timeout, |m| {
        sum.dead += 1;
        match &mut dead_out {
            Some(f) => {
                let rec = dead_letter_record(m);
                f.line(&serde_json::to_vec(&rec).expect("serialising a dead letter"))
            }
            None => Ok(()),
        }
    })
    .await?;
    if let Some(f) = dead_out {
        f.commit()?;
    }
    Ok(sum)
}

/// Reads a dead-letter message.
pub fn dead_letter_record(m: &async_nats::Message) -> DeadLetter {
    let header = |name: &str| m.headers.as_ref().and_then(|h| h.get(name)).map(|v| v.as_str().to_string());
    DeadLetter {
        id: header(HDR_DOC_ID),
        reason: header(HDR_REASON).unwrap_or_default(),
        deliveries: header(HDR_DELIVERIES).and_then(|v| v.parse().ok()),
        source_seq: header(HDR_SOURCE_SEQ).and_then(|v| v.parse().ok()),
        payload: String::from_utf8_lossy(&m.payload).into_owned(),
    }
}
