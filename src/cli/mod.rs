//! Command-line interface. Everything here is glue: parsing flags, building the pipeline from the
//! library, printing reports and choosing exit codes.

mod annotate;
mod bench;
mod collect;
mod doctor;
mod eval;
mod export;
mod models;
mod nats;
mod pipeline_args;
mod submit;
mod train;
mod worker;

use clap::{Parser, Subcommand};

/// Exit codes (documented in the README).
pub mod exit {
    /// Every document was annotated.
    pub const OK: i32 = 0;
    /// Fatal error: unreadable input, unwritable output, bad lexicon, refused resume.
    pub const FATAL: i32 = 1;
    /// Usage error (bad flags), as clap reports it.
    pub const USAGE: i32 = 2;
    /// The run finished but some documents failed (see the errors file).
    pub const SOME_FAILED: i32 = 3;
    /// Interrupted (Ctrl-C / SIGTERM); rerun with --resume.
    pub const INTERRUPTED: i32 = 130;
}

#[derive(Parser, Debug)]
#[command(name = "vigie", version, about = "Annotate French conflict news: sentences, armed groups, places, weapons")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Annotate documents (JSONL, .txt, directories, or - for JSONL on stdin) into JSONL.
    Annotate(annotate::AnnotateArgs),
    /// Benchmark the pipeline on a generated corpus: docs/s and peak RSS.
    Bench(bench::BenchArgs),
    /// Check the installation: libtorch, lexicons, Apertium.
    Doctor(doctor::DoctorArgs),
    /// Pretrained encoders: `models import-e5 PATH`, `models embed TEXT...`.
    Models(models::ModelsArgs),
    /// Export annotated JSONL as an HTML report, a brat collection, CoNLL or candidate event rows.
    Export(export::ExportArgs),
    /// Evaluate: NER spans (`eval ner`), translation (`eval mt`), summaries (`eval summ`).
    Eval(eval::EvalArgs),
    /// Train models: `train ner --train FILE.conll --dev FILE.conll --out DIR`.
    Train(train::TrainArgs),
    /// Publish documents (same inputs as annotate) to the NATS JetStream work queue.
    Submit(submit::SubmitArgs),
    /// Annotate documents from the NATS work queue until SIGTERM/SIGINT.
    Worker(worker::WorkerArgs),
    /// Write the annotated documents stored in NATS to a JSONL file.
    Collect(collect::CollectArgs),
}

/// Parses arguments, runs, returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { exit::USAGE } else { exit::OK };
        }
    };
    init_tracing();
    let res = match cli.command {
        Command::Annotate(a) => annotate::run(a),
        Command::Bench(b) => bench::run(b),
        Command::Doctor(d) => doctor::run(d),
        Command::Models(m) => models::run(m),
        Command::Submit(s) => submit::run(s),
        Command::Worker(w) => worker::run(w),
        Command::Collect(c) => collect::run(c),
        Command::Export(x) => export::run(x),
        Command::Eval(e) => eval::run(e),
        Command::Train(t) => train::run(t),
    };
    match res {
        Ok(code) => code,
        Err(e) => {
            eprintln!("vigie: error: {e:#}");
            exit::FATAL
        }
    }
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("VIGIE_LOG").unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}
