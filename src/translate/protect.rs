//! Entity protection: entity spans are replaced by placeholders before translation and by their
//! English names after, so « Front de libération de l'Azawad » becomes "Azawad Liberation Front"
//! and « FAMa » stays "FAMa", whatever the backend does with the words.

use crate::doc::{Entity, Label};

/// A span of the source (bytes) and what must stand for it in the English output.
#[derive(Debug, Clone, PartialEq)]
pub struct Protection {
    pub start_byte: usize,
    pub end_byte: usize,
    pub english: String,
}

/// Source text with placeholders, and what each placeholder stands for.
#[derive(Debug, Clone, PartialEq)]
pub struct Protected {
    pub text: String,
    english: Vec<String>,
}

/// Placeholder `i`: a made-up token Apertium passes through unchanged (checked in tests).
fn placeholder(i: usize) -> String {
    format!("Vq{i}x")
}

/// Replaces the spans (sorted, non-overlapping, on char boundaries) by placeholders.
pub fn protect(text: &str, spans: &[Protection]) -> Protected {
    let mut out = String::with_capacity(text.len());
    let mut english = Vec::new();
    let mut pos = 0;
    for p in spans {
        if p.start_byte < pos
            || p.end_byte > text.len()
            || !text.is_char_boundary(p.start_byte)
            || !text.is_char_boundary(p.end_byte)
        {
            continue; // overlapping or invalid: left to the translator
        }
        out.push_str(&text[pos..p.start_byte]);
        out.push_str(&placeholder(english.len()));
        english.push(p.english.clone());
        pos = p.end_byte;
    }
    out.push_str(&text[pos..]);
    Protected { text: out, english }
}

/// Puts the English names back; returns the text and how many placeholders were restored (a
/// placeholder the translator dropped or changed cannot be).
pub fn restore(translated: &str, p: &Protected) -> (String, usize) {
    let mut s = translated.to_string();
    let mut restored = 0;
    // Highest index first, so "Vq1x" never matches inside "Vq11x".
    for (i, en) in p.english.iter().enumerate().rev() {
        let ph = placeholder(i);
        if s.contains(&ph) {
            s = s.replace(&ph, en);
            restored += 1;
        }
    }
    (s, restored)
}

/// The protection for an entity, when its English form is known: acronyms stay as written; other
/// names take `canonical.name_en`, pluralised when the French mention is plural and the canonical
/// name is not (« avions de chasse » → "fighter jets"). Entities without a canonical identity are
/// left to the translator.
pub fn protection_for(e: &Entity) -> Option<Protection> {
    let keep = |s: &str| Some(Protection { start_byte: e.start_byte, end_byte: e.end_byte, english: s.to_string() });
    let canonical = e.canonical.as_ref()?;
    if is_acronym(&e.text) {
        return keep(&e.text);
    }
    let en = canonical.name_en.as_deref().filter(|s| !s.is_empty())?;
    if e.label == Label::Weapon && is_plural_fr(&e.text) && !is_plural_fr(&canonical.name) {
        return keep(&pluralise_en(en));
    }
    keep(en)
}

/// « FAMa », « MNLA », « M23 », « al-FAMa »: one word, all letters uppercase or one part of it
/// with two or more capitals. « États-Unis » (two capitalised parts) is a name, not an acronym.
fn is_acronym(text: &str) -> bool {
    if text.contains(char::is_whitespace) || !text.contains(char::is_alphabetic) {
        return false;
    }
    text.chars().filter(|c| c.is_alphabetic()).all(char::is_uppercase)
        || text.split(['-', '\'', '’']).any(|part| part.chars().filter(|c| c.is_uppercase()).count() >= 2)
}

fn is_plural_fr(s: &str) -> bool {
    let head = s.split([' ', '-']).next().unwrap_or("").to_lowercase();
    head.ends_with('s') || head.ends_with('x')
}

pub(crate) fn pluralise_en(s: &str) -> String {
    let lower = s.to_lowercase();
    if lower.ends_with('s') {
        s.to_string()
    } else if lower.ends_with('y') && !lower.ends_with("ay") && !lower.ends_with("ey") {
        format!("{}ies", &s[..s.len() - 1])
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protect_and_restore() {
        let t = "Le FLA a attaqué l'armée malienne.";
        let spans = [
            Protection { start_byte: 3, end_byte: 6, english: "FLA".into() },
            Protection { start_byte: 20, end_byte: 35, english: "Malian Armed Forces".into() },
        ];
        let p = protect(t, &spans);
        assert_eq!(p.text, "Le Vq0x a attaqué l'Vq1x.");
        let (en, n) = restore("The Vq0x attacked the Vq1x.", &p);
        assert_eq!((en.as_str(), n), ("The FLA attacked the Malian Armed Forces.", 2));
        let (_, n) = restore("The attacked.", &p);
        assert_eq!(n, 0);
    }

    #[test]
    fn many_placeholders_do_not_collide() {
        let text = "a ".repeat(12);
        let spans: Vec<Protection> =
            (0..12).map(|i| Protection { start_byte: 2 * i, end_byte: 2 * i + 1, english: format!("E{i}") }).collect();
        let p = protect(&text, &spans);
        let (en, n) = restore(&p.text, &p);
        assert_eq!(n, 12);
        assert_eq!(en, (0..12).map(|i| format!("E{i} ")).collect::<String>());
    }

    #[test]
    fn invalid_spans_are_skipped() {
        let p = protect("été", &[Protection { start_byte: 1, end_byte: 2, english: "x".into() }]);
        assert_eq!(p.text, "été");
    }

    #[test]
    fn acronyms() {
        for a in ["FAMa", "MNLA", "M23", "JNIM", "al-FAMa", "RSF", "l'EIGS"] {
            assert!(is_acronym(a), "{a}");
        }
        for n in ["États-Unis", "Etats-Unis", "Aguelhoc", "Boko Haram", "Haut-Karabakh", "Tombouctou", "23", ""] {
            assert!(!is_acronym(n), "{n}");
        }
    }

    #[test]
    fn plural_english() {
        assert_eq!(pluralise_en("fighter jet"), "fighter jets");
        assert_eq!(pluralise_en("IED"), "IEDs");
        assert_eq!(pluralise_en("heavy weapons"), "heavy weapons");
        assert!(is_plural_fr("avions de chasse") && !is_plural_fr("avion de chasse"));
    }
}
