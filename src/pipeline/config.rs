//! [`PipelineConfig`]: everything that decides what a pipeline does, in one value with
//! `Default` (the full pipeline). `vigie annotate`, `vigie worker`, `eval ner --pipeline` and
//! `eval summ` all build their pipeline from it, so the same flags give the same output
//! everywhere.

use super::chain::Pipeline;
use super::stage::Stage;
use super::stages::{Geocode, Resolve, Segment, Tag};
use super::summary::{SentenceVectors, Summarize, Translate};
use crate::domain::lexicon::{Lexicon, LexiconError};
use crate::models::int8::Precision;
use crate::ner::{EntityTagger, LexiconTagger};
use crate::summarize::SummaryConfig;
use crate::translate::TranslatorKind;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The transformer NER model of a pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct NerSettings {
    /// Model folder (`models/ner-fr`).
    pub model: PathBuf,
    /// Base encoder folder (default: the one its `ner_config.json` names, `models/e5`).
    pub base: Option<PathBuf>,
    pub precision: Precision,
    /// Embedding rows kept in memory (default: Latin-script pieces).
    pub vocab: crate::ner::model::VocabPolicy,
}

/// Where summary sentence vectors come from.
#[derive(Debug, Clone, PartialEq)]
pub enum SummaryVectors {
    /// The NER model's encoder pass (no second encoder; needs [`PipelineConfig::ner`]), joined
    /// with lexical TF-IDF vectors at weight `lexical` (0 = encoder states only).
    NerEncoder { lexical: f32 },
    /// TF-IDF over the document's words: no model.
    Lexical,
    /// A separate E5 encoder from this folder, at this precision.
    E5 { dir: PathBuf, precision: Precision },
}

/// Share of the lexical TF-IDF part in the summariser's sentence vectors next to the NER
/// encoder's states (chosen on `data/summ_dev.jsonl`; see BENCHMARKS.md).
pub const DEFAULT_LEXICAL_WEIGHT: f32 = 0.5;

/// Summaries of a pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct SummarySettings {
    pub config: SummaryConfig,
    pub vectors: SummaryVectors,
    /// Translator for `summary.en`.
    pub translator: TranslatorKind,
    /// Marian model folder (for `Marian`, and `Auto` when given).
    pub marian_model: Option<PathBuf>,
}

/// Geocoding of a pipeline ([`crate::geo`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GeoSettings {
    /// Gazetteer file. `None`: `<models>/geo/gazetteer.tsv` when it exists (else only the
    /// lexicon's places get coordinates, with a warning); a path given must exist.
    pub gazetteer: Option<PathBuf>,
}

impl GeoSettings {
    /// The geocoder over `lexicon`'s places and the gazetteer these settings name, with a
    /// warning when the default gazetteer is absent.
    pub fn geocoder(&self, lexicon: Arc<Lexicon>) -> Result<(crate::geo::Geocoder, Option<String>), BuildError> {
        let (gazetteer, warning) = match &self.gazetteer {
            Some(path) => (Some(crate::geo::Gazetteer::shared(path)?), None),
            None => {
                let path = crate::geo::gazetteer::default_path();
                if path.is_file() {
                    (Some(crate::geo::Gazetteer::shared(&path)?), None)
                } else {
                    let w = format!(
                        "no gazetteer at {} (scripts/setup.sh imports it): only the lexicon's places get coordinates",
                        path.display()
                    );
                    (None, Some(w))
                }
            }
        };
        Ok((crate::geo::Geocoder::new(lexicon, gazetteer), warning))
    }
}

/// What a pipeline runs. `Default` is the full pipeline: lexicons, the NER model in
/// `models/ner-fr`, geocoding, summaries from the NER encoder's pass, English by the best
/// translator available. [`PipelineConfig::fast`] is lexicons and geocoding.
///
/// ```
/// let fast = vigie::pipeline::PipelineConfig::fast().build().unwrap();
/// let out = fast.entities("Le FLA a attaqué Kidal.");
/// assert_eq!(out.len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineConfig {
    /// Lexicon folder (default: the built-in copy of `models/lexicons`).
    pub lexicons: Option<PathBuf>,
    pub ner: Option<NerSettings>,
    /// Coordinates for LOCATION entities (`None`: no geo stage, no `geo` field).
    pub geo: Option<GeoSettings>,
    pub summary: Option<SummarySettings>,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        let models = default_models_dir();
        PipelineConfig {
            lexicons: None,
            ner: Some(NerSettings {
                model: models.join("ner-fr"),
                base: None,
                precision: Precision::Auto,
                vocab: Default::default(),
            }),
            geo: Some(GeoSettings::default()),
            summary: Some(SummarySettings {
                config: SummaryConfig::default(),
                vectors: SummaryVectors::NerEncoder { lexical: DEFAULT_LEXICAL_WEIGHT },
                translator: TranslatorKind::Auto,
                marian_model: None,
            }),
        }
    }
}

/// The `models` folder: `$VIGIE_MODELS`, else `./models` when it exists, else the one of the
/// source tree the binary was built in (`target/release/vigie` → `models/`).
pub fn default_models_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("VIGIE_MODELS") {
        return PathBuf::from(d);
    }
    let here = PathBuf::from("models");
    if here.join("ner-fr").is_dir() {
        return here;
    }
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    if built.join("ner-fr").is_dir() {
        return built;
    }
    here
}

/// Why a pipeline could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("lexicons")]
    Lexicon(#[from] LexiconError),
    #[error("NER model")]
    Model(#[from] crate::ner::model::ModelError),
    #[error("the E5 encoder for summaries")]
    Encoder(#[from] crate::models::e5::E5Error),
    #[error("summaries")]
    Summary(#[from] crate::summarize::SummarizeError),
    #[error("translator")]
    Translator(#[from] crate::translate::TranslateError),
    #[error("summary vectors from the NER encoder need a NER model (or E5 vectors for the summary)")]
    NoNerForVectors,
    #[error("gazetteer")]
    Gazetteer(#[from] crate::geo::GazetteerError),
}

/// A built pipeline with what the builder noticed (e.g. no translator available).
pub struct Built {
    pub pipeline: Pipeline,
    pub warnings: Vec<String>,
}

impl PipelineConfig {
    /// Lexicons and geocoding: no model, no summary (fast, torch-free work).
    pub fn fast() -> PipelineConfig {
        PipelineConfig { lexicons: None, ner: None, geo: Some(GeoSettings::default()), summary: None }
    }

    /// The lexicons these settings name.
    pub fn lexicon(&self) -> Result<Lexicon, BuildError> {
        Ok(match &self.lexicons {
            Some(d) => Lexicon::load_dir(d)?,
            None => Lexicon::builtin()?,
        })
    }

    /// Builds the pipeline (loads lexicons and models).
    pub fn build(&self) -> Result<Pipeline, BuildError> {
        Ok(self.build_with_warnings()?.pipeline)
    }

    /// [`build`](Self::build), also returning warnings for the user (no translator found).
    pub fn build_with_warnings(&self) -> Result<Built, BuildError> {
        let mut warnings = Vec::new();
        let lex = Arc::new(self.lexicon()?);
        let mut taggers: Vec<Arc<dyn EntityTagger>> = vec![Arc::new(LexiconTagger::new(lex.clone()))];
        if let Some(n) = &self.ner {
            let model = crate::ner::model::NerModel::load_opts(&n.model, n.base.as_deref(), n.precision, n.vocab)?;
            taggers.push(Arc::new(crate::ner::model::ModelTagger::new(model)));
        }
        let mut tag = Tag::new(taggers);
        let mut after: Vec<Arc<dyn Stage>> = Vec::new();
        if let Some(s) = &self.summary {
            s.config.validate()?;
            let (translator, why) = crate::translate::choose(s.translator, s.marian_model.as_deref())?;
            if translator.is_none() {
                warnings.push(format!("no translator ({why}); summary.en will be null"));
            }
            let vectors = match &s.vectors {
                SummaryVectors::NerEncoder { lexical } => {
                    if !tag.can_give_vectors() {
                        return Err(BuildError::NoNerForVectors);
                    }
                    if !(0.0..=1.0).contains(lexical) {
                        return Err(BuildError::Summary(crate::summarize::SummarizeError::Config(format!(
                            "lexical weight must be in [0, 1], got {lexical}"
                        ))));
                    }
                    tag = tag.with_sentence_vectors(true);
                    SentenceVectors::NerEncoder { lexical: *lexical }
                }
                SummaryVectors::Lexical => SentenceVectors::Lexical,
                SummaryVectors::E5 { dir, precision } => SentenceVectors::E5(std::sync::Mutex::new(
                    crate::models::e5::E5Encoder::load_with(dir, *precision)?,
                )),
            };
            after.push(Arc::new(Summarize::new(vectors, s.config.clone(), why)));
            if let Some(t) = translator {
                after.push(Arc::new(Translate::new(t)));
            }
        }
        let mut stages: Vec<Arc<dyn Stage>> = vec![Arc::new(Segment), Arc::new(tag), Arc::new(Resolve)];
        if let Some(g) = &self.geo {
            let (geocoder, warning) = g.geocoder(lex)?;
            warnings.extend(warning);
            stages.push(Arc::new(Geocode::new(geocoder)));
        }
        stages.extend(after);
        Ok(Built { pipeline: Pipeline::from_stages(stages), warnings })
    }
}
