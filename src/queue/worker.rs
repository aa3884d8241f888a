//! `worker`: pulls documents from the work queue, annotates them with the same pipeline as
//! `annotate`, publishes the results and acks the inputs.
//!
//! ```text
//! pull batches ──▶ up to `in_flight` documents at once ──▶ chunks through the pipeline (rayon pool)
//!                    └─ publish result, await the stream's ack ─▶ ack the input
//! ```
//! The annotation is CPU-bound and runs on a rayon pool of `threads` threads; the async runtime only
//! moves messages. While a document is in work, the worker tells the server so (`+WPI`) every half
//! `ack_wait`, so a slow document is not redelivered elsewhere meanwhile.
//!
//! Failures ([`disposition`]):
//! * **permanent** (the payload is not a valid document; the result is larger than the server's
//!   `max_payload`): dead-lettered at the first delivery;
//! * **transient** (the annotator returned an error, publishing the result failed): nak with the
//!   configured backoff delay, and dead-lettered at the `max_deliver`-th delivery.
//!
//! A dead letter is the original payload, published on the dead-letter subject with the headers
//! [`HDR_REASON`], [`HDR_DOC_ID`], [`HDR_DELIVERIES`], [`HDR_SOURCE_SEQ`]; the input is acked only
//! once the dead-letter stream has acknowledged it. If even that fails on the last delivery, the
//! input is left unacked: it stays in the documents stream (visible, never dropped) and the worker
//! counts it as `stuck`.
//!
//! Shutdown: when `shutdown` turns true the worker stops fetching, finishes the documents it holds
//! (annotate, publish, ack), flushes and returns.

use super::{decode_document, doc_key, header_value, payload_key, QueueConfig, QueueError};
use super::{HDR_DELIVERIES, HDR_DOC_ID, HDR_REASON, HDR_SOURCE_SEQ};
use crate::doc::DocId;
use crate::emit::encode_jsonl;
use crate::pipeline::batcher::Batcher;
use crate::pipeline::Pipeline;
use async_nats::jetstream::{self, consumer::pull, consumer::AckPolicy, message::PublishMessage as Publish, AckKind};
use futures::stream::{self, StreamExt};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Settings of one worker process.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Annotation threads.
    pub threads: usize,
    /// Documents in work at once (waiting, annotating, publishing, acking); also the pull batch size.
    pub in_flight: usize,
    /// How long one pull waits for documents when the queue is empty (bounds the shutdown delay).
    pub fetch_wait: Duration,
    /// Time between two metrics reports.
    pub metrics_every: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        WorkerOptions {
            threads,
            in_flight: default_in_flight(threads),
            fetch_wait: Duration::from_secs(1),
            metrics_every: Duration::from_secs(5),
        }
    }
}

/// Default number of documents in work at once: enough to hide the network round trips (publish
/// the result, await its ack, ack the input) behind the annotation; 64 gives about 3× the rate of 4
/// with the lexicon tagger on a 2-core machine.
pub fn default_in_flight(threads: usize) -> usize {
    (4 * threads).max(64)
}

/// What to do with a document that failed on its `delivered`-th delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Nak it: the server redelivers it after this delay.
    Retry(Duration),
    /// Publish it to the dead-letter subject, then ack it.
    DeadLetter,
}

/// The failure policy: permanent failures and failures at the last allowed delivery are
/// dead-lettered, others retried after the backoff delay.
pub fn disposition(cfg: &QueueConfig, permanent: bool, delivered: i64, max_deliver: i64) -> Disposition {
    if permanent || delivered >= max_deliver {
        Disposition::DeadLetter
    } else {
        Disposition::Retry(cfg.retry_delay(delivered))
    }
}

/// Counters of a worker, as reported on each metrics line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metrics {
    /// Documents annotated, published and acked.
    pub processed: u64,
    /// Documents published to the dead-letter subject.
    pub dead: u64,
    /// Failed deliveries handed back for a retry (nak).
    pub retried: u64,
    /// Deliveries that were not the first (after a crash, a timeout or a nak).
    pub redelivered: u64,
    /// Documents that could not even be dead-lettered on their last delivery (left unacked).
    pub stuck: u64,
    /// Documents currently in work.
    pub in_flight: u64,
    pub uptime: Duration,
    /// Processed documents per second since the previous report.
    pub rate: f64,
    /// Processed documents per second since the start.
    pub avg_rate: f64,
}

#[derive(Default)]
struct Counters {
    processed: AtomicU64,
    dead: AtomicU64,
    retried: AtomicU64,
    redelivered: AtomicU64,
    stuck: AtomicU64,
    in_flight: AtomicU64,
}

impl Counters {
    fn snapshot(&self, started: Instant, prev: Option<(Instant, u64)>) -> Metrics {
        let processed = self.processed.load(Ordering::Relaxed);
        let uptime = started.elapsed();
        let avg_rate = processed as f64 / uptime.as_secs_f64().max(1e-3);
        let rate = match prev {
            Some((t, n)) => processed.saturating_sub(n) as f64 / t.elapsed().as_secs_f64().max(1e-3),
            None => avg_rate,
        };
        Metrics {
            processed,
            dead: self.dead.load(Ordering::Relaxed),
            retried: self.retried.load(Ordering::Relaxed),
            redelivered: self.redelivered.load(Ordering::Relaxed),
            stuck: self.stuck.load(Ordering::Relaxed),
            in_flight: self.in_flight.load(Ordering::Relaxed),
            uptime,
            rate,
            avg_rate,
        }
    }
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// How long the first document of a chunk waits for others to join it (the documents of one
/// pull batch arrive within microseconds of each other).
const BATCH_LINGER: Duration = Duration::from_millis(20);

struct Ctx {
    js: jetstream::Context,
    cfg: QueueConfig,
    /// The consumer's actual `max_deliver` (it may have been created with other settings).
    max_deliver: i64,
    /// The consumer's actual `ack_wait`.
    ack_wait: Duration,
    max_payload: usize,
    /// Gathers the documents in work into chunks for the pipeline (models batch across them).
    batcher: Batcher,
    counters: Counters,
}

/// Creates (or updates) the durable pull consumer shared by the workers.
pub async fn ensure_consumer(
    js: &jetstream::Context,
    cfg: &QueueConfig,
) -> Result<jetstream::consumer::PullConsumer, QueueError> {
    cfg.validate()?;
    let stream = js.get_stream(&cfg.docs_stream).await.map_err(|e| QueueError::Nats {
        what: format!("opening stream {}", cfg.docs_stream),
        source: super::boxed(e),
    })?;
    let config = pull::Config {
        durable_name: Some(cfg.consumer.clone()),
        description: Some("vigie workers".into()),
        ack_policy: AckPolicy::Explicit,
        ack_wait: cfg.ack_wait,
        max_deliver: cfg.max_deliver,
        ..Default::default()
    };
    stream.create_consumer(config).await.map_err(|e| QueueError::Nats {
        what: format!("creating consumer {} on {}", cfg.consumer, cfg.docs_stream),
        source: super::boxed(e),
    })
}

/// Runs a worker until `shutdown` turns true; returns the final counters. `on_metrics` is called
/// every `opts.metrics_every` (not at the end: the caller gets the final counters).
pub async fn run_worker(
    client: &async_nats::Client,
    js: &jetstream::Context,
    cfg: &QueueConfig,
    annotator: Arc<Pipeline>,
    opts: &WorkerOptions,
    shutdown: tokio::sync::watch::Receiver<bool>,
    on_metrics: impl Fn(&Metrics) + Send + 'static,
) -> Result<Metrics, QueueError> {
    let started = Instant::now();
    super::ensure_streams(js, cfg).await?;
    let consumer = ensure_consumer(js, cfg).await?;
    let actual = &consumer.cached_info().config;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads.max(1))
        .thread_name(|i| format!("vigie-annotate-{i}"))
        .build()
        .map_err(|e| QueueError::Pool(e.to_string()))?;
    let ctx = Arc::new(Ctx {
        js: js.clone(),
        cfg: cfg.clone(),
        max_deliver: if actual.max_deliver > 0 { actual.max_deliver } else { cfg.max_deliver },
        ack_wait: if actual.ack_wait.is_zero() { cfg.ack_wait } else { actual.ack_wait },
        max_payload: super::max_payload(client),
        batcher: Batcher::start(annotator, pool, opts.in_flight.max(1), BATCH_LINGER),
        counters: Counters::default(),
    });

    let ticker = {
        let ctx = ctx.clone();
        let every = opts.metrics_every.max(Duration::from_millis(100));
        tokio::spawn(async move {
            let mut prev = (Instant::now(), 0);
            let mut iv = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            loop {
                iv.tick().await;
                let m = ctx.counters.snapshot(started, Some(prev));
                prev = (Instant::now(), m.processed);
                on_metrics(&m);
            }
        })
    };

    let batch = opts.in_flight.max(1);
    let wait = opts.fetch_wait.max(Duration::from_millis(100));
    let batches = stream::unfold((consumer, shutdown), move |(consumer, shutdown)| async move {
        loop {
            if *shutdown.borrow() {
                return None;
            }
            match consumer.batch().max_messages(batch).expires(wait).messages().await {
                Ok(b) => return Some((b, (consumer, shutdown))),
                Err(e) => {
                    tracing::warn!("fetching documents: {e}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    });
    batches
        .flatten()
        .filter_map(|m| async move { m.map_err(|e| tracing::warn!("receiving documents: {e}")).ok() })
        .map(|msg| handle(ctx.clone(), msg))
        .buffer_unordered(batch)
        .for_each(|()| async {})
        .await;

    ticker.abort();
    client.flush().await.map_err(|e| QueueError::Nats { what: "flushing acks".into(), source: super::boxed(e) })?;
    Ok(ctx.counters.snapshot(started, None))
}

struct Failure {
    permanent: bool,
    reason: String,
}

impl Failure {
    fn permanent(reason: String) -> Self {
        Failure { permanent: true, reason }
    }
    fn transient(reason: String) -> Self {
        Failure { permanent: false, reason }
    }
}

async fn handle(ctx: Arc<Ctx>, msg: jetstream::Message) {
    ctx.counters.in_flight.fetch_add(1, Ordering::Relaxed);
    process(&ctx, &msg).await;
    ctx.counters.in_flight.fetch_sub(1, Ordering::Relaxed);
}

async fn process(ctx: &Ctx, msg: &jetstream::Message) {
    let (delivered, seq) = msg.info().map(|i| (i.delivered, i.stream_sequence)).unwrap_or((1, 0));
    if delivered > 1 {
        bump(&ctx.counters.redelivered);
    }
    let (id, doc) = decode_document(&msg.payload);
    let doc = match doc {
        Ok(d) => d,
        Err(e) => {
            return fail(ctx, msg, id, Failure::permanent(format!("invalid document: {e}")), delivered, seq).await
        }
    };
    let id = doc.id.clone();
    let annotated = {
        let (tx, rx) = tokio::sync::oneshot::channel();
        ctx.batcher.submit(doc, move |r| {
            let _ = tx.send(r.map(|a| encode_jsonl(&a)));
        });
        // Keep the server from redelivering a slow document while it is in work.
        let mut rx = std::pin::pin!(rx);
        let every = (ctx.ack_wait / 2).max(Duration::from_millis(100));
        let mut progress = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        loop {
            tokio::select! {
                r = &mut rx => break r,
                _ = progress.tick() => {
                    if let Err(e) = msg.ack_with(AckKind::Progress).await {
                        tracing::warn!("extending the ack deadline of {id}: {e}");
                    }
                }
            }
        }
    };
    let line = match annotated {
        Ok(Ok(line)) => line,
        Ok(Err(e)) => {
            return fail(ctx, msg, Some(id), Failure::transient(format!("annotation failed: {e}")), delivered, seq)
                .await
        }
        Err(_) => {
            return fail(ctx, msg, Some(id), Failure::transient("annotation thread stopped".into()), delivered, seq)
                .await
        }
    };
    let key = doc_key(&id);
    if line.len() + super::HEADER_ROOM > ctx.max_payload {
        let reason = format!(
            "annotated document is {} bytes, over the NATS server's max_payload of {}",
            line.len(),
            ctx.max_payload
        );
        return fail(ctx, msg, Some(id), Failure::permanent(reason), delivered, seq).await;
    }
    let publish = Publish::build().payload(line.into()).message_id(&key);
    let res = match ctx.js.send_publish(ctx.cfg.result_subject(&key), publish).await {
        Ok(ack) => ack.await.map(|_| ()),
        Err(e) => Err(e),
    };
    if let Err(e) = res {
        return fail(ctx, msg, Some(id), Failure::transient(format!("publishing the result: {e}")), delivered, seq)
            .await;
    }
    match msg.ack().await {
        Ok(()) => bump(&ctx.counters.processed),
        // The result is stored; the input comes back after ack_wait and its result is deduplicated.
        Err(e) => tracing::warn!("acking {id}: {e}"),
    }
}

async fn fail(ctx: &Ctx, msg: &jetstream::Message, id: Option<DocId>, failure: Failure, delivered: i64, seq: u64) {
    let shown = id.as_ref().map(|i| i.to_string()).unwrap_or_else(|| format!("message #{seq}"));
    match disposition(&ctx.cfg, failure.permanent, delivered, ctx.max_deliver) {
        Disposition::Retry(delay) => {
            tracing::warn!(
                "{shown}: delivery {delivered}/{}: {}; retrying in {delay:?}",
                ctx.max_deliver,
                failure.reason
            );
            bump(&ctx.counters.retried);
            if let Err(e) = msg.ack_with(AckKind::Nak(Some(delay))).await {
                tracing::warn!("nak of {shown}: {e} (it is redelivered after the ack wait)");
            }
        }
        Disposition::DeadLetter => {
            let reason = if failure.permanent {
                failure.reason
            } else {
                format!("{} (after {delivered} deliveries)", failure.reason)
            };
            match dead_letter(ctx, msg, id.as_ref(), &reason, delivered, seq).await {
                Ok(()) => {
                    tracing::warn!("{shown}: dead-lettered: {reason}");
                    bump(&ctx.counters.dead);
                    if let Err(e) = msg.ack().await {
                        tracing::warn!("acking dead-lettered {shown}: {e} (its dead letter is deduplicated)");
                    }
                }
                Err(e) if delivered < ctx.max_deliver => {
                    tracing::warn!("{shown}: cannot dead-letter ({e}); retrying later");
                    bump(&ctx.counters.retried);
                    let _ = msg.ack_with(AckKind::Nak(Some(ctx.cfg.retry_delay(delivered)))).await;
                }
                Err(e) => {
                    tracing::error!(
                        "{shown}: cannot dead-letter on its last delivery ({e}); left unacked in stream {} (sequence {seq}), reason: {reason}",
                        ctx.cfg.docs_stream
                    );
                    bump(&ctx.counters.stuck);
                }
            }
        }
    }
}

/// Publishes the original payload with the reason to the dead-letter subject (3 attempts).
async fn dead_letter(
    ctx: &Ctx,
    msg: &jetstream::Message,
    id: Option<&DocId>,
    reason: &str,
    delivered: i64,
    seq: u64,
) -> Result<(), String> {
    let key = id.map(doc_key).unwrap_or_else(|| payload_key(&msg.payload));
    let mut last = String::new();
    for attempt in 0..3u32 {
        if attempt > 0 {
            let _ = msg.ack_with(AckKind::Progress).await;
            tokio::time::sleep(Duration::from_millis(500 << attempt)).await;
        }
        let mut publish = Publish::build()
            .payload(msg.payload.clone())
            .message_id(&key)
            .header(HDR_REASON, header_value(reason).as_str())
            .header(HDR_DELIVERIES, delivered.to_string().as_str())
            .header(HDR_SOURCE_SEQ, seq.to_string().as_str());
        if let Some(id) = id {
            publish = publish.header(HDR_DOC_ID, header_value(&id.to_string()).as_str());
        }
        match ctx.js.send_publish(ctx.cfg.dead_subject.clone(), publish).await {
            Ok(ack) => match ack.await {
                Ok(_) => return Ok(()),
                Err(e) => last = e.to_string(),
            },
            Err(e) => last = e.to_string(),
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permanent_failures_are_dead_lettered_at_once() {
        let cfg = QueueConfig::default();
        assert_eq!(disposition(&cfg, true, 1, 5), Disposition::DeadLetter);
    }

    #[test]
    fn transient_failures_back_off_until_the_last_delivery() {
        let cfg = QueueConfig { backoff: vec![Duration::from_secs(1), Duration::from_secs(5)], ..Default::default() };
        assert_eq!(disposition(&cfg, false, 1, 3), Disposition::Retry(Duration::from_secs(1)));
        assert_eq!(disposition(&cfg, false, 2, 3), Disposition::Retry(Duration::from_secs(5)));
        assert_eq!(disposition(&cfg, false, 3, 3), Disposition::DeadLetter);
        assert_eq!(disposition(&cfg, false, 1, 1), Disposition::DeadLetter);
    }
}
