// TEMPORARY until the lexicon matcher lands (overwritten).
use crate::doc::{Canonical, Label};
#[derive(Debug, thiserror::Error)]
pub enum LexiconError { #[error("x")] X }
pub struct Lexicon { fp: String }
pub struct LexMatch { pub start_byte: usize, pub end_byte: usize, pub label: Label, pub canonical: Canonical }
impl Lexicon {
    pub fn load_dir(_dir: &std::path::Path) -> Result<Lexicon, LexiconError> { Ok(Lexicon{fp:String::new()}) }
    pub fn from_tsv(_a: &str, _w: &str, _p: &str) -> Result<Lexicon, LexiconError> { Ok(Lexicon{fp:String::new()}) }
    pub fn len(&self) -> usize { 0 }
    pub fn fingerprint(&self) -> &str { &self.fp }
    pub fn find(&self, text: &str) -> Vec<LexMatch> { let _ = text; vec![] }
}
