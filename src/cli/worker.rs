use super::exit;
use super::nats::{parse_secs, QueueArgs};
use crate::queue::worker::{default_in_flight, run_worker, Metrics, WorkerOptions};
use crate::queue::QueueConfig;
use anyhow::Context;
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub queue: QueueArgs,
    /// Annotation threads (default: all cores).
    #[arg(short = 'j', long)]
    pub threads: Option<usize>,
    /// Documents in work at once, also the pull batch size (default: the larger of 64 and 4 ×
    /// threads). Lower it when documents are slow (models) so work spreads across workers.
    #[arg(long, value_name = "N")]
    pub in_flight: Option<usize>,
    /// Seconds a delivered document may stay unacked before the server redelivers it (applied when
    /// the workers' consumer is created). The worker extends it while a document is in work.
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = parse_secs)]
    pub ack_wait: Duration,
    /// Deliveries before a failing document goes to the dead-letter subject.
    #[arg(long, value_name = "N", default_value_t = QueueConfig::default().max_deliver,
          value_parser = clap::value_parser!(i64).range(1..))]
    pub max_deliver: i64,
    /// Retry delays in seconds after the 1st, 2nd, ... failed delivery (the last repeats).
    #[arg(long, value_name = "SECS,...", default_value = "1,5,30", value_delimiter = ',', value_parser = parse_secs)]
    pub backoff: Vec<Duration>,
    /// Seconds between two metrics lines on stderr.
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = parse_secs)]
    pub metrics_every: Duration,
    #[command(flatten)]
    pub pipeline: super::pipeline_args::PipelineArgs,
}

fn metrics_line(m: &Metrics, last: bool) -> String {
    format!(
        "vigie worker{}: processed={} failed={} retried={} redelivered={} stuck={} in_flight={} rate={:.1}/s avg={:.1}/s up={:.0}s",
        if last { " (exit)" } else { "" },
        m.processed,
        m.dead,
        m.retried,
        m.redelivered,
        m.stuck,
        m.in_flight,
        m.rate,
        m.avg_rate,
        m.uptime.as_secs_f64()
    )
}

pub fn run(a: WorkerArgs) -> anyhow::Result<i32> {
    let cfg = QueueConfig {
        ack_wait: a.ack_wait,
        max_deliver: a.max_deliver,
        backoff: a.backoff.clone(),
        ..a.queue.config()
    };
    let defaults = WorkerOptions::default();
    let threads = a.threads.unwrap_or(defaults.threads).max(1);
    let opts = WorkerOptions {
        threads,
        in_flight: a.in_flight.unwrap_or(default_in_flight(threads)),
        metrics_every: a.metrics_every,
        ..defaults
    };
    let rt = super::nats::runtime()?;
    let final_metrics = rt.block_on(async {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("installing the SIGTERM handler")?;
        let mut int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
            .context("installing the SIGINT handler")?;
        // First SIGTERM/SIGINT: stop fetching, finish the documents in work, exit 0. Second: exit
        // now (unacked documents are redelivered to other workers after the ack wait).
        tokio::spawn(async move {
            let mut signals = 0;
            loop {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
                signals += 1;
                if signals == 1 {
                    eprintln!("vigie worker: stopping: finishing the documents in work (signal again to exit now)");
                    let _ = stop_tx.send(true);
                } else {
                    std::process::exit(exit::INTERRUPTED);
                }
            }
        });
        // Models are loaded once per worker, after the signal handlers are in place.
        if a.pipeline.uses_torch() {
            tch::set_num_threads(threads as i32);
        }
        let annotator = Arc::new(a.pipeline.build(false)?);
        let (client, js) = crate::queue::connect(&a.queue.nats, "vigie worker").await?;
        eprintln!(
            "vigie worker: connected to {}, {threads} annotation threads, consuming {}",
            a.queue.nats, cfg.docs_stream
        );
        let m = run_worker(&client, &js, &cfg, annotator, &opts, stop_rx, |m| eprintln!("{}", metrics_line(m, false)))
            .await?;
        anyhow::Ok(m)
    })?;
    eprintln!("{}", metrics_line(&final_metrics, true));
    Ok(exit::OK)
}
