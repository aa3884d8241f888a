use super::exit;
use crate::export::{self, Format};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// Annotated JSONL, as written by `vigie annotate`.
    #[arg(value_name = "ANNOTATED.jsonl")]
    pub input: PathBuf,
    /// Output format.
    #[arg(short, long, value_enum)]
    pub format: Format,
    /// Output file (a directory for brat).
    #[arg(short, long, value_name = "PATH")]
    pub output: PathBuf,
    /// No final message.
    #[arg(short, long)]
    pub quiet: bool,
}

pub fn run(a: ExportArgs) -> anyhow::Result<i32> {
    let n = export::export(&a.input, a.format, &a.output)?;
    if !a.quiet {
        eprintln!("vigie: exported {n} documents to {}", a.output.display());
    }
    Ok(exit::OK)
}
