//! Domain knowledge: lexicons of armed actors, weapons and places, with canonical identities.
//!
//! The lexicon files live in `models/lexicons/` and are compiled into the binary
//! ([`lexicon::Lexicon::builtin`]); `--lexicons DIR` loads another copy at run time.

pub mod lexicon;
pub mod names;
pub mod resolve;

impl lexicon::Lexicon {
    /// The lexicons shipped in `models/lexicons/`, compiled into the binary.
    pub fn builtin() -> Result<Self, lexicon::LexiconError> {
        Self::from_tsv_with_organisations(
            include_str!("../../models/lexicons/armed_groups.tsv"),
            include_str!("../../models/lexicons/weapons.tsv"),
            include_str!("../../models/lexicons/places.tsv"),
            include_str!("../../models/lexicons/organisations.tsv"),
        )
    }
}
