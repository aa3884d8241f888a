//! The pipeline flags, declared once and flattened into every command that builds a pipeline
//! (`annotate`, `worker`, `eval ner --pipeline`, `eval summ`).

use crate::models::int8::Precision;
use crate::pipeline::{GeoSettings, NerSettings, PipelineConfig, SummarySettings, SummaryVectors};
use crate::summarize::SummaryConfig;
use crate::translate::TranslatorKind;
use std::path::PathBuf;

/// Where the summariser's sentence vectors come from.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum VectorsChoice {
    /// The NER model's encoder, in the same pass as tagging (default with the model).
    Ner,
    /// A second encoder pass with multilingual-e5-small (--encoder).
    E5,
    /// TF-IDF over the document's own words: no model (default with --fast --summarize).
    Lexical,
}

#[derive(clap::Args, Debug, Clone)]
pub struct PipelineArgs {
    /// Lexicons only: no transformer model and no summary (entities come only from the
    /// lexicons). Add --summarize for lexical (TF-IDF) summaries.
    #[arg(long)]
    pub fast: bool,
    /// Load lexicons from this folder instead of the built-in copy of models/lexicons.
    #[arg(long, value_name = "DIR")]
    pub lexicons: Option<PathBuf>,
    /// Transformer NER model folder (default: models/ner-fr, found in $VIGIE_MODELS, ./models or
    /// the source tree): persons, organisations, places and other names beyond the lexicons.
    #[arg(long, value_name = "DIR", env = "VIGIE_NER_MODEL")]
    pub ner_model: Option<PathBuf>,
    /// Base encoder folder for the NER model (default: the one named in its ner_config.json,
    /// e.g. models/e5 next to models/ner-fr).
    #[arg(long, value_name = "DIR")]
    pub ner_base: Option<PathBuf>,
    /// Precision of the NER model's encoder: auto (int8 wherever fbgemm runs it faster at the
    /// same F1, i.e. CPUs with AVX2; fp32 elsewhere), int8 (needs AVX2) or fp32. The choice and
    /// its reason are in `pipeline.models` and the final report.
    #[arg(long, value_enum, default_value = "auto", value_name = "P")]
    pub ner_precision: Precision,
    /// Embedding rows of the NER model kept in memory: latin (pieces of Latin-script text, about
    /// a third of the table; other pieces are read as <unk> and counted in the report) or full.
    #[arg(long, default_value = "latin", value_name = "V")]
    pub ner_vocab: crate::ner::model::VocabPolicy,
    /// No geocoding: LOCATION entities get no `geo` field.
    #[arg(long, conflicts_with = "gazetteer")]
    pub no_geo: bool,
    /// Gazetteer file for geocoding (default models/geo/gazetteer.tsv, made by scripts/setup.sh
    /// with `vigie models import-geonames`; without it only the lexicon's places get coordinates).
    #[arg(long, value_name = "FILE")]
    pub gazetteer: Option<PathBuf>,
    /// No `summary` (entities only).
    #[arg(long, conflicts_with_all = ["summarize", "summary_sentences"])]
    pub no_summary: bool,
    /// Add `summary` also with --fast (it is on by default otherwise).
    #[arg(long)]
    pub summarize: bool,
    /// Sentences per summary (default 3).
    #[arg(long, value_name = "K")]
    pub summary_sentences: Option<usize>,
    /// Sentence vectors of the summariser: ner (the NER encoder's pass, no second encoder), e5
    /// (a separate multilingual-e5-small pass) or lexical (TF-IDF, no model). Default: ner with
    /// the model, lexical with --fast, e5 when --encoder is given.
    #[arg(long, value_enum, value_name = "V")]
    pub summary_vectors: Option<VectorsChoice>,
    /// Imported E5 encoder folder for the summaries (default models/e5); implies
    /// --summary-vectors e5 unless that is given.
    #[arg(long, value_name = "DIR")]
    pub encoder: Option<PathBuf>,
    /// Precision of the E5 summary encoder: auto (fp32: int8 summaries scored lower on the
    /// development set), fp32 or int8.
    #[arg(long, value_enum, default_value = "auto", value_name = "P")]
    pub summary_precision: Precision,
    /// Translator for `summary.en`: auto = Marian when --marian-model is given, else Apertium
    /// when installed, else none (with a warning).
    #[arg(long, value_enum, default_value = "auto")]
    pub translator: TranslatorKind,
    /// Local Marian (opus-mt fr-en) model folder for --translator marian/auto.
    #[arg(long, value_name = "DIR", env = "VIGIE_MARIAN_MODEL")]
    pub marian_model: Option<PathBuf>,
}

impl PipelineArgs {
    /// The configuration these flags describe.
    pub fn config(&self) -> anyhow::Result<PipelineConfig> {
        let models = crate::pipeline::default_models_dir();
        let ner = (!self.fast).then(|| NerSettings {
            model: self.ner_model.clone().unwrap_or_else(|| models.join("ner-fr")),
            base: self.ner_base.clone(),
            precision: self.ner_precision,
            vocab: self.ner_vocab,
        });
        let wants_summary = !self.no_summary && (!self.fast || self.summarize || self.summary_sentences.is_some());
        let default_vectors = match (&ner, &self.encoder) {
            (_, Some(_)) => VectorsChoice::E5,
            (Some(_), None) => VectorsChoice::Ner,
            (None, None) => VectorsChoice::Lexical,
        };
        let vectors = match self.summary_vectors.unwrap_or(default_vectors) {
            VectorsChoice::Ner if ner.is_none() => {
                anyhow::bail!("--summary-vectors ner needs the NER model (drop --fast, or use --summary-vectors e5)")
            }
            VectorsChoice::Ner => SummaryVectors::NerEncoder { lexical: crate::pipeline::DEFAULT_LEXICAL_WEIGHT },
            VectorsChoice::Lexical => SummaryVectors::Lexical,
            VectorsChoice::E5 => SummaryVectors::E5 {
                dir: self.encoder.clone().unwrap_or_else(|| models.join("e5")),
                precision: self.summary_precision,
            },
        };
        let summary = wants_summary.then(|| SummarySettings {
            config: SummaryConfig {
                k: self.summary_sentences.unwrap_or(SummaryConfig::default().k),
                ..Default::default()
            },
            vectors,
            translator: self.translator,
            marian_model: self.marian_model.clone(),
        });
        let geo = (!self.no_geo).then(|| GeoSettings { gazetteer: self.gazetteer.clone() });
        Ok(PipelineConfig { lexicons: self.lexicons.clone(), ner, geo, summary })
    }

    /// Builds the pipeline; warnings (no translator) go to stderr unless `quiet`.
    pub fn build(&self, quiet: bool) -> anyhow::Result<crate::pipeline::Pipeline> {
        use anyhow::Context;
        let cfg = self.config()?;
        let built = cfg.build_with_warnings().with_context(|| {
            if cfg.ner.is_some() {
                "building the pipeline (the full pipeline needs models/ner-fr and models/e5 from scripts/setup.sh; --fast runs the lexicons only)"
            } else {
                "building the pipeline"
            }
        })?;
        if !quiet {
            for w in &built.warnings {
                eprintln!("vigie: warning: {w}");
            }
        }
        Ok(built.pipeline)
    }

    /// True when a libtorch model runs (the caller sets libtorch's threads).
    pub fn uses_torch(&self) -> bool {
        !self.fast || self.summary_vectors == Some(VectorsChoice::E5) || self.encoder.is_some()
    }
}
