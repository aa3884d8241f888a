//! The English brief: a deterministic English paragraph built from the canonical entities of a
//! document (armed actors with their kind, places, weapons) and the figures found near them, e.g.
//! "Actors: Azawad Liberation Front (separatist, Mali), Malian Armed Forces (state, Mali), Africa
//! Corps (foreign force, Russia). Places: Aguelhok, Kidal. Weapons: IEDs, drones, fighter jets.
//! Figures: about 30 vehicles; more than 80 dead."
//!
//! It needs no translation model, so it is exact where machine translation is weakest: names.

use crate::doc::{Entity, Label};
use crate::translate::protect::pluralise_en;
use regex::Regex;
use std::collections::HashSet;
use std::sync::OnceLock;

/// English name of the countries the lexicons use (ISO 3166-1 alpha-2), for actor descriptions.
fn country_en(code: &str) -> Option<&'static str> {
    Some(match code {
        "ML" => "Mali",
        "BF" => "Burkina Faso",
        "NE" => "Niger",
        "TD" => "Chad",
        "NG" => "Nigeria",
        "CM" => "Cameroon",
        "BJ" => "Benin",
        "TG" => "Togo",
        "MR" => "Mauritania",
        "SN" => "Senegal",
        "DZ" => "Algeria",
        "LY" => "Libya",
        "SD" => "Sudan",
        "SS" => "South Sudan",
        "CF" => "Central African Republic",
        "CD" => "DR Congo",
        "RW" => "Rwanda",
        "UG" => "Uganda",
        "BI" => "Burundi",
        "SO" => "Somalia",
        "ET" => "Ethiopia",
        "MZ" => "Mozambique",
        "RU" => "Russia",
        "UA" => "Ukraine",
        "FR" => "France",
        "US" => "United States",
        "TR" => "Turkey",
        "SY" => "Syria",
        "IQ" => "Iraq",
        "IR" => "Iran",
        "LB" => "Lebanon",
        "PS" => "Palestine",
        "IL" => "Israel",
        "YE" => "Yemen",
        "HT" => "Haiti",
        "KE" => "Kenya",
        "intl" => "international",
        _ => return None,
    })
}

fn kind_en(kind: &str) -> &str {
    match kind {
        "foreign" => "foreign force",
        "pmc" => "PMC",
        "peacekeeping" => "peacekeeping force",
        k => k,
    }
}

/// French counting words and units → English.
fn figure_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(
            r"(?i)\b(plus de |moins de |au moins |près de |environ )?(\d[\d\u{a0}\u{202f} .]*\d|\d|une? (?:dizaine|douzaine|quinzaine|vingtaine|trentaine|quarantaine|cinquantaine|centaine)|des (?:dizaines|centaines|milliers)) (?:de |d')?(morts|tués|blessés|victimes|véhicules|soldats|militaires|combattants|civils|otages|personnes|kilomètres|km|assaillants|jihadistes|déplacés)\b",
        )
        .expect("static regex")
    })
}

fn qualifier_en(q: &str) -> &'static str {
    match q.trim().to_lowercase().as_str() {
        "plus de" => "more than ",
        "moins de" => "fewer than ",
        "au moins" => "at least ",
        "près de" | "environ" => "about ",
        _ => "",
    }
}

fn count_en(c: &str) -> String {
    let lc = c.to_lowercase();
    let approx = [
        ("dizaines", "dozens of"),
        ("centaines", "hundreds of"),
        ("milliers", "thousands of"),
        ("dizaine", "about 10"),
        ("douzaine", "about 12"),
        ("quinzaine", "about 15"),
        ("vingtaine", "about 20"),
        ("trentaine", "about 30"),
        ("quarantaine", "about 40"),
        ("cinquantaine", "about 50"),
        ("centaine", "about 100"),
    ];
    for (fr, en) in approx {
        if lc.ends_with(fr) {
            return en.to_string();
        }
    }
    c.chars().filter(|ch| ch.is_ascii_digit()).collect()
}

fn unit_en(u: &str) -> &'static str {
    match u.to_lowercase().as_str() {
        "morts" | "victimes" => "dead",
        "tués" => "killed",
        "blessés" => "wounded",
        "véhicules" => "vehicles",
        "soldats" | "militaires" => "soldiers",
        "combattants" | "jihadistes" | "assaillants" => "fighters",
        "civils" => "civilians",
        "otages" => "hostages",
        "personnes" => "people",
        "déplacés" => "displaced",
        _ => "km",
    }
}

/// Figures such as « une trentaine de véhicules », « plus de 80 morts » in English, in text order,
/// without repeats.
pub fn figures(text: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    figure_re()
        .captures_iter(text)
        .filter_map(|c| {
            let q = c.get(1).map_or("", |m| m.as_str());
            let n = count_en(c.get(2)?.as_str());
            if n.is_empty() {
                return None;
            }
            let f = format!("{}{} {}", qualifier_en(q), n, unit_en(c.get(3)?.as_str()));
            seen.insert(f.clone()).then_some(f)
        })
        .collect()
}

/// Builds the English brief of a document from its entities (in text order) and text.
pub fn english_brief(text: &str, entities: &[Entity]) -> String {
    let mut seen = HashSet::new();
    let (mut actors, mut places, mut weapons) = (Vec::new(), Vec::new(), Vec::new());
    for e in entities {
        let key = e.canonical.as_ref().map_or_else(|| e.text.to_lowercase(), |c| c.id.clone());
        if !seen.insert(key) {
            continue;
        }
        let c = e.canonical.as_ref();
        let name = c.and_then(|c| c.name_en.clone()).filter(|s| !s.is_empty()).unwrap_or_else(|| e.text.clone());
        match e.label {
            Label::ArmedGroup => {
                let desc: Vec<String> = c
                    .map(|c| {
                        let kind = c.kind.as_deref().map(kind_en).map(str::to_string);
                        let country = c.country.as_deref().and_then(country_en).map(str::to_string);
                        kind.into_iter().chain(country).collect()
                    })
                    .unwrap_or_default();
                actors.push(if desc.is_empty() { name } else { format!("{name} ({})", desc.join(", ")) });
            }
            Label::Location => places.push(name),
            Label::Weapon => weapons.push(pluralise_en(&name)),
            _ => {}
        }
    }
    let mut parts = Vec::new();
    for (title, items) in [("Actors", actors), ("Places", places), ("Weapons", weapons)] {
        if !items.is_empty() {
            parts.push(format!("{title}: {}.", items.join(", ")));
        }
    }
    let figs = figures(text);
    if !figs.is_empty() {
        parts.push(format!("Figures: {}.", figs.join("; ")));
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_in_english() {
        let t = "composé d'une trentaine de véhicules. Plus de 80 morts, au moins 12 blessés, à 40 km de Gao; \
                 une quinzaine de véhicules, 1 500 déplacés, plus de 80 morts.";
        assert_eq!(
            figures(t),
            [
                "about 30 vehicles",
                "more than 80 dead",
                "at least 12 wounded",
                "40 km",
                "about 15 vehicles",
                "1500 displaced"
            ]
        );
        assert!(figures("Rien à signaler en 2024.").is_empty());
    }

    #[test]
    fn brief_from_the_seed_entities() {
        let annotator = crate::pipeline::default_annotator(None).unwrap();
        let text = "Le Front de libération de l'Azawad (FLA) a attaqué l'armée malienne et l'Africa Corps près \
                    d'Aguelhoc avec des mines artisanales, puis l'armée malienne a envoyé des drones et des avions \
                    de chasse. Le groupe Wagner avait perdu plus de 80 morts à Tinzaouatène.";
        let b = english_brief(text, &annotator.entities(text));
        assert!(b.starts_with("Actors: Azawad Liberation Front (separatist, Mali), Malian Armed Forces (state, Mali), Africa Corps (foreign force, Russia), Wagner"), "{b}");
        assert!(b.contains("Places: Aguelhok, Tinzaouaten."), "{b}");
        assert!(b.contains("drones") && b.contains("fighter jets"), "{b}");
        assert!(b.ends_with("Figures: more than 80 dead."), "{b}");
        assert_eq!(b.matches("Azawad Liberation Front").count(), 1, "FLA and its full name are one actor: {b}");
    }

    #[test]
    fn empty_when_nothing_known() {
        assert_eq!(english_brief("Rien.", &[]), "");
    }
}
