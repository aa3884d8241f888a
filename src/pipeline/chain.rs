//! [`Pipeline`]: a chain of [`Stage`]s run over chunks of documents, with failures isolated to
//! the documents at fault.

use super::stage::{AnnotateError, Item, Slot, Stage, StageKind};
use crate::doc::{Annotated, Document, Entity, PipelineInfo};
use crate::text::offsets::CharIndex;
use std::sync::Arc;

/// Turns validated documents into annotated records. Shared by all threads; built by
/// [`PipelineConfig::build`](super::PipelineConfig::build) or from stages.
pub struct Pipeline {
    stages: Vec<Arc<dyn Stage>>,
    info: PipelineInfo,
}

impl Pipeline {
    /// A pipeline running `stages` in order.
    pub fn from_stages(stages: Vec<Arc<dyn Stage>>) -> Pipeline {
        let mut models = serde_json::Map::new();
        for s in &stages {
            for (k, v) in s.describe() {
                models.insert(k, v);
            }
        }
        let info = PipelineInfo { version: env!("CARGO_PKG_VERSION").to_string(), models };
        Pipeline { stages, info }
    }

    /// Segmentation, the given taggers (earlier ones take precedence) and resolution: the
    /// entity pipeline.
    pub fn new(taggers: Vec<Arc<dyn crate::ner::EntityTagger>>) -> Pipeline {
        Pipeline::from_stages(vec![
            Arc::new(super::stages::Segment),
            Arc::new(super::stages::Tag::new(taggers)),
            Arc::new(super::stages::Resolve),
        ])
    }

    /// What produced the annotations (also part of the resume fingerprint).
    pub fn info(&self) -> &PipelineInfo {
        &self.info
    }

    /// The stages, in order.
    pub fn stages(&self) -> &[Arc<dyn Stage>] {
        &self.stages
    }

    /// Annotates one document. Never panics: a panic inside a stage becomes an error.
    pub fn annotate(&self, doc: Document) -> Result<Annotated, AnnotateError> {
        self.annotate_batch(vec![doc]).pop().expect("one result per document")
    }

    /// Annotates a chunk of documents, in order: each stage gets the whole chunk (models batch
    /// across documents). Never panics; one document's failure does not fail the others.
    pub fn annotate_batch(&self, docs: Vec<Document>) -> Vec<Result<Annotated, AnnotateError>> {
        let mut slots: Vec<Slot> = docs.into_iter().map(|d| Ok(Item::new(d, self.info.clone()))).collect();
        self.run_stages(&mut slots, |_| true);
        slots.into_iter().map(|s| s.map(|i| i.record)).collect()
    }

    /// The entities of a short text (e.g. one sentence) taken as one sentence, without the rest
    /// of the record; a tagger error gives no entities.
    pub fn entities(&self, text: &str) -> Vec<Entity> {
        let doc = Document {
            id: crate::doc::DocId::Str(String::new()),
            text: text.to_string(),
            lang: None,
            meta: Default::default(),
        };
        let mut item = Item::new(doc, self.info.clone());
        item.sentence_bytes = vec![0..text.len()];
        let mut slots = vec![Ok(item)];
        self.run_stages(&mut slots, |k| matches!(k, StageKind::Tag | StageKind::Resolve));
        match slots.pop() {
            Some(Ok(item)) => item.record.entities,
            _ => Vec::new(),
        }
    }

    fn run_stages(&self, slots: &mut [Slot], keep: impl Fn(StageKind) -> bool) {
        for stage in self.stages.iter().filter(|s| keep(s.kind())) {
            let live = slots.iter().filter(|s| s.is_ok()).count();
            if live == 0 {
                return;
            }
            match catch(|| stage.run(slots)) {
                Ok(()) => {}
                Err(e) if live == 1 => {
                    if let Some(s) = slots.iter_mut().find(|s| s.is_ok()) {
                        *s = Err(e);
                    }
                }
                Err(e) => {
                    tracing::warn!("stage {} failed on a chunk ({e}); retrying document by document", stage.name());
                    for s in slots.iter_mut().filter(|s| s.is_ok()) {
                        if let Err(e) = catch(|| stage.run(std::slice::from_mut(s))) {
                            *s = Err(e);
                        }
                    }
                }
            }
        }
    }
}

impl crate::translate::EntityFinder for Pipeline {
    fn protections(&self, sentence: &str) -> Vec<crate::translate::protect::Protection> {
        self.entities(sentence).iter().filter_map(crate::translate::protect::protection_for).collect()
    }
}

/// Runs `f`, turning a panic into an error.
pub(crate) fn catch<T>(f: impl FnOnce() -> Result<T, AnnotateError>) -> Result<T, AnnotateError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|p| {
        let msg = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".into());
        Err(AnnotateError::Panic(msg))
    })
}

/// Byte ranges → code-point sentence spans.
pub(crate) fn char_spans(text: &str, ranges: &[std::ops::Range<usize>]) -> Vec<crate::doc::SentenceSpan> {
    let idx = CharIndex::new(text);
    ranges
        .iter()
        .map(|r| {
            let c = idx.char_range(r.clone());
            crate::doc::SentenceSpan { start: c.start, end: c.end }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::DocId;
    use crate::pipeline::stage::live;

    /// A later stage that fails on some documents: by error on a chunk, by panic, or per item.
    struct Picky;

    impl Stage for Picky {
        fn name(&self) -> &'static str {
            "picky"
        }
        fn kind(&self) -> StageKind {
            StageKind::Other
        }
        fn describe(&self) -> Vec<(String, serde_json::Value)> {
            vec![("picky".into(), "1".into())]
        }
        fn run(&self, slots: &mut [Slot]) -> Result<(), AnnotateError> {
            if live(slots).any(|i| i.record.text.contains("PANIC")) {
                panic!("picky panicked");
            }
            if live(slots).any(|i| i.record.text.contains("BOOM")) {
                return Err(AnnotateError::Stage { stage: "picky", reason: "boom".into() });
            }
            for s in slots.iter_mut() {
                if s.as_ref().is_ok_and(|i| i.record.text.contains("BAD")) {
                    *s = Err(AnnotateError::Stage { stage: "picky", reason: "bad document".into() });
                } else if let Ok(i) = s {
                    i.record.meta.insert("picky".into(), true.into());
                }
            }
            Ok(())
        }
    }

    fn doc(id: &str, text: &str) -> Document {
        Document { id: DocId::Str(id.into()), text: text.into(), lang: None, meta: Default::default() }
    }

    fn pipeline() -> Pipeline {
        let base = crate::pipeline::default_annotator(None).unwrap();
        let mut stages = base.stages().to_vec();
        stages.push(Arc::new(Picky));
        Pipeline::from_stages(stages)
    }

    #[test]
    fn a_failing_stage_fails_only_the_documents_at_fault() {
        let p = pipeline();
        assert_eq!(p.info().models["picky"], "1");
        assert!(p.info().models.contains_key("segmenter") && p.info().models.contains_key("ner.lexicon"));
        let docs = vec![
            doc("a", "Le FLA a attaqué Kidal."),
            doc("b", "BOOM à Gao."),
            doc("c", "PANIC à Ménaka."),
            doc("d", "BAD à Tessalit."),
            doc("e", "Le JNIM à Djibo."),
        ];
        let out = p.annotate_batch(docs);
        assert_eq!(out.len(), 5);
        let ok: Vec<&str> = out.iter().filter_map(|r| r.as_ref().ok()).map(|a| a.text.as_str()).collect();
        assert_eq!(ok, ["Le FLA a attaqué Kidal.", "Le JNIM à Djibo."]);
        for a in out.iter().filter_map(|r| r.as_ref().ok()) {
            assert_eq!(a.meta["picky"], true);
            assert!(!a.entities.is_empty() && !a.sentences.is_empty());
        }
        assert!(matches!(&out[1], Err(AnnotateError::Stage { reason, .. }) if reason == "boom"));
        assert!(matches!(&out[2], Err(AnnotateError::Panic(m)) if m.contains("picky panicked")));
        assert!(matches!(&out[3], Err(AnnotateError::Stage { reason, .. }) if reason == "bad document"));
        // one document alone fails with the stage's own error
        assert!(matches!(p.annotate(doc("x", "BOOM")), Err(AnnotateError::Stage { .. })));
        assert!(p.annotate_batch(Vec::new()).is_empty());
    }

    #[test]
    fn entities_run_only_tagging_and_resolution() {
        // Picky would panic on this text if it ran
        let e = pipeline().entities("PANIC: le FLA près de Kidal");
        let got: Vec<(&str, crate::doc::Label)> = e.iter().map(|e| (e.text.as_str(), e.label)).collect();
        assert_eq!(got, [("FLA", crate::doc::Label::ArmedGroup), ("Kidal", crate::doc::Label::Location)]);
        assert_eq!(&"PANIC: le FLA près de Kidal"[e[0].start_byte..e[0].end_byte], "FLA");
    }
}
