//! `submit`: reads the same inputs as `annotate` and publishes one message per valid document to the
//! work-queue stream.
//!
//! Inputs go through the same reader and validation as `annotate` ([`RecordReader`]): a document
//! that fails validation (bad JSON, missing id, duplicate id, too large, ...) is **reported and
//! counted, not published**, exactly as `annotate` would list it in its errors file. What is
//! published is the validated document re-encoded ([`encode_document`]), control characters
//! already replaced, so a worker's output is byte-identical to `annotate`'s. A document that would
//! not fit in a NATS message (the server's `max_payload`, less [`HEADER_ROOM`] for a dead letter's
//! headers) is rejected the same way.
//!
//! Each message carries `Nats-Msg-Id: <doc_key(id)>`: the server drops a re-submitted document
//! within the stream's duplicate window (counted as `duplicates`). Publishing is pipelined (up to
//! `in_flight` unacknowledged messages) and retried on transient errors, which is safe for the same
//! reason.

use super::{doc_key, encode_document, QueueConfig, QueueError, HEADER_ROOM};
use crate::doc::DocId;
use crate::emit::{ErrorRecord, Severity};
use crate::ingest::{expand_inputs, IngestOptions, Origin, RecordReader};
use async_nats::jetstream::{self, message::PublishMessage as Publish};
use futures::stream::{FuturesUnordered, StreamExt};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Settings of one submit.
#[derive(Debug, Clone)]
pub struct SubmitOptions {
    pub inputs: Vec<PathBuf>,
    pub ingest: IngestOptions,
    /// Messages published but not yet acknowledged by the stream, at most.
    pub in_flight: usize,
    /// Attempts per message before it counts as failed.
    pub attempts: u32,
    /// Time between two progress events.
    pub progress_every: Duration,
}

impl Default for SubmitOptions {
    fn default() -> Self {
        SubmitOptions {
            inputs: Vec::new(),
            ingest: IngestOptions::default(),
            in_flight: 512,
            attempts: 4,
            progress_every: Duration::from_secs(2),
        }
    }
}

/// Counts of one submit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubmitSummary {
    /// Input records read (valid or not).
    pub read: u64,
    /// New messages stored in the documents stream.
    pub published: u64,
    /// Messages the server dropped as already submitted (same id within the duplicate window).
    pub duplicates: u64,
    /// Documents not published because they failed validation or were too large.
    pub rejected: u64,
    /// Documents that could not be published (after all attempts).
    pub failed: u64,
    /// Published documents that were changed (control characters replaced).
    pub warnings: u64,
    pub wall: Duration,
}

/// What `submit` reports while it runs.
#[derive(Debug)]
pub enum SubmitEvent<'a> {
    /// A rejected or failed document (severity `error`) or a changed one (`warning`), in the
    /// format of `annotate`'s errors file.
    Problem(ErrorRecord),
    /// Counts so far, every `progress_every`.
    Progress(&'a SubmitSummary),
}

struct Pending {
    id: DocId,
    origin: Origin,
}

/// Publishes all valid documents of `opts.inputs`. Creates the streams if needed.
pub async fn submit(
    client: &async_nats::Client,
    js: &jetstream::Context,
    cfg: &QueueConfig,
    opts: &SubmitOptions,
    mut on_event: impl FnMut(SubmitEvent<'_>),
) -> Result<SubmitSummary, QueueError> {
    let started = Instant::now();
    super::ensure_streams(js, cfg).await?;
    let limit = super::max_payload(client).saturating_sub(HEADER_ROOM);
    let files = expand_inputs(&opts.inputs)?;

    // The reader does blocking file I/O: run it off the async threads, bounded hand-over.
    let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
    let ingest = opts.ingest.clone();
    let reader = tokio::task::spawn_blocking(move || {
        let mut rr = RecordReader::new(files, ingest);
        for rec in rr.by_ref() {
            if tx.blocking_send(rec).is_err() {
                break;
            }
        }
        rr.take_fatal()
    });

    let mut sum = SubmitSummary::default();
    let mut inflight = FuturesUnordered::new();
    let mut last_progress = Instant::now();
    let error = |origin: &Origin, id: Option<DocId>, severity, reason: String| {
        SubmitEvent::Problem(ErrorRecord { input: origin.input.to_string(), line: origin.line, id, severity, reason })
    };
    while let Some(rec) = rx.recv().await {
        sum.read += 1;
        match rec.doc {
            Err(e) => {
                sum.rejected += 1;
                on_event(error(&rec.origin, rec.id, Severity::Error, e.to_string()));
            }
            Ok(doc) => {
                let payload = encode_document(&doc);
                if payload.len() > limit {
                    sum.rejected += 1;
                    let reason = format!(
                        "document is {} bytes once encoded, over the {limit} bytes a NATS message can carry here (raise max_payload in the nats-server configuration)",
                        payload.len()
                    );
                    on_event(error(&rec.origin, Some(doc.id), Severity::Error, reason));
                    continue;
                }
                for w in rec.warnings {
                    sum.warnings += 1;
                    on_event(error(&rec.origin, Some(doc.id.clone()), Severity::Warning, w));
                }
                let key = doc_key(&doc.id);
                let pending = Pending { id: doc.id, origin: rec.origin };
                inflight.push(publish(js, cfg.docs_subject.clone(), key, payload, opts.attempts, pending));
                while inflight.len() >= opts.in_flight.max(1) {
                    if let Some(done) = inflight.next().await {
                        account(done, &mut sum, &mut on_event);
                    }
                }
            }
        }
        if last_progress.elapsed() >= opts.progress_every {
            last_progress = Instant::now();
            sum.wall = started.elapsed();
            on_event(SubmitEvent::Progress(&sum));
        }
    }
    while let Some(done) = inflight.next().await {
        account(done, &mut sum, &mut on_event);
    }
    let fatal = reader.await.map_err(|e| QueueError::Pool(format!("input reader: {e}")))?;
    sum.wall = started.elapsed();
    match fatal {
        Some(e) => Err(e.into()),
        None => Ok(sum),
    }
}

fn account(done: (Pending, Result<bool, String>), sum: &mut SubmitSummary, on_event: &mut impl FnMut(SubmitEvent<'_>)) {
    match done {
        (_, Ok(true)) => sum.duplicates += 1,
        (_, Ok(false)) => sum.published += 1,
        (p, Err(reason)) => {
            sum.failed += 1;
            on_event(SubmitEvent::Problem(ErrorRecord {
                input: p.origin.input.to_string(),
                line: p.origin.line,
                id: Some(p.id),
                severity: Severity::Error,
                reason: format!("not submitted: {reason}"),
            }));
        }
    }
}

/// Publishes one document and waits for the stream's ack; `Ok(true)` when it was a duplicate.
async fn publish(
    js: &jetstream::Context,
    subject: String,
    key: String,
    payload: Vec<u8>,
    attempts: u32,
    pending: Pending,
) -> (Pending, Result<bool, String>) {
    let mut last = String::new();
    for attempt in 0..attempts.max(1) {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(250 << attempt.min(5))).await;
        }
        let msg = Publish::build().payload(payload.clone().into()).message_id(&key);
        match js.send_publish(subject.clone(), msg).await {
            Err(e) => last = e.to_string(),
            Ok(ack) => match ack.await {
                Ok(a) => return (pending, Ok(a.duplicate)),
                Err(e) => last = e.to_string(),
            },
        }
    }
    (pending, Err(last))
}
