//! Silver training data for the conflict-domain labels.
//!
//! WikiNEuRal tags PER/ORG/LOC/MISC; the product needs ARMED_GROUP and WEAPON too. This module
//! relabels CoNLL sentences with the lexicons and a few context rules:
//!
//! * an ORG (or PER/LOC/MISC) span that a lexicon armed group covers or lies inside, or an ORG
//!   span whose words name a military body (« Armée rouge », « Wehrmacht », « Garde
//!   républicaine », « 2e division blindée »…), becomes `ARMED_GROUP`;
//! * a MISC span that a lexicon weapon overlaps becomes `WEAPON`;
//! * lexicon armed groups and weapons found on untagged words (« armée malienne », « dozos »,
//!   « chars », « drones ») are added (the lexicon's own context rules apply: « mine d'or » is
//!   not a weapon);
//! * PER → PERSON, LOC → LOCATION; everything else is kept.
//!
//! **Held-out entries**: with `holdout_every = N > 0`, lexicon entries whose id hashes to 0
//! modulo N are held out: every sentence mentioning one is dropped from the output, so the model
//! never sees them labelled and recall on them measures generalisation.
//!
//! Gold paragraphs in JSONL (`{"id","text","entities":[{"start","end","label"}]}`, code points)
//! are turned into the same CoNLL by [`jsonl_to_conll`] (sentences from the segmenter, words
//! from [`super::split_words`]).

use crate::doc::Label;
use crate::domain::lexicon::Lexicon;
use std::collections::HashSet;
use std::fmt::Write as _;

/// Settings of [`relabel_conll`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SilverConfig {
    /// Hold out the lexicon entries whose id hash is 0 modulo this (0 = none).
    pub holdout_every: u64,
}

impl Default for SilverConfig {
    fn default() -> Self {
        SilverConfig { holdout_every: 5 }
    }
}

/// What [`relabel_conll`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SilverStats {
    pub sentences_in: usize,
    pub sentences_out: usize,
    /// Sentences dropped because they mention a held-out lexicon entry.
    pub dropped_holdout: usize,
    pub relabelled_armed_group: usize,
    pub relabelled_weapon: usize,
    pub added_armed_group: usize,
    pub added_weapon: usize,
}

/// FNV-1a of the id: stable across runs and platforms.
fn id_hash(id: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in id.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// True when the lexicon entry `id` is held out of training with `every`.
pub fn is_held_out(id: &str, every: u64) -> bool {
    every > 0 && id_hash(id) % every == 0
}

/// Words (lowercase, accents kept) that make an ORG span a military body.
const MILITARY_HEADS: &[&str] = &[
    "armée",
    "armées",
    "army",
    "forces",
    "force",
    "brigade",
    "brigades",
    "régiment",
    "division",
    "bataillon",
    "légion",
    "milice",
    "milices",
    "garde",
    "corps",
    "escadron",
    "escadrille",
    "flotte",
    "flottille",
    "marine",
    "navy",
    "wehrmacht",
    "luftwaffe",
    "kriegsmarine",
    "reichswehr",
    "waffen-ss",
    "tsahal",
    "gendarmerie",
    "commando",
    "commandos",
    "guérilla",
    "maquis",
    "spetsnaz",
    "légionnaires",
    "airborne",
    "infanterie",
    "cavalerie",
    "artillerie",
    "panzer",
    "panzerdivision",
    "luftflotte",
];

/// ORG spans with these words are not military (« Forces vives », « Force ouvrière »…).
const NOT_MILITARY: &[&str] = &[
    "ouvrière",
    "vives",
    "démocratiques",
    "politique",
    "politiques",
    "nouvelles",
    "progrès",
    "parti",
    "union",
    "football",
    "club",
    "rugby",
    "fc",
    "sporting",
    "ballet",
    "musée",
    "salut",
    "jeunesse",
    "syndicat",
];

fn is_military_org(words: &[String]) -> bool {
    let lower: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
    let has_head = lower.iter().any(|w| MILITARY_HEADS.contains(&w.as_str()) || w.ends_with("e division"));
    let ordinal_unit = lower.windows(2).any(|p| {
        p[0].chars().next().is_some_and(|c| c.is_ascii_digit())
            && ["division", "régiment", "brigade", "bataillon", "armée", "corps", "escadron"].contains(&p[1].as_str())
    });
    (has_head || ordinal_unit) && !lower.iter().any(|w| NOT_MILITARY.contains(&w.as_str()))
}

/// A labelled word span `[start, end)` of a sentence.
pub type WordSpanL = (usize, usize, Label);

/// Relabels one sentence (`words` and its spans). `None` when the sentence mentions a held-out
/// entry and must be dropped.
pub fn relabel_sentence(
    lex: &Lexicon,
    words: &[String],
    spans: &[WordSpanL],
    cfg: &SilverConfig,
    stats: &mut SilverStats,
) -> Option<Vec<WordSpanL>> {
    // the sentence text with word byte ranges
    let mut text = String::new();
    let mut ranges = Vec::with_capacity(words.len());
    for (i, w) in words.iter().enumerate() {
        // « d' or » → « d'or »: elided words join the next one, as in running text
        if i > 0 && !words[i - 1].ends_with(['\'', '’']) {
            text.push(' ');
        }
        ranges.push(text.len()..text.len() + w.len());
        text.push_str(w);
    }
    let to_words = |s: usize, e: usize| -> Option<(usize, usize)> {
        let a = ranges.iter().position(|r| r.start == s)?;
        let b = ranges.iter().position(|r| r.end == e)?;
        (a <= b).then_some((a, b + 1))
    };
    let matches: Vec<(usize, usize, Label)> = lex
        .find(&text)
        .into_iter()
        .filter(|m| matches!(m.label, Label::ArmedGroup | Label::Weapon | Label::Location))
        .filter_map(|m| {
            if is_held_out(&m.canonical.id, cfg.holdout_every) {
                return Some(Err(()));
            }
            to_words(m.start_byte, m.end_byte).map(|(a, b)| Ok((a, b, m.label)))
        })
        .collect::<Result<_, ()>>()
        .ok()
        .or_else(|| {
            stats.dropped_holdout += 1;
            None
        })?;
    let mut out: Vec<WordSpanL> = Vec::new();
    for &(s, e, label) in spans {
        let overlapping: Vec<&(usize, usize, Label)> = matches.iter().filter(|m| m.0 < e && m.1 > s).collect();
        let new = match label {
            Label::Org | Label::Person | Label::Location | Label::Misc
                if overlapping.iter().any(|m| m.2 == Label::ArmedGroup && m.0 >= s && m.1 <= e)
                    && (label == Label::Org
                        || overlapping.iter().any(|m| m.2 == Label::ArmedGroup && (m.0, m.1) == (s, e))) =>
            {
                stats.relabelled_armed_group += 1;
                Label::ArmedGroup
            }
            Label::Org if is_military_org(&words[s..e]) => {
                stats.relabelled_armed_group += 1;
                Label::ArmedGroup
            }
            Label::Misc if overlapping.iter().any(|m| m.2 == Label::Weapon) => {
                stats.relabelled_weapon += 1;
                Label::Weapon
            }
            l => l,
        };
        out.push((s, e, new));
    }
    // lexicon armed groups and weapons on untagged words
    for &(s, e, label) in &matches {
        if label == Label::Location || out.iter().any(|o| o.0 < e && o.1 > s) {
            continue;
        }
        match label {
            Label::ArmedGroup => stats.added_armed_group += 1,
            _ => stats.added_weapon += 1,
        }
        out.push((s, e, label));
    }
    out.sort_by_key(|o| o.0);
    Some(out)
}

/// Spans of a BIO/IOB1 tag column (`B-X`, `I-X`, `O`); labels parsed with [`Label`]'s names.
pub fn tags_to_spans(tags: &[&str]) -> Result<Vec<WordSpanL>, String> {
    let mut out = Vec::new();
    let mut open: Option<(usize, Label)> = None;
    for (i, t) in tags.iter().enumerate() {
        let (prefix, label) = match t.split_once('-') {
            Some((p @ ("B" | "I"), l)) => (p, Some(l.parse::<Label>()?)),
            None if *t == "O" => ("O", None),
            _ => return Err(format!("bad tag {t:?}")),
        };
        let continues = prefix == "I" && open.is_some_and(|(_, l)| Some(l) == label);
        if !continues {
            if let Some((s, l)) = open.take() {
                out.push((s, i, l));
            }
            if let Some(l) = label {
                open = Some((i, l));
            }
        }
    }
    if let Some((s, l)) = open {
        out.push((s, tags.len(), l));
    }
    Ok(out)
}

fn write_sentence(out: &mut String, words: &[String], spans: &[WordSpanL]) {
    let mut tags = vec!["O".to_string(); words.len()];
    for &(s, e, l) in spans {
        for (k, t) in tags.iter_mut().enumerate().take(e).skip(s) {
            *t = format!("{}-{}", if k == s { "B" } else { "I" }, l.as_str());
        }
    }
    for (w, t) in words.iter().zip(tags) {
        let _ = writeln!(out, "{w}\t{t}");
    }
    out.push('\n');
}

/// Relabels a CoNLL file's text (token, tag per line; blank line between sentences).
pub fn relabel_conll(lex: &Lexicon, conll: &str, cfg: &SilverConfig) -> Result<(String, SilverStats), String> {
    let mut stats = SilverStats::default();
    let mut out = String::new();
    let mut words: Vec<String> = Vec::new();
    let mut tags: Vec<String> = Vec::new();
    let mut flush = |words: &mut Vec<String>, tags: &mut Vec<String>, out: &mut String, line: usize| {
        if words.is_empty() {
            return Ok(());
        }
        stats.sentences_in += 1;
        let t: Vec<&str> = tags.iter().map(String::as_str).collect();
        let spans = tags_to_spans(&t).map_err(|e| format!("sentence ending at line {line}: {e}"))?;
        if let Some(new) = relabel_sentence(lex, words, &spans, cfg, &mut stats) {
            stats.sentences_out += 1;
            write_sentence(out, words, &new);
        }
        words.clear();
        tags.clear();
        Ok::<(), String>(())
    };
    for (i, line) in conll.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            flush(&mut words, &mut tags, &mut out, i)?;
            continue;
        }
        let cols: Vec<&str> =
            if line.contains('\t') { line.split('\t').collect() } else { line.split_whitespace().collect() };
        match cols.as_slice() {
            [w, .., t] if !w.trim().is_empty() => {
                if *w == "-DOCSTART-" {
                    continue;
                }
                words.push(w.trim().to_string());
                tags.push(t.trim().to_string());
            }
            _ => return Err(format!("line {}: expected TOKEN<TAB>TAG, got {line:?}", i + 1)),
        }
    }
    let end = conll.lines().count();
    flush(&mut words, &mut tags, &mut out, end)?;
    Ok((out, stats))
}

/// Gold JSONL paragraphs → CoNLL sentences (words from the NER word splitter, sentences from the
/// segmenter). Entities that do not fall on word boundaries are reported as errors.
pub fn jsonl_to_conll(jsonl: &str) -> Result<(String, usize), String> {
    #[derive(serde::Deserialize)]
    struct Ent {
        start: usize,
        end: usize,
        label: String,
    }
    #[derive(serde::Deserialize)]
    struct Para {
        text: String,
        entities: Vec<Ent>,
    }
    let mut out = String::new();
    let mut n = 0;
    for (i, line) in jsonl.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let p: Para = serde_json::from_str(line).map_err(|e| format!("line {}: {e}", i + 1))?;
        let byte = |c: usize| crate::text::offsets::byte_offset(&p.text, c);
        let mut ents: Vec<(usize, usize, Label)> = Vec::new();
        for e in &p.entities {
            ents.push((
                byte(e.start),
                byte(e.end),
                e.label.parse::<Label>().map_err(|m| format!("line {}: {m}", i + 1))?,
            ));
        }
        let mut used: HashSet<usize> = HashSet::new();
        for sent in crate::text::segment::segment(&p.text) {
            let ranges = super::split_words(&p.text, sent.clone());
            if ranges.is_empty() {
                continue;
            }
            let words: Vec<String> = ranges.iter().map(|r| p.text[r.clone()].to_string()).collect();
            let mut spans = Vec::new();
            for (k, &(s, e, l)) in ents.iter().enumerate() {
                if s < sent.start || e > sent.end {
                    continue;
                }
                let a = ranges.iter().position(|r| r.start == s);
                let b = ranges.iter().position(|r| r.end == e);
                match (a, b) {
                    (Some(a), Some(b)) if a <= b => {
                        spans.push((a, b + 1, l));
                        used.insert(k);
                    }
                    _ => return Err(format!("line {}: entity {:?} is not on word boundaries", i + 1, &p.text[s..e])),
                }
            }
            spans.sort_by_key(|s| s.0);
            write_sentence(&mut out, &words, &spans);
            n += 1;
        }
        if used.len() != ents.len() {
            return Err(format!("line {}: an entity spans two sentences", i + 1));
        }
    }
    Ok((out, n))
}

/// Sentence frames of the synthetic generator. Slots: `{AG}` a lexicon armed group, `{NEW}` a
/// composed armed-group name the lexicon does not know, `{NAME}` a bare invented name tagged as an
/// armed group (« la milice {NAME} »), `{LOC}` a lexicon place, `{WPS}` / `{WP1}` a plural /
/// singular weapon, `{PER}` a person, `{N}` a number. Frames without a group teach negatives
/// (« des hommes armés », « les rebelles », « mine d'or »).
const FRAMES: &[&str] = &[
    "{AG} a revendiqué l'attaque menée jeudi contre un poste militaire à {LOC}.",
    "Des combattants de {AG} ont tendu une embuscade à un convoi près de {LOC}, selon des sources sécuritaires.",
    "{AG} affirme avoir abattu un {WP1} au-dessus de {LOC}.",
    "L'attaque, attribuée à {AG}, a fait {N} morts dans la région de {LOC}.",
    "Selon l'état-major, {AG} a utilisé des {WPS} et des {WPS} lors de l'assaut contre {LOC}.",
    "Les affrontements entre {AG} et {AG} se poursuivent autour de {LOC}.",
    "{NEW}, un groupe armé apparu l'an dernier, contrôle plusieurs villages autour de {LOC}.",
    "Les combattants de {NEW} ont attaqué {LOC} à l'aube avec des {WPS}, faisant {N} morts.",
    "Des hommes armés ont attaqué le marché de {LOC} ; aucune revendication n'a été publiée.",
    "Les rebelles se sont retirés de {LOC} après des frappes de {WPS}.",
    "La milice {NAME} a pris le contrôle de {LOC}, chassant les soldats de {AG}.",
    "{PER}, un commandant de {AG}, a été tué par une frappe de {WP1} près de {LOC}.",
    "Le convoi transportait des {WPS} et des munitions destinés à {AG}, selon un rapport de l'ONU.",
    "À {LOC}, des habitants accusent {AG} d'avoir incendié des maisons.",
    "L'exploitation de la mine d'or de {LOC} a repris après le départ des soldats.",
    "{AG} dit avoir saisi {N} {WPS} lors d'une opération menée à {LOC}.",
    "Un {WP1} s'est écrasé près de {LOC}, a indiqué un porte-parole de {AG}.",
    "Le groupe armé {NAME} a revendiqué l'enlèvement de {N} civils près de {LOC}.",
    "{NEW} accuse {AG} d'avoir bombardé {LOC} avec des {WPS}.",
    "Des jihadistes présumés ont tué {N} villageois à {LOC}, selon des élus locaux.",
    "Les {WPS} de {AG} ont visé des dépôts de carburant à {LOC} dans la nuit.",
    "{PER} a annoncé que {AG} avait repris {LOC} après trois jours de combats.",
    "Une coalition formée par {NEW} et {AG} revendique le contrôle de la route entre {LOC} et {LOC}.",
    "Les soldats ont découvert un stock de {WPS} dans une maison de {LOC}.",
    "La population de {LOC} a fui vers {LOC} après l'arrivée de {AG}.",
    "Un drone de livraison a transporté des médicaments jusqu'à {LOC}, se félicite {PER}.",
    "{N} militaires ont été blessés par l'explosion d'un {WP1} sur l'axe menant à {LOC}.",
    "{AG} et {NEW} ont signé un cessez-le-feu à {LOC} sous l'égide de {PER}.",
    "Les unités de {NEW} sont équipées de {WPS} récupérés sur {AG}.",
    "Le chef de {NEW}, {PER}, a été arrêté à {LOC}.",
];

const NEW_PATTERNS: &[&str] = &[
    "Front de libération du {P}",
    "Front patriotique de {P}",
    "Forces de défense du {P}",
    "Forces populaires de {P}",
    "Armée de libération de {P}",
    "Brigade des martyrs de {P}",
    "Mouvement armé pour le salut du {P}",
    "Coalition des patriotes de {P}",
    "Brigade {X}",
    "Bataillon {X}",
    "Groupe d'autodéfense de {P}",
    "Résistance armée de {P}",
    "{X} Warriors",
    "Jeish {X}",
    "Kataeb {X}",
];

const SYLLABLES: &[&str] = &[
    "ka", "lo", "mba", "ti", "gui", "la", "ngo", "ro", "sa", "du", "kou", "ma", "ba", "ra", "ni", "to", "wa", "ze",
    "fa", "bi", "sho", "ya", "gan", "dor", "mel", "kir", "zan", "tam", "oul", "har",
];

const FIRST_NAMES: &[&str] = &[
    "Amadou",
    "Moussa",
    "Ibrahim",
    "Oumar",
    "Fatoumata",
    "Jean-Pierre",
    "Olena",
    "Dmytro",
    "Ahmed",
    "Youssef",
    "Mariam",
    "Joseph",
    "Emmanuel",
    "Abdelkader",
    "Hassan",
    "Aïcha",
    "Pierre",
    "Kofi",
    "Salif",
    "Iryna",
];
const LAST_NAMES: &[&str] = &[
    "Traoré",
    "Diallo",
    "Koné",
    "Bakari",
    "Mukendi",
    "Kovalenko",
    "Haddad",
    "Al-Masri",
    "Ouedraogo",
    "Tshibanda",
    "Mahamat",
    "Kamara",
    "Shevchenko",
    "Nkurunziza",
    "Cissé",
    "Ag Ghaly",
    "Lumbala",
    "Abdallah",
    "Sawadogo",
    "Moreau",
];

/// Small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545F4914F6CDD1D)
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[(self.next() % v.len() as u64) as usize]
    }
}

fn invented_name(rng: &mut Rng) -> String {
    let n = 2 + (rng.next() % 2) as usize;
    let s: String = (0..n).map(|_| *rng.pick(SYLLABLES)).collect();
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// A lowercase surface gets an article (« l'armée malienne », « les dozos »); names keep none.
fn with_article(s: &str) -> (String, usize) {
    if !s.starts_with(|c: char| c.is_lowercase()) {
        return (s.to_string(), 0);
    }
    let art = if s.starts_with(['a', 'e', 'é', 'i', 'o', 'u', 'h']) {
        "l'"
    } else if s.split(' ').next().is_some_and(|w| w.ends_with('s') || w.ends_with('x')) {
        "les "
    } else {
        "la "
    };
    (format!("{art}{s}"), art.len())
}

/// Generates `n` synthetic sentences as gold JSONL-like records (text, code-point entities)
/// from [`FRAMES`], the lexicon's surface forms (held-out entries excluded) and invented names.
pub fn synthetic_jsonl(lex: &Lexicon, n: usize, seed: u64, holdout_every: u64) -> String {
    let mut groups: Vec<&str> = Vec::new();
    let mut places: Vec<&str> = Vec::new();
    let (mut plural, mut singular): (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());
    for (label, c, s) in lex.surface_forms() {
        if is_held_out(&c.id, holdout_every) || s.chars().count() < 2 {
            continue;
        }
        match label {
            Label::ArmedGroup => groups.push(s),
            Label::Location if s.starts_with(|ch: char| ch.is_uppercase()) => places.push(s),
            Label::Weapon if s.ends_with(['s', 'x']) => plural.push(s),
            Label::Weapon => singular.push(s),
            _ => {}
        }
    }
    let mut rng = Rng(seed.wrapping_mul(0x9E3779B97F4A7C15) | 1);
    let mut out = String::new();
    for i in 0..n {
        let frame = *rng.pick(FRAMES);
        let mut text = String::new();
        let mut ents: Vec<serde_json::Value> = Vec::new();
        let mut rest = frame;
        while let Some(open) = rest.find('{') {
            text.push_str(&rest[..open]);
            let close = open + rest[open..].find('}').expect("frames are well formed");
            let slot = &rest[open + 1..close];
            rest = &rest[close + 1..];
            let (surface, skip, label) = match slot {
                "AG" => {
                    let (s, k) = with_article(*rng.pick(&groups[..]));
                    (s, k, Some(Label::ArmedGroup))
                }
                "NEW" => {
                    let pat = *rng.pick(NEW_PATTERNS);
                    let s = pat.replace("{P}", *rng.pick(&places[..])).replace("{X}", &invented_name(&mut rng));
                    (s, 0, Some(Label::ArmedGroup))
                }
                "NAME" => (invented_name(&mut rng), 0, Some(Label::ArmedGroup)),
                "LOC" => (rng.pick(&places[..]).to_string(), 0, Some(Label::Location)),
                "WPS" => (rng.pick(&plural[..]).to_string(), 0, Some(Label::Weapon)),
                "WP1" => (rng.pick(&singular[..]).to_string(), 0, Some(Label::Weapon)),
                "PER" => (format!("{} {}", rng.pick(FIRST_NAMES), rng.pick(LAST_NAMES)), 0, Some(Label::Person)),
                _ => ((2 + rng.next() % 60).to_string(), 0, None),
            };
            let mut surface = surface;
            if text.is_empty() {
                // sentence start: capitalise the article or the word
                let mut c = surface.chars();
                if let Some(f) = c.next() {
                    surface = f.to_uppercase().chain(c).collect();
                }
            }
            if let Some(l) = label {
                let start = text.chars().count() + surface[..skip].chars().count();
                let end = text.chars().count() + surface.chars().count();
                ents.push(serde_json::json!({"start": start, "end": end, "label": l.as_str()}));
            }
            text.push_str(&surface);
        }
        text.push_str(rest);
        let _ = writeln!(out, "{}", serde_json::json!({"id": format!("syn-{i}"), "text": text, "entities": ents}));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn relabels_org_misc_and_adds_lexicon_entities() {
        let lex = Lexicon::builtin().unwrap();
        let cfg = SilverConfig { holdout_every: 0 };
        let mut st = SilverStats::default();
        let w = words("L' Armée rouge et les FAMa ont tiré des roquettes près de Gao .");
        let spans = vec![(1, 3, Label::Org), (12, 13, Label::Location)];
        let out = relabel_sentence(&lex, &w, &spans, &cfg, &mut st).unwrap();
        assert_eq!(
            out,
            vec![
                (1, 3, Label::ArmedGroup),
                (5, 6, Label::ArmedGroup),
                (9, 10, Label::Weapon),
                (12, 13, Label::Location)
            ]
        );
        // a party is not an army; gold mines are not weapons
        let w = words("Le Front national visite la mine d' or de Sadiola .");
        let out = relabel_sentence(&lex, &w, &[(1, 3, Label::Org), (9, 10, Label::Location)], &cfg, &mut st).unwrap();
        assert_eq!(out, vec![(1, 3, Label::Org), (9, 10, Label::Location)]);
    }

    #[test]
    fn held_out_entries_drop_their_sentences() {
        let lex = Lexicon::builtin().unwrap();
        let w = words("Les FAMa patrouillent .");
        let mut st = SilverStats::default();
        let every = (1..50).find(|&n| is_held_out("ag:fama", n)).unwrap();
        assert!(relabel_sentence(&lex, &w, &[], &SilverConfig { holdout_every: every }, &mut st).is_none());
        assert_eq!(st.dropped_holdout, 1);
        let keep = (2..50).find(|&n| !is_held_out("ag:fama", n)).unwrap();
        assert!(relabel_sentence(&lex, &w, &[], &SilverConfig { holdout_every: keep }, &mut st).is_some());
    }

    #[test]
    fn bio_round_trip_and_errors() {
        assert_eq!(
            tags_to_spans(&["B-PER", "I-PER", "O", "I-LOC", "B-LOC", "B-LOC"]).unwrap(),
            vec![(0, 2, Label::Person), (3, 4, Label::Location), (4, 5, Label::Location), (5, 6, Label::Location)]
        );
        assert!(tags_to_spans(&["B-XYZ"]).is_err());
        let lex = Lexicon::builtin().unwrap();
        let (out, st) =
            relabel_conll(&lex, "Les\tO\nFAMa\tB-ORG\n\nà\tO\nGao\tB-LOC\n", &SilverConfig { holdout_every: 0 })
                .unwrap();
        assert_eq!(out, "Les\tO\nFAMa\tB-ARMED_GROUP\n\nà\tO\nGao\tB-LOCATION\n\n");
        assert_eq!((st.sentences_in, st.sentences_out), (2, 2));
        assert!(relabel_conll(&lex, "word\tX-PER\n", &SilverConfig::default()).is_err());
    }

    #[test]
    fn synthetic_sentences_are_valid_gold_and_skip_held_out_entries() {
        let lex = Lexicon::builtin().unwrap();
        let j = synthetic_jsonl(&lex, 300, 7, 5);
        assert_eq!(j, synthetic_jsonl(&lex, 300, 7, 5), "deterministic");
        let (conll, n) = jsonl_to_conll(&j).unwrap();
        assert!(n >= 300, "{n}");
        assert!(conll.contains("B-ARMED_GROUP") && conll.contains("B-WEAPON") && conll.contains("B-LOCATION"));
        for line in j.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let text: Vec<char> = v["text"].as_str().unwrap().chars().collect();
            for e in v["entities"].as_array().unwrap() {
                let (s, e) = (e["start"].as_u64().unwrap() as usize, e["end"].as_u64().unwrap() as usize);
                let span: String = text[s..e].iter().collect();
                assert!(!span.starts_with(' ') && !span.ends_with(' ') && !span.is_empty(), "{span:?}");
                // held-out entries never appear as a lexicon match in generated text
                for m in lex.find(&span) {
                    assert!(!is_held_out(&m.canonical.id, 5) || m.label == Label::Location, "{span}");
                }
            }
        }
    }

    #[test]
    fn gold_jsonl_to_conll() {
        let j = r#"{"id":"x","text":"Le FLA attaque. Les drones frappent Kidal.","entities":[{"start":3,"end":6,"label":"ARMED_GROUP"},{"start":20,"end":26,"label":"WEAPON"},{"start":36,"end":41,"label":"LOCATION"}]}"#;
        let (c, n) = jsonl_to_conll(j).unwrap();
        assert_eq!(n, 2);
        assert_eq!(c, "Le\tO\nFLA\tB-ARMED_GROUP\nattaque\tO\n.\tO\n\nLes\tO\ndrones\tB-WEAPON\nfrappent\tO\nKidal\tB-LOCATION\n.\tO\n\n");
        let bad = r#"{"id":"x","text":"Le FLA attaque.","entities":[{"start":3,"end":5,"label":"ARMED_GROUP"}]}"#;
        assert!(jsonl_to_conll(bad).unwrap_err().contains("word boundaries"));
    }
}
