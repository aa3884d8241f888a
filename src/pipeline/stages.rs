//! The text stages: [`Segment`] (sentences), [`Tag`] (entity taggers: lexicons, model) and
//! [`Resolve`] (combination rules, canonical identities, offsets).

use super::stage::{AnnotateError, Slot, Stage, StageKind};
use crate::doc::Entity;
use crate::ner::{EntityTagger, Span, TagInput, Tagged};
use crate::text::offsets::CharIndex;
use rayon::prelude::*;
use std::sync::Arc;

/// Version of the sentence segmenter rules, recorded in `pipeline.models`.
pub const SEGMENTER_VERSION: &str = "vigie-rules-1";

/// Sentence segmentation ([`crate::text::segment`]): `sentences` and their byte ranges.
pub struct Segment;

impl Stage for Segment {
    fn name(&self) -> &'static str {
        "segment"
    }

    fn kind(&self) -> StageKind {
        StageKind::Segment
    }

    fn describe(&self) -> Vec<(String, serde_json::Value)> {
        vec![("segmenter".into(), SEGMENTER_VERSION.into())]
    }

    fn run(&self, slots: &mut [Slot]) -> Result<(), AnnotateError> {
        slots.par_iter_mut().filter_map(|s| s.as_mut().ok()).for_each(|item| {
            let bytes = crate::text::segment::segment(&item.record.text);
            item.record.sentences = super::chain::char_spans(&item.record.text, &bytes);
            item.sentence_bytes = bytes;
        });
        Ok(())
    }
}

/// Entity taggers in order (earlier ones take precedence in [`Resolve`]). Per-document taggers
/// (lexicons) run on the rayon pool, batched ones (models) once over the whole chunk.
pub struct Tag {
    taggers: Vec<Arc<dyn EntityTagger>>,
    /// Ask the first tagger that can for sentence vectors (a summary stage uses them).
    vectors: bool,
}

impl Tag {
    pub fn new(taggers: Vec<Arc<dyn EntityTagger>>) -> Tag {
        Tag { taggers, vectors: false }
    }

    /// Also collect sentence vectors from the first tagger that gives them.
    pub fn with_sentence_vectors(mut self, on: bool) -> Tag {
        self.vectors = on;
        self
    }

    /// True when one of the taggers can give sentence vectors.
    pub fn can_give_vectors(&self) -> bool {
        self.taggers.iter().any(|t| t.sentence_vectors())
    }

    pub fn taggers(&self) -> &[Arc<dyn EntityTagger>] {
        &self.taggers
    }
}

impl Stage for Tag {
    fn name(&self) -> &'static str {
        "tag"
    }

    fn kind(&self) -> StageKind {
        StageKind::Tag
    }

    fn describe(&self) -> Vec<(String, serde_json::Value)> {
        self.taggers.iter().map(|t| (format!("ner.{}", t.name()), t.describe())).collect()
    }

    fn run(&self, slots: &mut [Slot]) -> Result<(), AnnotateError> {
        let vector_tagger = if self.vectors { self.taggers.iter().position(|t| t.sentence_vectors()) } else { None };
        let found: Vec<(usize, Vec<Result<Tagged, AnnotateError>>)> = {
            let items: Vec<(usize, &super::stage::Item)> =
                slots.iter().enumerate().filter_map(|(i, s)| s.as_ref().ok().map(|it| (i, it))).collect();
            let inputs: Vec<TagInput<'_>> =
                items.iter().map(|(_, it)| TagInput { text: &it.record.text, sentences: &it.sentence_bytes }).collect();
            let mut per_tagger = Vec::with_capacity(self.taggers.len());
            for (k, t) in self.taggers.iter().enumerate() {
                let want = vector_tagger == Some(k);
                let out: Vec<Result<Tagged, AnnotateError>> = if t.batched() || want {
                    let v = t.tag_batch_with_vectors(&inputs, want);
                    if v.len() != inputs.len() {
                        return Err(AnnotateError::Stage {
                            stage: "tag",
                            reason: format!(
                                "tagger {} returned {} results for {} documents",
                                t.name(),
                                v.len(),
                                inputs.len()
                            ),
                        });
                    }
                    v.into_iter().map(|r| r.map_err(AnnotateError::from)).collect()
                } else {
                    inputs
                        .par_iter()
                        .map(|i| {
                            t.tag(*i).map(|spans| Tagged { spans, sentence_vectors: None }).map_err(AnnotateError::from)
                        })
                        .collect()
                };
                per_tagger.push(out);
            }
            // transpose: per item, its tagger outputs
            let positions: Vec<usize> = items.iter().map(|(i, _)| *i).collect();
            let mut per_item: Vec<Vec<Result<Tagged, AnnotateError>>> = positions.iter().map(|_| Vec::new()).collect();
            for out in per_tagger {
                for (acc, r) in per_item.iter_mut().zip(out) {
                    acc.push(r);
                }
            }
            positions.into_iter().zip(per_item).collect()
        };
        for (i, results) in found {
            let slot = &mut slots[i];
            let mut layers = Vec::with_capacity(results.len());
            let mut vectors = None;
            let mut failed = None;
            for r in results {
                match r {
                    Ok(t) => {
                        if t.sentence_vectors.is_some() {
                            vectors = t.sentence_vectors;
                        }
                        layers.push(t.spans);
                    }
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            match failed {
                Some(e) => *slot = Err(e),
                None => {
                    if let Ok(item) = slot {
                        item.layers = layers;
                        item.sentence_vectors = vectors;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Combination and document rules ([`crate::domain::resolve::combine`]) over the taggers'
/// layers, then code-point offsets: `entities`.
pub struct Resolve;

impl Stage for Resolve {
    fn name(&self) -> &'static str {
        "resolve"
    }

    fn kind(&self) -> StageKind {
        StageKind::Resolve
    }

    fn run(&self, slots: &mut [Slot]) -> Result<(), AnnotateError> {
        slots.par_iter_mut().filter_map(|s| s.as_mut().ok()).for_each(|item| {
            let layers = std::mem::take(&mut item.layers);
            let spans = crate::domain::resolve::combine(&item.record.text, layers);
            let idx = CharIndex::new(&item.record.text);
            item.record.entities = to_entities(&item.record.text, &idx, spans);
        });
        Ok(())
    }
}

/// Coordinates for LOCATION entities ([`crate::geo::Geocoder`]): `entities[].geo`.
pub struct Geocode {
    geocoder: crate::geo::Geocoder,
}

impl Geocode {
    pub fn new(geocoder: crate::geo::Geocoder) -> Geocode {
        Geocode { geocoder }
    }
}

impl Stage for Geocode {
    fn name(&self) -> &'static str {
        "geo"
    }

    fn kind(&self) -> StageKind {
        StageKind::Geo
    }

    fn describe(&self) -> Vec<(String, serde_json::Value)> {
        vec![("geo".into(), self.geocoder.describe())]
    }

    fn run(&self, slots: &mut [Slot]) -> Result<(), AnnotateError> {
        slots.par_iter_mut().filter_map(|s| s.as_mut().ok()).for_each(|item| {
            self.geocoder.geocode(&item.record.text, &mut item.record.entities);
        });
        Ok(())
    }
}

/// Byte spans → entities with code-point offsets; drops spans that are empty, out of range or
/// not on char boundaries (a tagger bug must not produce wrong offsets).
pub fn to_entities(text: &str, idx: &CharIndex, spans: Vec<Span>) -> Vec<Entity> {
    spans
        .into_iter()
        .filter(|s| {
            s.start_byte < s.end_byte
                && s.end_byte <= text.len()
                && text.is_char_boundary(s.start_byte)
                && text.is_char_boundary(s.end_byte)
        })
        .map(|s| {
            let r = idx.char_range(s.start_byte..s.end_byte);
            Entity {
                start: r.start,
                end: r.end,
                start_byte: s.start_byte,
                end_byte: s.end_byte,
                text: text[s.start_byte..s.end_byte].to_string(),
                label: s.label,
                score: s.score,
                source: s.source,
                canonical: s.canonical,
                geo: None,
            }
        })
        .collect()
}
