//! Distributed annotation over NATS JetStream: `vigie submit` → `vigie worker` × N → `vigie collect`.
//!
//! ```text
//!  submit ──vigie.docs──▶ VIGIE_DOCS (work queue) ──pull──▶ worker … worker
//!                                                            │ annotate (same pipeline as `annotate`)
//!             VIGIE_RESULTS ◀──vigie.results.<key>───────────┤ (publish, await the ack, then ack the input)
//!             VIGIE_DEAD    ◀──vigie.dead─────────────────────┘ (poison documents, with the reason)
//!  collect ◀── VIGIE_RESULTS (+ VIGIE_DEAD)
//! ```
//!
//! * **Keys.** Every document has a key, [`doc_key`]: the hex SHA-256 of its id's JSON. It is the
//!   `Nats-Msg-Id` of the input message (a re-submit within the duplicate window is dropped by the
//!   server), of the result and of the dead letter, and the last token of the result subject.
//! * **Results** are published on `vigie.results.<key>` into a stream keeping one message per
//!   subject: one result per document id whatever the number of deliveries, forever (not only within
//!   the duplicate window). `collect` also keeps the first result it sees per key.
//! * **Delivery.** The work-queue consumer is durable and shared by all workers, with explicit acks.
//!   A document whose worker dies is redelivered after `ack_wait`; a failure the worker sees is
//!   retried (nak with a delay from `backoff`) until `max_deliver`; then, or at once for a permanent
//!   failure (a payload that is not a valid document, a result larger than the server accepts), it is
//!   published to the dead-letter subject with the reason, and only then acked. The consumer-level
//!   JetStream `BackOff` is deliberately not used: it would replace `ack_wait`, the only guard against
//!   slow documents being redelivered while still in work.
//! * **Streams** discard *new* messages when full: a full stream makes publishers fail loudly instead
//!   of silently deleting queued documents or collected results.

pub mod collect;
pub mod submit;
pub mod worker;

use crate::doc::{DocId, Document};
use crate::ingest::{parse_json_line, IngestOptions, InputError};
use async_nats::jetstream::{self, stream};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// Header carrying the reason a document was dead-lettered.
pub const HDR_REASON: &str = "Vigie-Reason";
/// Header carrying the document id (as text) of a dead letter, when the payload had one.
pub const HDR_DOC_ID: &str = "Vigie-Doc-Id";
/// Header carrying how many times the document had been delivered when it was dead-lettered.
pub const HDR_DELIVERIES: &str = "Vigie-Deliveries";
/// Header carrying the sequence of the original message in the documents stream.
pub const HDR_SOURCE_SEQ: &str = "Vigie-Source-Seq";

/// Room left in a message for the dead-letter headers: `submit` refuses documents that would not
/// fit in a dead letter with them.
pub const HEADER_ROOM: usize = 4096;

/// Names, delivery policy and limits of the queue. Everyone talking to one queue (submit, workers,
/// collect) must agree on the names; the delivery settings are applied by the workers (who create
/// the consumer) and the limits by whoever creates the streams first.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueConfig {
    /// Work-queue stream of input documents.
    pub docs_stream: String,
    /// Subject the documents are published on.
    pub docs_subject: String,
    /// Stream of annotated documents.
    pub results_stream: String,
    /// Results are published on `<results_subject>.<key>`.
    pub results_subject: String,
    /// Stream of dead letters.
    pub dead_stream: String,
    /// Subject dead letters are published on.
    pub dead_subject: String,
    /// Durable pull consumer shared by all workers.
    pub consumer: String,
    /// How long a delivered document may stay unacked before it is redelivered: must exceed the
    /// slowest document's annotation time (plus the time it waits in a worker's batch).
    pub ack_wait: Duration,
    /// Deliveries before a failing document is dead-lettered (at least 1).
    pub max_deliver: i64,
    /// Delay before the n-th retry of a failed document (the last value repeats).
    pub backoff: Vec<Duration>,
    /// Window in which the server drops a message whose `Nats-Msg-Id` it has already seen.
    pub duplicate_window: Duration,
    /// Size limit of the documents stream in bytes (-1: none).
    pub docs_max_bytes: i64,
    /// Size limit of the results stream in bytes (-1: none).
    pub results_max_bytes: i64,
    /// Replicas of each stream (1 on a single server, 3 on a cluster).
    pub replicas: usize,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            docs_stream: "VIGIE_DOCS".into(),
            docs_subject: "vigie.docs".into(),
            results_stream: "VIGIE_RESULTS".into(),
            results_subject: "vigie.results".into(),
            dead_stream: "VIGIE_DEAD".into(),
            dead_subject: "vigie.dead".into(),
            consumer: "vigie-workers".into(),
            ack_wait: Duration::from_secs(60),
            max_deliver: 5,
            backoff: vec![Duration::from_secs(1), Duration::from_secs(5), Duration::from_secs(30)],
            duplicate_window: Duration::from_secs(3600),
            docs_max_bytes: -1,
            results_max_bytes: -1,
            replicas: 1,
        }
    }
}

impl QueueConfig {
    /// Subject of the result of the document with key `key`.
    pub fn result_subject(&self, key: &str) -> String {
        format!("{}.{key}", self.results_subject)
    }

    /// Delay before retrying a document that failed on its `delivered`-th delivery.
    pub fn retry_delay(&self, delivered: i64) -> Duration {
        let i = usize::try_from(delivered.saturating_sub(1)).unwrap_or(0);
        self.backoff.get(i).or(self.backoff.last()).copied().unwrap_or(Duration::from_secs(1))
    }

    /// Checks the settings the server would otherwise reject with a less helpful message.
    pub fn validate(&self) -> Result<(), QueueError> {
        let bad = |what: String| Err(QueueError::Config(what));
        if self.max_deliver < 1 {
            return bad(format!("max deliver must be at least 1, got {}", self.max_deliver));
        }
        if self.ack_wait.is_zero() {
            return bad("ack wait must be positive".into());
        }
        for (what, name) in
            [("docs", &self.docs_stream), ("results", &self.results_stream), ("dead-letter", &self.dead_stream)]
        {
            if name.is_empty() || name.contains(['.', ' ', '*', '>', '/', '\\']) {
                return bad(format!("invalid {what} stream name {name:?} (no spaces, dots, wildcards or slashes)"));
            }
        }
        for subject in [&self.docs_subject, &self.results_subject, &self.dead_subject] {
            if subject.is_empty()
                || subject.contains([' ', '*', '>'])
                || subject.starts_with('.')
                || subject.ends_with('.')
            {
                return bad(format!("invalid subject {subject:?}"));
            }
        }
        Ok(())
    }

    fn stream_configs(&self) -> [stream::Config; 3] {
        let base = stream::Config {
            storage: stream::StorageType::File,
            discard: stream::DiscardPolicy::New,
            num_replicas: self.replicas.max(1),
            duplicate_window: self.duplicate_window,
            ..Default::default()
        };
        [
            stream::Config {
                name: self.docs_stream.clone(),
                description: Some("vigie: documents waiting for annotation".into()),
                subjects: vec![self.docs_subject.clone()],
                retention: stream::RetentionPolicy::WorkQueue,
                max_bytes: self.docs_max_bytes,
                ..base.clone()
            },
            stream::Config {
                name: self.results_stream.clone(),
                description: Some("vigie: annotated documents, one per id".into()),
                subjects: vec![format!("{}.>", self.results_subject)],
                retention: stream::RetentionPolicy::Limits,
                max_messages_per_subject: 1,
                max_bytes: self.results_max_bytes,
                ..base.clone()
            },
            stream::Config {
                name: self.dead_stream.clone(),
                description: Some("vigie: documents that could not be annotated, with the reason".into()),
                subjects: vec![self.dead_subject.clone()],
                retention: stream::RetentionPolicy::Limits,
                ..base
            },
        ]
    }
}

/// Errors that stop a queue command.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("invalid queue settings: {0}")]
    Config(String),
    #[error("cannot connect to NATS at {url}: {source}")]
    Connect { url: String, source: async_nats::ConnectError },
    #[error("{what}: {source}")]
    Nats { what: String, source: async_nats::Error },
    #[error(transparent)]
    Ingest(#[from] crate::ingest::IngestError),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("thread pool: {0}")]
    Pool(String),
}

impl QueueError {
    /// Wraps a NATS error with what was being done.
    pub fn nats(what: impl Into<String>) -> impl FnOnce(async_nats::Error) -> QueueError {
        let what = what.into();
        move |source| QueueError::Nats { what, source }
    }
}

/// Boxes any NATS error kind into [`async_nats::Error`].
fn boxed<E: std::error::Error + Send + Sync + 'static>(e: E) -> async_nats::Error {
    Box::new(e)
}

/// The key of a document: hex SHA-256 of its id's JSON (`"a1"` and `1` differ, as in the output).
pub fn doc_key(id: &DocId) -> String {
    let json = serde_json::to_vec(id).expect("serialising a document id");
    hex(&Sha256::digest(&json))
}

/// The key of a payload that has no readable id (used to deduplicate its dead letters).
pub fn payload_key(payload: &[u8]) -> String {
    format!("payload-{}", hex(&Sha256::digest(payload)))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Encodes a validated document as the JSON object `submit` publishes: `id`, the other fields in
/// their order, `lang` (when given), `text`. [`decode_document`] gives the same document back, `meta`
/// in the same order: `lang` and `text` come last because the validation removes them from the
/// object by swapping in its last field.
pub fn encode_document(doc: &Document) -> Vec<u8> {
    let mut obj = serde_json::Map::with_capacity(doc.meta.len() + 3);
    obj.insert("id".into(), serde_json::to_value(&doc.id).expect("serialising a document id"));
    for (k, v) in &doc.meta {
        obj.insert(k.clone(), v.clone());
    }
    if let Some(lang) = &doc.lang {
        obj.insert("lang".into(), serde_json::Value::String(lang.clone()));
    }
    obj.insert("text".into(), serde_json::Value::String(doc.text.clone()));
    serde_json::to_vec(&serde_json::Value::Object(obj)).expect("serialising a document")
}

/// Validates a message payload as a document, with the same rules as a JSONL input line (no size
/// limit: `submit` enforced it). The id is returned when it could be read, even for an invalid
/// document.
pub fn decode_document(payload: &[u8]) -> (Option<DocId>, Result<Document, InputError>) {
    parse_json_line(payload, &IngestOptions { max_doc_bytes: u64::MAX, ..IngestOptions::default() })
}

/// Connects to NATS (`url` may list several servers separated by commas) and opens JetStream.
/// Fails at once when no server answers; once connected, the client reconnects for ever.
pub async fn connect(url: &str, name: &str) -> Result<(async_nats::Client, jetstream::Context), QueueError> {
    let servers: Vec<&str> = url.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    let client = async_nats::ConnectOptions::new()
        .name(name)
        .max_reconnects(None)
        .connect(servers.as_slice())
        .await
        .map_err(|source| QueueError::Connect { url: url.to_string(), source })?;
    let js = jetstream::new(client.clone());
    Ok((client, js))
}

/// Creates the three streams if they do not exist (existing streams are left as they are).
pub async fn ensure_streams(js: &jetstream::Context, cfg: &QueueConfig) -> Result<(), QueueError> {
    cfg.validate()?;
    for sc in cfg.stream_configs() {
        let name = sc.name.clone();
        js.get_or_create_stream(sc)
            .await
            .map_err(|e| QueueError::Nats { what: format!("creating stream {name}"), source: boxed(e) })?;
    }
    Ok(())
}

/// Largest message the server accepts, in bytes.
pub fn max_payload(client: &async_nats::Client) -> usize {
    client.server_info().max_payload
}

/// Makes a header value: control characters become spaces, at most 1,000 bytes.
fn header_value(s: &str) -> String {
    let mut v: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if v.len() > 1000 {
        let mut cut = 1000;
        while !v.is_char_boundary(cut) {
            cut -= 1;
        }
        v.truncate(cut);
        v.push('…');
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_depend_on_the_id_json() {
        let a = doc_key(&DocId::Str("1".into()));
        let b = doc_key(&DocId::Num(1.into()));
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(a, doc_key(&DocId::Str("1".into())));
    }

    #[test]
    fn documents_round_trip() {
        let line = br#"{"title":"t","id":"x","text":"Le FLA.","lang":"fr","date":"2025-01-01","url":"u","source":"s"}"#;
        let (_, doc) = parse_json_line(line, &IngestOptions::default());
        let doc = doc.unwrap();
        let (id, back) = decode_document(&encode_document(&doc));
        assert_eq!(id, Some(DocId::Str("x".into())));
        let back = back.unwrap();
        let keys = |d: &Document| d.meta.keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&back), keys(&doc), "meta order is kept");
        assert_eq!(back, doc);
    }

    #[test]
    fn retry_delays_follow_backoff_then_repeat_the_last() {
        let cfg = QueueConfig { backoff: vec![Duration::from_secs(1), Duration::from_secs(7)], ..Default::default() };
        assert_eq!(cfg.retry_delay(1), Duration::from_secs(1));
        assert_eq!(cfg.retry_delay(2), Duration::from_secs(7));
        assert_eq!(cfg.retry_delay(9), Duration::from_secs(7));
        let none = QueueConfig { backoff: vec![], ..Default::default() };
        assert_eq!(none.retry_delay(3), Duration::from_secs(1));
    }

    #[test]
    fn validation_rejects_bad_names_and_limits() {
        assert!(QueueConfig::default().validate().is_ok());
        assert!(QueueConfig { max_deliver: 0, ..Default::default() }.validate().is_err());
        assert!(QueueConfig { docs_stream: "a.b".into(), ..Default::default() }.validate().is_err());
        assert!(QueueConfig { results_subject: "vigie.>".into(), ..Default::default() }.validate().is_err());
    }

    #[test]
    fn header_values_are_single_line_and_bounded() {
        assert_eq!(header_value("a\nb\r\tc"), "a b  c");
        let long = "é".repeat(900);
        let v = header_value(&long);
        assert!(v.len() <= 1003 && v.ends_with('…'));
    }
}
