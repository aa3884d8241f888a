//! The document model: what goes in (`Document`) and what comes out (`Annotated`).
//!
//! Offsets everywhere are given twice: Unicode code points (`start`/`end`, end exclusive, what
//! Python's `text[start:end]` expects) and UTF-8 bytes (`start_byte`/`end_byte`).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Entity labels. Serialised as `ARMED_GROUP`, `LOCATION`, `WEAPON`, `PERSON`, `ORG`, `MISC`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Label {
    ArmedGroup,
    Location,
    Weapon,
    Person,
    Org,
    Misc,
}

impl Label {
    pub const ALL: [Label; 6] =
        [Label::ArmedGroup, Label::Location, Label::Weapon, Label::Person, Label::Org, Label::Misc];

    pub fn as_str(self) -> &'static str {
        match self {
            Label::ArmedGroup => "ARMED_GROUP",
            Label::Location => "LOCATION",
            Label::Weapon => "WEAPON",
            Label::Person => "PERSON",
            Label::Org => "ORG",
            Label::Misc => "MISC",
        }
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Label {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "ARMED_GROUP" => Ok(Label::ArmedGroup),
            "LOCATION" | "LOC" => Ok(Label::Location),
            "WEAPON" => Ok(Label::Weapon),
            "PERSON" | "PER" => Ok(Label::Person),
            "ORG" => Ok(Label::Org),
            "MISC" => Ok(Label::Misc),
            other => Err(format!("unknown label {other:?}")),
        }
    }
}

/// What produced an entity span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Lexicon,
    Model,
    /// Resolved from another mention of the same document (acronym definition, repeated name).
    Document,
}

/// Canonical identity of an entity, from the lexicons: something other systems can join on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Canonical {
    /// Stable identifier, e.g. `ag:fla`, `wp:ied`, `loc:ml-aguelhoc`.
    pub id: String,
    /// Canonical (French) name.
    pub name: String,
    /// English name, when known.
    pub name_en: Option<String>,
    /// Kind: for armed groups `state|foreign|pmc|rebel|jihadist|militia|peacekeeping`; for weapons the
    /// category; for places `country|region|town|...`.
    pub kind: Option<String>,
    /// ISO 3166-1 alpha-2 country code (or `intl`).
    pub country: Option<String>,
}

/// One entity span.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    pub start: usize,
    pub end: usize,
    pub start_byte: usize,
    pub end_byte: usize,
    pub text: String,
    pub label: Label,
    pub score: f32,
    pub source: Source,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonical: Option<Canonical>,
    /// Where a LOCATION is (set by the geo stage): absent for other labels and when the stage
    /// did not run; `null` when the place could not be resolved.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
    pub geo: Option<Option<Geo>>,
}

/// A field that is present (possibly `null`) deserialises to `Some(..)`; absent ones get the
/// `default` (`None`).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Kind of a geocoded place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlaceKind {
    Country,
    /// A dependent or disputed territory (Western Sahara, Palestinian territories...).
    Territory,
    /// An administrative region (region, province, state, oblast, governorate, cercle...).
    Region,
    /// A cross-border or informal area (Sahel, Liptako-Gourma, Donbass...).
    Area,
    /// A populated place.
    Town,
    /// A refugee or displaced people's camp, or a military camp.
    Camp,
    /// A lake, river, sea, gulf or strait.
    Water,
    /// Mountains, a massif, desert, forest, island, plateau, valley or park.
    Feature,
}

impl PlaceKind {
    pub const ALL: [PlaceKind; 8] = [
        PlaceKind::Country,
        PlaceKind::Territory,
        PlaceKind::Region,
        PlaceKind::Area,
        PlaceKind::Town,
        PlaceKind::Camp,
        PlaceKind::Water,
        PlaceKind::Feature,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PlaceKind::Country => "country",
            PlaceKind::Territory => "territory",
            PlaceKind::Region => "region",
            PlaceKind::Area => "area",
            PlaceKind::Town => "town",
            PlaceKind::Camp => "camp",
            PlaceKind::Water => "water",
            PlaceKind::Feature => "feature",
        }
    }
}

impl std::str::FromStr for PlaceKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PlaceKind::ALL.into_iter().find(|k| k.as_str() == s.trim()).ok_or_else(|| format!("unknown place kind {s:?}"))
    }
}

impl fmt::Display for PlaceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The resolved location of a LOCATION entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Geo {
    /// GeoNames id, when the place is a GeoNames feature the project knows (towns of cities500,
    /// countries); `null` for regions, areas and natural features given a representative point.
    pub geonameid: Option<u64>,
    /// Name of the resolved place (the lexicon's French name, else GeoNames' name).
    pub name: String,
    /// WGS84 latitude and longitude in decimal degrees.
    pub lat: f64,
    pub lon: f64,
    /// ISO 3166-1 alpha-2 country code, `null` for cross-border areas.
    pub country: Option<String>,
    pub kind: PlaceKind,
    /// Confidence in [0, 1] that this is the place meant.
    pub score: f32,
}

/// A sentence span in code points (end exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentenceSpan {
    pub start: usize,
    pub end: usize,
}

/// A document id as given in the input: a string or a number (kept as given in the output).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum DocId {
    Str(String),
    Num(serde_json::Number),
}

impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DocId::Str(s) => f.write_str(s),
            DocId::Num(n) => write!(f, "{n}"),
        }
    }
}

/// A validated input document.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub id: DocId,
    pub text: String,
    pub lang: Option<String>,
    /// Optional fields carried through unchanged (`title`, `date`, `url`, `source`).
    pub meta: serde_json::Map<String, serde_json::Value>,
}

/// Versions of what produced an annotation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineInfo {
    pub version: String,
    pub models: serde_json::Map<String, serde_json::Value>,
}

/// `summary` of a record: the extractive French summary, its English and the English brief.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The chosen sentences, code-point spans of `text`, in document order.
    pub fr: Vec<SentenceSpan>,
    /// Their English translation (entities protected); `null` without a translator.
    pub en: Option<String>,
    /// English brief of the actors, places and weapons (from the lexicons' English names).
    pub en_brief: String,
    /// The translator's identity, or `none: <why>`.
    pub translator: String,
}

/// One output record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Annotated {
    pub id: DocId,
    pub text: String,
    pub lang: String,
    pub meta: serde_json::Map<String, serde_json::Value>,
    pub sentences: Vec<SentenceSpan>,
    pub entities: Vec<Entity>,
    pub summary: Option<Summary>,
    pub pipeline: PipelineInfo,
}
