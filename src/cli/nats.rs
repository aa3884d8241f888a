//! Flags shared by `submit`, `worker` and `collect`: where the NATS server is and what the queue's
//! streams are called.

use crate::queue::QueueConfig;
use std::time::Duration;

#[derive(clap::Args, Debug, Clone)]
pub struct QueueArgs {
    /// NATS server URL, e.g. nats://127.0.0.1:4222 (several: comma-separated).
    #[arg(long, value_name = "URL")]
    pub nats: String,
    /// Work-queue stream of documents.
    #[arg(long, value_name = "NAME", default_value_t = QueueConfig::default().docs_stream)]
    pub stream: String,
    /// Subject documents are published on.
    #[arg(long, value_name = "SUBJECT", default_value_t = QueueConfig::default().docs_subject)]
    pub subject: String,
    /// Stream of results.
    #[arg(long, value_name = "NAME", default_value_t = QueueConfig::default().results_stream)]
    pub results_stream: String,
    /// Results are published on SUBJECT.<key>.
    #[arg(long, value_name = "SUBJECT", default_value_t = QueueConfig::default().results_subject)]
    pub results_subject: String,
    /// Stream of dead letters.
    #[arg(long, value_name = "NAME", default_value_t = QueueConfig::default().dead_stream)]
    pub dead_stream: String,
    /// Subject dead letters are published on.
    #[arg(long, value_name = "SUBJECT", default_value_t = QueueConfig::default().dead_subject)]
    pub dead_subject: String,
    /// Stream replicas when vigie creates the streams (3 on a NATS cluster).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub replicas: usize,
    /// Duplicate window of the streams when vigie creates them, in seconds: a document re-submitted
    /// within it is dropped by the server.
    #[arg(long, value_name = "SECS", default_value = "3600", value_parser = parse_secs)]
    pub dedup_window: Duration,
    /// Size limit of the documents stream when vigie creates it (bytes; -1: none). Publishing into a
    /// full stream fails instead of dropping documents.
    #[arg(long, value_name = "BYTES", default_value_t = -1, allow_negative_numbers = true)]
    pub docs_max_bytes: i64,
    /// Size limit of the results stream when vigie creates it (bytes; -1: none).
    #[arg(long, value_name = "BYTES", default_value_t = -1, allow_negative_numbers = true)]
    pub results_max_bytes: i64,
}

impl QueueArgs {
    /// The queue configuration these flags describe (delivery settings at their defaults).
    pub fn config(&self) -> QueueConfig {
        QueueConfig {
            docs_stream: self.stream.clone(),
            docs_subject: self.subject.clone(),
            results_stream: self.results_stream.clone(),
            results_subject: self.results_subject.clone(),
            dead_stream: self.dead_stream.clone(),
            dead_subject: self.dead_subject.clone(),
            replicas: self.replicas,
            duplicate_window: self.dedup_window,
            docs_max_bytes: self.docs_max_bytes,
            results_max_bytes: self.results_max_bytes,
            ..QueueConfig::default()
        }
    }
}

/// Parses a duration in seconds (`2`, `0.5`).
pub fn parse_secs(s: &str) -> Result<Duration, String> {
    let v: f64 = s.trim().parse().map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !v.is_finite() || v < 0.0 {
        return Err(format!("{s:?} is not a positive number of seconds"));
    }
    Ok(Duration::from_secs_f64(v))
}

/// A small runtime for the network side; CPU work runs on rayon pools.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().worker_threads(2).thread_name("vigie-io").enable_all().build()?)
}
