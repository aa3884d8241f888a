use super::exit;
use crate::eval::ner;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct EvalArgs {
    #[command(subcommand)]
    pub task: EvalTask,
}

#[derive(clap::Subcommand, Debug)]
pub enum EvalTask {
    /// Exact-span NER scores (precision, recall, F1 per label and micro) of predictions against
    /// gold; CoNLL or JSONL, in any combination.
    Ner(NerArgs),
    /// BLEU and chrF (sacreBLEU definitions) of French→English translation of --src against
    /// --ref, or of a ready translation given with --hyp.
    Mt(MtArgs),
    /// ROUGE-1/2/L F1 of the extractive summariser on a JSONL file of
    /// {"id","document","reference"[,"barthez_output"]}, next to lead-K and the file's own
    /// `barthez_output` (an abstractive peer), all through the same scorer.
    Summ(SummArgs),
    /// Geocoding: accuracy@161 km, exact GeoNames-id accuracy on populated places and mean
    /// error in km of the LOCATION entities' `geo` against a gold JSONL of
    /// {"id","text","places":[{"start","end","text","kind","lat","lon","geonameid"}]}.
    Geo(GeoArgs),
}

#[derive(clap::Args, Debug)]
pub struct GeoArgs {
    /// Gold JSONL (code-point offsets; see `vigie::eval::geo`).
    #[arg(long, value_name = "FILE")]
    pub gold: PathBuf,
    /// Geocode the gold spans instead of the tagger's LOCATION entities: the geocoder alone,
    /// with the rest of the document's entities from the pipeline as context.
    #[arg(long)]
    pub gold_spans: bool,
    /// Print every gold place that is not right at 161 km.
    #[arg(long)]
    pub errors: bool,
    /// libtorch threads (with the model).
    #[arg(short = 'j', long, default_value_t = 2)]
    pub threads: usize,
    #[command(flatten)]
    pub pipeline: super::pipeline_args::PipelineArgs,
}

#[derive(clap::Args, Debug)]
pub struct SummArgs {
    /// JSONL, one {"id","document","reference"[,"barthez_output"]} per line.
    #[arg(long, value_name = "FILE")]
    pub jsonl: PathBuf,
    /// Sentences per summary (for vigie and for the lead baseline).
    #[arg(long, default_value_t = 1)]
    pub k: usize,
    /// Sentence vectors: ner (pooled from the NER model's encoder pass, as `vigie annotate`
    /// does by default) or e5 (a separate multilingual-e5-small pass, --model).
    #[arg(long, value_enum, default_value = "ner", value_name = "V")]
    pub vectors: super::pipeline_args::VectorsChoice,
    /// NER model folder for --vectors ner (default: models/ner-fr).
    #[arg(long, value_name = "DIR", env = "VIGIE_NER_MODEL")]
    pub ner_model: Option<PathBuf>,
    /// Share of lexical TF-IDF vectors joined to the NER encoder's (--vectors ner; 0-1).
    #[arg(long, value_name = "W", default_value_t = crate::pipeline::DEFAULT_LEXICAL_WEIGHT)]
    pub lexical_weight: f32,
    /// Imported E5 encoder folder for --vectors e5.
    #[arg(long, default_value = "models/e5")]
    pub model: PathBuf,
    /// libtorch threads.
    #[arg(short = 'j', long, default_value_t = 2)]
    pub threads: usize,
    /// Score only the first N documents.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Weight of centrality in the relevance (default: that of `annotate --summarize`, 1).
    #[arg(long, value_name = "W")]
    pub centrality_weight: Option<f32>,
    /// Weight of the lead prior (default 1).
    #[arg(long, value_name = "W")]
    pub position_weight: Option<f32>,
    /// Weight of the length fit (default 3; 0 = no length preference).
    #[arg(long, value_name = "W")]
    pub length_weight: Option<f32>,
    /// Sentence length that fits best, in words (default 35).
    #[arg(long, value_name = "N")]
    pub target_words: Option<usize>,
    /// Precision of the encoder (E5: as annotate --summary-precision; NER: as --ner-precision):
    /// auto, fp32 or int8.
    #[arg(long, value_enum, default_value = "auto", value_name = "P")]
    pub precision: crate::models::int8::Precision,
}

/// Translation backends `eval mt` can run.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TranslatorChoice {
    Apertium,
    /// rust-bert Marian from --marian-model.
    Marian,
}

#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("hypotheses").required(true).args(["src", "hyp"])))]
pub struct MtArgs {
    /// French source, one sentence per line (translated with --translator).
    #[arg(long, value_name = "FILE")]
    pub src: Option<PathBuf>,
    /// English translations already made, one per line (scored as they are).
    #[arg(long, value_name = "FILE")]
    pub hyp: Option<PathBuf>,
    /// English reference, line-aligned.
    #[arg(long = "ref", value_name = "FILE")]
    pub reference: PathBuf,
    /// Translation backend for --src.
    #[arg(long, value_enum, default_value = "apertium")]
    pub translator: TranslatorChoice,
    /// Marian model folder (config.json, vocab.json, source.spm, rust_model.ot|model.safetensors).
    #[arg(long, value_name = "DIR", env = "VIGIE_MARIAN_MODEL")]
    pub marian_model: Option<PathBuf>,
    /// Marian beam width (1 = greedy).
    #[arg(long, default_value_t = 4)]
    pub beams: i64,
    /// Marian maximum output length in tokens.
    #[arg(long, default_value_t = 512)]
    pub max_length: i64,
    /// Marian sentences per batch.
    #[arg(long, default_value_t = 16)]
    pub batch_size: usize,
    /// libtorch threads for Marian.
    #[arg(short = 'j', long, default_value_t = 2)]
    pub threads: usize,
    /// Translate without protecting lexicon entities (to measure what protection changes).
    #[arg(long)]
    pub no_protect: bool,
    /// Score only the first N lines.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Write the translations here, one per line.
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("predictions").required(true).multiple(true).args(["pred", "model", "pipeline"])))]
pub struct NerArgs {
    /// Gold annotations: CoNLL (token TAG, BIO) or JSONL {"id","text","entities":[{"start","end","label"}]}.
    #[arg(long, value_name = "FILE")]
    pub gold: PathBuf,
    /// Predictions, same formats, over the same text.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["model", "pipeline"])]
    pub pred: Option<PathBuf>,
    /// Tag the gold text with this NER model folder (e.g. models/ner-fr) instead of reading
    /// --pred: CoNLL gold is tagged on its own tokens, JSONL gold on its raw text.
    #[arg(long, value_name = "DIR")]
    pub model: Option<PathBuf>,
    /// Base encoder folder for --model (default: named in the model's ner_config.json).
    #[arg(long, value_name = "DIR", requires = "model")]
    pub base: Option<PathBuf>,
    /// Precision of the --model encoder (as annotate --ner-precision): auto, int8 or fp32.
    #[arg(long, value_enum, default_value = "auto", value_name = "P", requires = "model")]
    pub precision: crate::ner::model::Precision,
    /// Embedding rows of --model kept in memory: latin (default) or full.
    #[arg(long, default_value = "latin", value_name = "V")]
    pub vocab: crate::ner::model::VocabPolicy,
    /// With --model or --pipeline: also write the predictions here (CoNLL or JSONL, as the gold).
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    /// libtorch threads for --model.
    #[arg(short = 'j', long, default_value_t = 2)]
    pub threads: usize,
    /// Tag JSONL gold with the whole annotate pipeline (lexicons, then --model if given, then
    /// the combination and document rules) instead of the model alone.
    #[arg(long)]
    pub pipeline: bool,
    /// JSONL gold: also print recall on gold spans whose surface the lexicons do not know, and on
    /// those of lexicon entries held out of training (see --holdout-every).
    #[arg(long)]
    pub unseen: bool,
    /// Rename labels before scoring, in gold and predictions: `FROM=TO,...`, e.g.
    /// `ARMED_GROUP=ORG,WEAPON=MISC` to score the conflict labels against WikiNEuRal's.
    #[arg(long, value_name = "MAP")]
    pub map: Option<String>,
    /// Held-out lexicon entries for --unseen: id hash 0 modulo N (as `train silver`).
    #[arg(long, default_value_t = crate::ner::model::silver::SilverConfig::default().holdout_every)]
    pub holdout_every: u64,
}

/// Tags gold JSONL text with the annotate pipeline; returns predictions as JSONL.
fn pipeline_predictions(a: &NerArgs, gold_text: &str) -> anyhow::Result<String> {
    use crate::doc::{DocId, Document};
    let annotator = crate::pipeline::PipelineConfig {
        ner: a.model.as_ref().map(|m| crate::pipeline::NerSettings {
            model: m.clone(),
            base: a.base.clone(),
            precision: a.precision,
            vocab: a.vocab,
        }),
        geo: None,
        ..crate::pipeline::PipelineConfig::fast()
    }
    .build()?;
    let mut docs = Vec::new();
    for (i, line) in gold_text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let v: serde_json::Value =
            serde_json::from_str(line).map_err(|e| anyhow::anyhow!("gold line {}: {e}", i + 1))?;
        let text = v["text"].as_str().ok_or_else(|| anyhow::anyhow!("gold line {}: no text", i + 1))?;
        let id = match &v["id"] {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => format!("{}", i + 1),
            other => other.to_string(),
        };
        docs.push(Document { id: DocId::Str(id), text: text.to_string(), lang: None, meta: Default::default() });
    }
    let t0 = std::time::Instant::now();
    let n = docs.len();
    let mut out = String::new();
    for r in annotator.annotate_batch(docs) {
        let r = r.map_err(|e| anyhow::anyhow!("annotating gold text: {e}"))?;
        let ents: Vec<serde_json::Value> = r
            .entities
            .iter()
            .map(|e| serde_json::json!({"start": e.start, "end": e.end, "label": e.label.as_str()}))
            .collect();
        out.push_str(&serde_json::json!({"id": r.id.to_string(), "text": r.text, "entities": ents}).to_string());
        out.push('\n');
    }
    println!(
        "pipeline: lexicons{} | {n} texts in {:.1}s",
        a.model.as_ref().map(|m| format!(" + model {}", m.display())).unwrap_or_default(),
        t0.elapsed().as_secs_f64()
    );
    Ok(out)
}

/// Recall on lexicon-unseen surfaces and on held-out entries (JSONL gold).
fn unseen_report(a: &NerArgs, gold_text: &str, gold: &ner::Annotations, pred: &ner::Annotations) -> anyhow::Result<()> {
    use crate::ner::model::silver::is_held_out;
    let lex = crate::domain::lexicon::Lexicon::builtin()?;
    let surfaces = ner::jsonl_surfaces(gold_text).map_err(|(l, m)| anyhow::anyhow!("gold line {l}: {m}"))?;
    let mut unseen = Vec::new();
    let mut held = Vec::new();
    for (span, surface) in &surfaces {
        if !["ARMED_GROUP", "LOCATION", "WEAPON"].contains(&span.2.as_str()) {
            continue;
        }
        let whole = lex.find(surface).into_iter().find(|m| m.start_byte == 0 && m.end_byte == surface.len());
        match whole {
            None => unseen.push(span),
            Some(m) if is_held_out(&m.canonical.id, a.holdout_every) => held.push(span),
            Some(_) => {}
        }
    }
    println!("recall on lexicon-unseen surfaces: {}", ner::recall_line(&ner::subset_recall(unseen, pred)));
    println!(
        "recall on held-out lexicon entries (1 in {}): {}",
        a.holdout_every,
        ner::recall_line(&ner::subset_recall(held, pred))
    );
    // paragraphs with no armed group and no weapon in the gold: any such span is a false alarm
    let ranges = ner::jsonl_doc_ranges(gold_text).map_err(|(l, m)| anyhow::anyhow!("gold line {l}: {m}"))?;
    let conflict = |spans: &std::collections::HashSet<(usize, usize, String)>, r: &std::ops::Range<usize>| {
        spans.iter().filter(|s| s.0 >= r.start && s.1 <= r.end && (s.2 == "ARMED_GROUP" || s.2 == "WEAPON")).count()
    };
    let quiet: Vec<&std::ops::Range<usize>> = ranges.iter().filter(|r| conflict(&gold.spans, r) == 0).collect();
    let alarms: usize = quiet.iter().map(|r| conflict(&pred.spans, r)).sum();
    println!(
        "paragraphs without armed groups or weapons in the gold: {} | ARMED_GROUP/WEAPON spans predicted in them: {alarms}",
        quiet.len()
    );
    Ok(())
}

pub fn run(a: EvalArgs) -> anyhow::Result<i32> {
    match a.task {
        EvalTask::Ner(n) => ner_run(n),
        EvalTask::Mt(m) => mt_run(m),
        EvalTask::Summ(s) => summ_run(s),
        EvalTask::Geo(g) => geo_run(g),
    }
}

fn geo_run(a: GeoArgs) -> anyhow::Result<i32> {
    use crate::doc::{DocId, Document, Label};
    use crate::eval::geo::{by_kind, read_gold, score, Figures, Outcome, RADIUS_KM};
    let text = std::fs::read_to_string(&a.gold).map_err(|e| anyhow::anyhow!("{}: {e}", a.gold.display()))?;
    let gold = read_gold(&text).map_err(|e| anyhow::anyhow!("{}: {e}", a.gold.display()))?;
    if a.pipeline.uses_torch() {
        tch::set_num_threads(a.threads.max(1) as i32);
    }
    let mut cfg = a.pipeline.config()?;
    cfg.summary = None;
    let geo = cfg.geo.take().ok_or_else(|| anyhow::anyhow!("eval geo needs the geo stage (drop --no-geo)"))?;
    let (geocoder, warning) = geo.geocoder(std::sync::Arc::new(cfg.lexicon()?))?;
    if let Some(w) = warning {
        eprintln!("vigie: warning: {w}");
    }
    let pipeline = cfg.build()?;
    let started = std::time::Instant::now();
    let docs: Vec<Document> = gold
        .iter()
        .map(|g| Document {
            id: DocId::Str(g.id.to_string()),
            text: g.text.clone(),
            lang: None,
            meta: Default::default(),
        })
        .collect();
    let mut records = Vec::with_capacity(docs.len());
    for r in pipeline.annotate_batch(docs) {
        records.push(r.map_err(|e| anyhow::anyhow!("annotating a gold paragraph: {e}"))?);
    }
    for (rec, g) in records.iter_mut().zip(&gold) {
        if a.gold_spans {
            let predicted: Vec<crate::doc::Entity> =
                rec.entities.iter().filter(|e| e.label == Label::Location).cloned().collect();
            rec.entities
                .retain(|e| e.label != Label::Location && !g.places.iter().any(|p| e.start < p.end && p.start < e.end));
            use crate::text::offsets::byte_offset;
            for p in &g.places {
                let bytes = byte_offset(&rec.text, p.start)..byte_offset(&rec.text, p.end);
                let canonical =
                    predicted.iter().find(|e| e.start == p.start && e.end == p.end).and_then(|e| e.canonical.clone());
                rec.entities.push(crate::doc::Entity {
                    start: p.start,
                    end: p.end,
                    start_byte: bytes.start,
                    end_byte: bytes.end,
                    text: p.text.clone(),
                    label: Label::Location,
                    score: 1.0,
                    source: crate::doc::Source::Document,
                    canonical,
                    geo: None,
                });
            }
            rec.entities.sort_by_key(|e| (e.start, e.end));
        }
        geocoder.geocode(&rec.text, &mut rec.entities);
    }
    let secs = started.elapsed().as_secs_f64();
    let scored = score(&gold, &records);
    let f = Figures::of(&scored);
    println!(
        "gold: {} paragraphs, {} places ({} populated places with a GeoNames id){}",
        gold.len(),
        f.places,
        f.with_id,
        if a.gold_spans { "; gold spans geocoded" } else { "" }
    );
    println!(
        "recognised {} ({:.3}) | resolved {} | accuracy@{RADIUS_KM:.0}km {:.3} (recognised: {:.3}) | GeoNames id {:.3} ({}/{}; recognised: {:.3}) | error km mean {:.0} median {:.1}",
        f.recognised,
        f.recognised as f64 / f.places.max(1) as f64,
        f.resolved,
        f.acc161(),
        f.acc161_recognised(),
        f.id_accuracy(),
        f.same_id,
        f.with_id,
        f.id_accuracy_recognised(),
        f.mean_km,
        f.median_km
    );
    for (kind, k) in by_kind(&scored) {
        println!(
            "  {kind:<9} places {:>4} recognised {:>4} accuracy@161km {:.3} (recognised {:.3}) mean km {:.0}",
            k.places,
            k.recognised,
            k.acc161(),
            k.acc161_recognised(),
            k.mean_km
        );
    }
    println!("{:.2}s for {} paragraphs (pipeline and geocoding)", secs, gold.len());
    if a.errors {
        for s in &scored {
            let what = match &s.outcome {
                Outcome::Resolved { km, .. } if *km <= RADIUS_KM => continue,
                Outcome::Missed => "not recognised".to_string(),
                Outcome::Unresolved => "geo null".to_string(),
                Outcome::Resolved { km, name, lat, lon, .. } => format!("{name} ({lat:.2}, {lon:.2}) at {km:.0} km"),
            };
            println!(
                "{}\t{}\t{} [{}] ({:.2}, {:.2})\t{what}",
                s.doc,
                s.place.text,
                s.place.name.as_deref().unwrap_or(""),
                s.place.kind,
                s.place.lat,
                s.place.lon
            );
        }
    }
    Ok(exit::OK)
}

fn read_lines(p: &std::path::Path, limit: Option<usize>) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
    Ok(text.lines().take(limit.unwrap_or(usize::MAX)).map(str::to_string).collect())
}

fn mt_run(a: MtArgs) -> anyhow::Result<i32> {
    use crate::translate::{apertium::ApertiumTranslator, translate_sentences, Translator};
    let refs = read_lines(&a.reference, a.limit)?;
    let started = std::time::Instant::now();
    let (hyps, label) = match (&a.src, &a.hyp) {
        (_, Some(h)) => (read_lines(h, a.limit)?, format!("hypotheses {}", h.display())),
        (Some(src), None) => {
            let src = read_lines(src, a.limit)?;
            let mut marian: Option<std::sync::Arc<CountingMarian>> = None;
            let tr: std::sync::Arc<dyn Translator> = match a.translator {
                TranslatorChoice::Apertium => std::sync::Arc::new(ApertiumTranslator::new(Default::default())?),
                TranslatorChoice::Marian => {
                    use crate::translate::marian::{MarianOptions, MarianTranslator};
                    let dir = a.marian_model.as_ref().ok_or_else(|| {
                        anyhow::anyhow!("--translator marian needs --marian-model DIR (see scripts/fetch-marian.sh)")
                    })?;
                    tch::set_num_threads(a.threads.max(1) as i32);
                    let opts = MarianOptions {
                        num_beams: a.beams,
                        max_length: a.max_length,
                        batch_size: a.batch_size,
                        ..Default::default()
                    };
                    let m = std::sync::Arc::new(CountingMarian(MarianTranslator::load(dir, opts)?, Default::default()));
                    marian = Some(m.clone());
                    m
                }
            };
            let annotator = if a.no_protect { None } else { Some(crate::pipeline::default_annotator(None)?) };
            let finder = annotator.as_ref().map(|p| p as &dyn crate::translate::EntityFinder);
            let (out, stats) = translate_sentences(tr.as_ref(), &src, finder)?;
            let secs = started.elapsed().as_secs_f64();
            if let Some(m) = &marian {
                let st = *m.1.lock().unwrap();
                println!(
                    "marian: beams {} | {} batches | {} input tokens | {} output tokens in {:.2}s = {:.0} output tokens/s{}",
                    m.0.options().num_beams,
                    st.batches,
                    st.input_tokens,
                    st.output_tokens,
                    st.seconds,
                    st.output_tokens_per_second(),
                    if st.split_inputs > 0 { format!(" | {} long inputs split", st.split_inputs) } else { String::new() }
                );
            }
            println!(
                "translator: {} | entity protection: {} | {} sentences in {:.2}s = {:.0} sentences/s",
                tr.id(),
                if a.no_protect {
                    "off".to_string()
                } else {
                    format!("{} protected, {} restored", stats.protected, stats.restored)
                },
                src.len(),
                secs,
                src.len() as f64 / secs.max(1e-9)
            );
            (out, tr.id().to_string())
        }
        (None, None) => anyhow::bail!("give --src or --hyp"),
    };
    if let Some(p) = &a.save {
        std::fs::write(p, hyps.join("\n") + "\n").map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
    }
    let s = crate::eval::mt::score(&hyps, &refs)?;
    println!("system: {label}");
    println!(
        "BLEU={:.2} (precisions {:.1}/{:.1}/{:.1}/{:.1}, BP={:.3}, sys_len={}, ref_len={}) segments={}",
        s.bleu,
        s.precisions[0],
        s.precisions[1],
        s.precisions[2],
        s.precisions[3],
        s.bp,
        s.sys_len,
        s.ref_len,
        s.segments
    );
    println!("chrF={:.2}", s.chrf);
    Ok(exit::OK)
}

/// Marian with its decoding counters summed over calls (`eval mt` prints tokens/s).
struct CountingMarian(
    crate::translate::marian::MarianTranslator,
    std::sync::Mutex<crate::translate::marian::DecodeStats>,
);

impl crate::translate::Translator for CountingMarian {
    fn id(&self) -> &str {
        self.0.id()
    }

    fn translate(&self, sentences: &[String]) -> Result<Vec<String>, crate::translate::TranslateError> {
        let (out, st) = self.0.translate_with_stats(sentences)?;
        let mut total = self.1.lock().unwrap_or_else(|e| e.into_inner());
        total.sentences += st.sentences;
        total.input_tokens += st.input_tokens;
        total.output_tokens += st.output_tokens;
        total.split_inputs += st.split_inputs;
        total.batches += st.batches;
        total.seconds += st.seconds;
        Ok(out)
    }
}

/// One line of an `eval summ` file.
#[derive(serde::Deserialize)]
struct SummRecord {
    document: String,
    reference: String,
    barthez_output: Option<String>,
}

fn summ_run(a: SummArgs) -> anyhow::Result<i32> {
    use crate::eval::summ;
    use crate::summarize::SummaryConfig;
    /// Documents whose sentences are embedded in one encoder call.
    const DOCS_PER_CALL: usize = 16;

    let text = std::fs::read_to_string(&a.jsonl).map_err(|e| anyhow::anyhow!("{}: {e}", a.jsonl.display()))?;
    let mut records = Vec::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        if records.len() == a.limit.unwrap_or(usize::MAX) {
            break;
        }
        let r: SummRecord =
            serde_json::from_str(line).map_err(|e| anyhow::anyhow!("{}: line {}: {e}", a.jsonl.display(), n + 1))?;
        records.push(r);
    }
    anyhow::ensure!(!records.is_empty(), "{}: no documents", a.jsonl.display());
    use super::pipeline_args::VectorsChoice;
    use crate::pipeline::{NerSettings, PipelineConfig, SummarySettings, SummaryVectors};
    tch::set_num_threads(a.threads.max(1) as i32);
    let d = SummaryConfig::default();
    let cfg = SummaryConfig {
        k: a.k,
        centrality_weight: a.centrality_weight.unwrap_or(d.centrality_weight),
        position_weight: a.position_weight.unwrap_or(d.position_weight),
        length_weight: a.length_weight.unwrap_or(d.length_weight),
        target_words: a.target_words.unwrap_or(d.target_words),
        ..d
    };
    cfg.validate()?;
    let (ner, vectors) = match a.vectors {
        VectorsChoice::Ner => (
            Some(NerSettings {
                model: a.ner_model.clone().unwrap_or_else(|| crate::pipeline::default_models_dir().join("ner-fr")),
                base: None,
                precision: a.precision,
                vocab: Default::default(),
            }),
            SummaryVectors::NerEncoder { lexical: a.lexical_weight },
        ),
        VectorsChoice::Lexical => (None, SummaryVectors::Lexical),
        VectorsChoice::E5 => (None, SummaryVectors::E5 { dir: a.model.clone(), precision: a.precision }),
    };
    // the annotate pipeline without translation: summaries are scored in French
    let pipeline = PipelineConfig {
        lexicons: None,
        ner,
        geo: None,
        summary: Some(SummarySettings {
            config: cfg.clone(),
            vectors,
            translator: crate::translate::TranslatorKind::None,
            marian_model: None,
        }),
    }
    .build()?;
    let encoder_desc = pipeline.info().models.get("summary").map(|v| v.to_string()).unwrap_or_default();

    let started = std::time::Instant::now();
    let mut ours = Vec::with_capacity(records.len());
    for (n, chunk) in records.chunks(DOCS_PER_CALL).enumerate() {
        let docs: Vec<crate::doc::Document> = chunk
            .iter()
            .enumerate()
            .map(|(i, r)| crate::doc::Document {
                id: crate::doc::DocId::Str(format!("{}", n * DOCS_PER_CALL + i)),
                text: r.document.clone(),
                lang: None,
                meta: Default::default(),
            })
            .collect();
        for r in pipeline.annotate_batch(docs) {
            let r = r.map_err(|e| anyhow::anyhow!("summarising: {e}"))?;
            let chars: Vec<char> = r.text.chars().collect();
            let fr = r.summary.map(|s| s.fr).unwrap_or_default();
            ours.push(
                fr.iter().map(|c| chars[c.start..c.end].iter().collect::<String>()).collect::<Vec<_>>().join(" "),
            );
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let join = |doc: &str, ranges: &[std::ops::Range<usize>]| {
        ranges.iter().map(|r| &doc[r.clone()]).collect::<Vec<_>>().join(" ")
    };
    let lead: Vec<String> = records
        .iter()
        .map(|r| {
            join(&r.document, &crate::text::segment::segment(&r.document).into_iter().take(a.k).collect::<Vec<_>>())
        })
        .collect();
    let refs: Vec<String> = records.iter().map(|r| r.reference.clone()).collect();
    let peer: Option<Vec<String>> = records.iter().map(|r| r.barthez_output.clone()).collect();

    println!(
        "documents: {} | pipeline (segment, tag, resolve, summarize): {:.1}s = {:.2} docs/s (vectors {encoder_desc}, k={}, centrality {} + position {} + length {} (target {} words), MMR λ={})",
        records.len(),
        secs,
        records.len() as f64 / secs.max(1e-9),
        cfg.k,
        cfg.centrality_weight,
        cfg.position_weight,
        cfg.length_weight,
        cfg.target_words,
        cfg.mmr_lambda
    );
    println!("{:<16} {:>8} {:>8} {:>8}", "system", "ROUGE-1", "ROUGE-2", "ROUGE-L");
    let row = |name: &str, s: &summ::RougeScores| {
        println!("{name:<16} {:>8.2} {:>8.2} {:>8.2}", s.rouge1, s.rouge2, s.rouge_l);
    };
    let vigie = summ::score(&ours, &refs)?;
    row(&format!("vigie (k={})", a.k), &vigie);
    row(&format!("lead-{}", a.k), &summ::score(&lead, &refs)?);
    match peer {
        Some(p) => row("barthez_output", &summ::score(&p, &refs)?),
        None => println!("barthez_output   (missing on some lines: not scored)"),
    }
    println!("ROUGE-1={:.2}", vigie.rouge1);
    Ok(exit::OK)
}

fn ner_run(a: NerArgs) -> anyhow::Result<i32> {
    let gold = ner::read(&a.gold)?;
    let gold_text = std::fs::read_to_string(&a.gold).map_err(|e| anyhow::anyhow!("{}: {e}", a.gold.display()))?;
    let gold_jsonl = gold_text.lines().find(|l| !l.trim().is_empty()).is_some_and(|l| l.trim_start().starts_with('{'));
    if (a.pipeline || a.unseen) && !gold_jsonl {
        anyhow::bail!("--pipeline and --unseen need JSONL gold ({{\"id\",\"text\",\"entities\"}})");
    }
    let pred = match (&a.pred, &a.model) {
        (Some(p), _) => ner::read(p)?,
        (None, _) if a.pipeline => {
            let p = pipeline_predictions(&a, &gold_text)?;
            if let Some(out) = &a.save {
                std::fs::write(out, &p).map_err(|e| anyhow::anyhow!("{}: {e}", out.display()))?;
            }
            ner::read_jsonl(&p).map_err(|(l, m)| anyhow::anyhow!("predictions line {l}: {m}"))?
        }
        (None, Some(dir)) => {
            use crate::ner::model::{predict, ModelTagger, NerModel};
            tch::set_num_threads(a.threads.max(1) as i32);
            let t0 = std::time::Instant::now();
            let tagger = ModelTagger::new(NerModel::load_opts(dir, a.base.as_deref(), a.precision, a.vocab)?);
            let load = t0.elapsed().as_secs_f64();
            let text = std::fs::read_to_string(&a.gold).map_err(|e| anyhow::anyhow!("{}: {e}", a.gold.display()))?;
            let jsonl = text.lines().find(|l| !l.trim().is_empty()).is_some_and(|l| l.trim_start().starts_with('{'));
            let p = if jsonl {
                predict::predict_jsonl(&tagger, &text).map_err(|e| anyhow::anyhow!("{}: {e}", a.gold.display()))?
            } else {
                predict::predict_conll(&tagger, &text)?
            };
            let pi = tagger.model().precision_info();
            println!(
                "model: {} ({}) [{}; fbgemm int8 path {}] | load {:.1}s | {} words in {:.1}s = {:.0} words/s ({} threads)",
                dir.display(),
                pi.precision,
                pi.reason,
                pi.int8_path,
                load,
                p.words,
                p.seconds,
                p.words as f64 / p.seconds.max(1e-9),
                a.threads
            );
            let (policy, rows, total, fell, pieces) = tagger.model().vocab_info();
            println!(
                "vocabulary: {policy}, {rows} of {total} embedding rows in memory; {fell} of {pieces} pieces read as <unk> ({:.4}%)",
                100.0 * fell as f64 / pieces.max(1) as f64
            );
            let st = tagger.model().stats();
            println!(
                "time: encoder forward {:.1}s of {:.1}s ({:.0}%); {} windows in {} batches, {} tokens, {:.1}% padding",
                st.forward_secs,
                st.total_secs,
                100.0 * st.forward_secs / st.total_secs.max(1e-9),
                st.windows,
                st.batches,
                st.tokens,
                100.0 * (st.padded_tokens.saturating_sub(st.tokens)) as f64 / st.padded_tokens.max(1) as f64
            );
            if let Some(out) = &a.save {
                std::fs::write(out, &p.text).map_err(|e| anyhow::anyhow!("{}: {e}", out.display()))?;
            }
            if jsonl {
                ner::read_jsonl(&p.text).map_err(|(l, m)| anyhow::anyhow!("predictions line {l}: {m}"))?
            } else {
                ner::read_conll(&p.text).map_err(|(l, m)| anyhow::anyhow!("predictions line {l}: {m}"))?
            }
        }
        (None, None) => anyhow::bail!("give --pred, --model or --pipeline"),
    };
    if a.unseen {
        unseen_report(&a, &gold_text, &gold, &pred)?;
    }
    let (gold, pred) = match &a.map {
        Some(m) => {
            let pairs = ner::parse_label_map(m).map_err(|e| anyhow::anyhow!("--map: {e}"))?;
            println!("labels mapped: {m}");
            (ner::map_labels(gold, &pairs), ner::map_labels(pred, &pairs))
        }
        None => (gold, pred),
    };
    print!("{}", ner::score(&gold, &pred)?.table());
    Ok(exit::OK)
}
