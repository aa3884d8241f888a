//! Combining taggers and resolving entities within a document.
//!
//! [`combine`] takes the spans of each tagger, in precedence order (lexicon first, then the
//! model), and applies these rules, in this order:
//!
//! 1. **Precedence**: a later tagger's span that overlaps no earlier span is added if it is
//!    plausible on its own ([`plausible_alone`]: an ARMED_GROUP must look like a name or an
//!    « armée/forces … » phrase, a WEAPON must contain a named system). One that
//!    overlaps earlier spans replaces them only when it has their label (ARMED_GROUP or WEAPON),
//!    contains them all, and every word it adds is a capitalised name or a model number
//!    (« Maï-Maï Kifuafua » over « Maï-Maï », « drones Bayraktar TB2 » over « drones » + « TB2 »);
//!    it then takes the canonical identity of the longest span it replaces. Otherwise the
//!    earlier (lexicon) span wins: it carries a canonical identity.
//! 2. **Weapon systems**: a WEAPON span directly followed (one space) by a WEAPON span that starts
//!    with a capital or a digit is one span (« missiles Kornet », « fusils M16 »); the named
//!    system's identity is kept.
//! 3. **Guideline trimming**: LOCATION spans lose a leading administrative or geographic noun
//!    (« État de Borno » → « Borno », « région de Koursk » → « Koursk », « bande de Gaza » →
//!    « Gaza ») and a trailing nationality adjective (« Kurdistan irakien » → « Kurdistan »);
//!    a bare « État » is dropped. ARMED_GROUP spans lose a leading lower-case generic noun
//!    (« milices Fano » → « Fano », « unité Kraken », « opération Mirador », « branche armée du
//!    Hamas » → « Hamas »).
//! 4. **Topic**: in a document of 25 words or more with no lexicon armed group and fewer than two
//!    military cue words, generic weapon words and model-only armed groups are dropped
//!    ([`gate_by_topic`]); shorter texts (a headline, one sentence) are not judged.
//! 5. **Within the document**: a name followed by an acronym in parentheses (« Convention pour
//!    la révolution populaire (CRP) ») makes both one identity: the acronym is tagged if the
//!    taggers missed it, and they share the canonical identity when one has it. Every later
//!    whole-word occurrence of a tagged capitalised name or acronym is tagged too (source
//!    `document`), and mentions with the same text and label share a canonical identity.

use super::names::{self, described_as_org, floor_char_boundary, lower_words, FEATURE_HEADS};
use crate::doc::{Label, Source};
use crate::ner::Span;
use std::collections::HashMap;

/// Combines tagger outputs (earlier = higher precedence) into one sorted, non-overlapping list.
pub fn combine(text: &str, layers: Vec<Vec<Span>>) -> Vec<Span> {
    let key = |s: &Span| (s.start_byte, s.end_byte);
    let mut acc: Vec<Span> = Vec::new();
    for (i, layer) in layers.into_iter().enumerate() {
        if i == 0 {
            acc = layer;
            acc.sort_by_key(key);
            continue;
        }
        // `acc` is sorted and non-overlapping, and so is each layer: the overlaps of a span are
        // one run of `acc`, found by binary search; decisions are applied once per layer.
        let mut removed = vec![false; acc.len()];
        let mut added: Vec<Span> = Vec::new();
        for s in layer {
            let first = acc.partition_point(|a| a.end_byte <= s.start_byte);
            let last = acc.partition_point(|a| a.start_byte < s.end_byte);
            let over = first..last.max(first);
            if over.is_empty() {
                let s = retype_organisation(text, s);
                if plausible_alone(text, &s) {
                    added.push(s);
                }
            } else if extends_names(text, &s, acc[over.clone()].iter()) {
                let canonical = acc[over.clone()]
                    .iter()
                    .max_by_key(|a| a.end_byte - a.start_byte)
                    .and_then(|a| a.canonical.clone());
                over.for_each(|k| removed[k] = true);
                added.push(Span { canonical, ..s });
            }
        }
        let mut kept: Vec<Span> = acc.into_iter().zip(removed).filter(|(_, r)| !r).map(|(s, _)| s).collect();
        kept.extend(added);
        kept.sort_by_key(key);
        acc = kept;
    }
    let acc = names::join_fragments(text, acc);
    let acc = merge_weapon_systems(text, acc);
    let acc: Vec<Span> = acc.into_iter().filter_map(|s| trim(text, s)).filter_map(|s| hygiene(text, s)).collect();
    let acc = acc.into_iter().map(|s| described_weapon(text, s)).collect();
    let acc = names::organisation_phrases(text, acc, armed_cue);
    let acc = names::role_persons(text, acc, armed_cue);
    let acc = names::drop_portfolios(text, acc);
    let acc = gate_by_topic(text, acc);
    resolve_document(text, acc)
}

/// First words (lower case) of a non-armed organisation's name: a model-only ARMED_GROUP span
/// that starts with one and has no armed cue ([`ARMED_CUES`]) is an ORG (« Radio Bamakan »,
/// « Association des éleveurs du Sahel », « Observatoire syrien des droits de l'homme »).
const ORG_HEADS: &[&str] = &[
    "agence",
    "radio",
    "radios",
    "télévision",
    "télé",
    "tv",
    "journal",
    "quotidien",
    "hebdomadaire",
    "chaîne",
    "association",
    "fondation",
    "organisation",
    "ong",
    "fédération",
    "confédération",
    "institut",
    "université",
    "hôpital",
    "clinique",
    "centre",
    "banque",
    "société",
    "compagnie",
    "entreprise",
    "conseil",
    "commission",
    "comité",
    "haut-commissariat",
    "programme",
    "fonds",
    "bureau",
    "cour",
    "tribunal",
    "parti",
    "syndicat",
    "observatoire",
    "office",
    "assemblée",
    "parlement",
    "sénat",
    "gouvernement",
    "présidence",
    "primature",
    "ministère",
    "direction",
    "coordination",
    "collectif",
    "ligue",
    "club",
    "académie",
    "ambassade",
    "consulat",
    "caisse",
    "administration",
    "projet",
    "consortium",
    "autorité",
    "croix-rouge",
    "croissant-rouge",
    "médecins",
    "reporters",
    "amnesty",
    "human",
];
/// Heads that make an ORG whatever follows (« ministère de la Défense » is not an army).
const ORG_HEADS_ALWAYS: &[&str] = &["ministère", "ambassade", "consulat", "primature", "présidence"];
/// Words (lower case) that say a name is an armed body (« Front », « Forces », « Brigade »…).
const ARMED_CUES: &[&str] = &[
    "armée",
    "armées",
    "armé",
    "armés",
    "force",
    "forces",
    "militaire",
    "militaires",
    "brigade",
    "brigades",
    "bataillon",
    "bataillons",
    "milice",
    "milices",
    "katiba",
    "front",
    "libération",
    "résistance",
    "jihad",
    "djihad",
    "moudjahidine",
    "moudjahidines",
    "combattants",
    "rebelle",
    "rebelles",
    "défense",
    "autodéfense",
    "gendarmerie",
    "police",
    "garde",
    "gardes",
    "guerre",
    "patriotes",
    "ansar",
    "jamaat",
    "islamique",
    "coalition",
    "mouvement",
    "révolutionnaire",
    "révolutionnaires",
    "commandos",
    "commando",
    "légion",
    "division",
    "régiment",
    "escadron",
    "wagner",
    "sentinelles",
    "vigilance",
    "salut",
];

fn armed_cue(w: &str) -> bool {
    ARMED_CUES.contains(&w)
}

/// A model-only ARMED_GROUP span named like a non-armed organisation becomes ORG (type decision;
/// the lexicons' organisations already win over the model by precedence).
///
/// Without an armed cue in the name, the words before it decide: an organisation is quoted or
/// described (« selon X », « l'agence X », « la compagnie X », « cité par X »), an armed group
/// fights (« attaque de X », « combattants de X »).
fn retype_organisation(text: &str, mut s: Span) -> Span {
    // « selon le projet Cabo Ligado »: a described name is no place either
    if s.label == Label::Location
        && is_name_word(&text[s.start_byte..s.end_byte])
        && described_as_org(text, s.start_byte)
    {
        s.label = Label::Org;
        s.canonical = None;
        return s;
    }
    if s.label != Label::ArmedGroup {
        return s;
    }
    let words = lower_words(&text[s.start_byte..s.end_byte]);
    let Some(first) = words.first() else { return s };
    let armed = words.iter().any(|w| ARMED_CUES.contains(&w.as_str()));
    let org = ORG_HEADS_ALWAYS.contains(&first.as_str())
        || (!armed
            && (ORG_HEADS.contains(&first.as_str())
                || described_as_org(text, s.start_byte)
                || org_context(text, s.start_byte, s.end_byte)));
    if org {
        s.label = Label::Org;
        s.canonical = None;
    }
    s
}

/// A weapon word written as a name and described as an organisation is that organisation (« le
/// groupe familial français Roquette »).
fn described_weapon(text: &str, mut s: Span) -> Span {
    let surface = &text[s.start_byte..s.end_byte];
    if s.label == Label::Weapon
        && !surface.contains(' ')
        && is_name_word(surface)
        && described_as_org(text, s.start_byte)
    {
        s.label = Label::Org;
        s.canonical = None;
    }
    s
}

/// Words just before a name (up to [`CONTEXT_WINDOW`] words, within its sentence) that say it is
/// a non-armed organisation: a source, a company, a medium, an NGO.
const ORG_CONTEXT_BEFORE: &[&str] = &[
    "selon",
    "d'après",
    "agence",
    "agences",
    "compagnie",
    "société",
    "entreprise",
    "firme",
    "groupe",
    "ong",
    "organisation",
    "association",
    "fondation",
    "quotidien",
    "journal",
    "hebdomadaire",
    "chaîne",
    "site",
    "radio",
    "télévision",
    "média",
    "médias",
    "réseau",
    "plateforme",
    "application",
    "cabinet",
    "transporteur",
    "opérateur",
    "armateur",
    "assureur",
    "cité",
    "citée",
    "cités",
    "citées",
    "rapporté",
    "rapporte",
    "indiqué",
    "indique",
    "annoncé",
    "publié",
    "relayé",
    "diffusé",
    "interrogé",
    "contacté",
    "joint",
    "auprès",
    "institut",
    "centre",
    "programme",
    "projet",
    "mine",
    "minier",
    "minière",
    "pétrolier",
    "pétrolière",
    "aérienne",
    "humanitaire",
    "humanitaires",
    "partenaires",
    "bailleurs",
    "consortium",
    "hôpital",
    "clinique",
    "sur",
];
/// Words around a name that say it fights: they keep ARMED_GROUP.
/// Words right after a name that say it fights (« X a revendiqué »); « X accuse les
/// combattants » does not.
const ARMED_CONTEXT_AFTER: &[&str] =
    &["revendiqué", "revendique", "revendiquée", "attaqué", "attaquent", "attaque", "tué", "enlevé", "pris"];
const ARMED_CONTEXT: &[&str] = &[
    "attaque",
    "attaques",
    "attaqué",
    "attaquée",
    "combattants",
    "combattant",
    "revendiqué",
    "revendiquée",
    "revendique",
    "éléments",
    "miliciens",
    "rebelles",
    "jihadistes",
    "djihadistes",
    "insurgés",
    "assaillants",
    "affrontements",
    "combats",
    "embuscade",
    "offensive",
    "contrôle",
    "bastion",
    "fief",
    "chef",
    "commandant",
    "positions",
    "hommes",
    "membres",
    "otages",
    "enlevé",
    "enlevés",
    "tués",
    "tué",
    "ex-rebelles",
    "groupe armé",
    "armé",
    "armés",
];
const CONTEXT_WINDOW: usize = 6;

/// Bytes read on each side of a name for its context: far more than [`CONTEXT_WINDOW`] words,
/// and a bound, so a text without sentence punctuation costs no more per span.
const CONTEXT_BYTES: usize = 400;

fn org_context(text: &str, start: usize, end: usize) -> bool {
    let from = floor_char_boundary(text, start.saturating_sub(CONTEXT_BYTES));
    let to = floor_char_boundary(text, (end + CONTEXT_BYTES).min(text.len()));
    let sentence_start = text[from..start].rfind(['.', '!', '?', '\n']).map_or(from, |i| from + i + 1);
    let before = lower_words(&text[sentence_start..start]);
    let before = &before[before.len().saturating_sub(CONTEXT_WINDOW)..];
    let after_end = text[end..to].find(['.', '!', '?', '\n']).map_or(to, |i| end + i);
    let after = lower_words(&text[end..after_end]);
    let after = &after[..after.len().min(CONTEXT_WINDOW)];
    let is = |w: &String, list: &[&str]| list.contains(&w.trim_matches(|c: char| !c.is_alphanumeric() && c != '\''));
    let armed = before.iter().any(|w| is(w, ARMED_CONTEXT)) || after.iter().any(|w| is(w, ARMED_CONTEXT_AFTER));
    !armed && before.iter().any(|w| is(w, ORG_CONTEXT_BEFORE))
}

/// Lower-case function words that never start or end an entity (« de Belfast » → « Belfast »,
/// « Forces armées de » → « Forces armées »). A capitalised one is part of a name (« La Haye »,
/// « Le Caire », « Les Républicains ») and stays.
const FUNCTION_WORDS: &[&str] = &[
    "de", "du", "des", "d'", "d’", "l'", "l’", "la", "le", "les", "à", "au", "aux", "en", "et", "ou", "un", "une",
    "par", "pour", "sur", "dans", "avec", "contre", "selon",
];

/// Span hygiene, the one place it is enforced (property-tested): no leading lower-case article or
/// preposition, no trailing punctuation or function word, no surrounding space, and no entity
/// made only of function words, digits or punctuation. Returns `None` for a span with nothing
/// left; byte offsets stay on char boundaries.
pub fn hygiene(text: &str, mut s: Span) -> Option<Span> {
    loop {
        let surface = &text[s.start_byte..s.end_byte];
        let trimmed_start =
            surface.len() - surface.trim_start_matches(|c: char| c.is_whitespace() || is_edge_punct(c)).len();
        if trimmed_start > 0 {
            s.start_byte += trimmed_start;
            continue;
        }
        let trimmed_end =
            surface.len() - surface.trim_end_matches(|c: char| c.is_whitespace() || is_trailing_punct(c)).len();
        if trimmed_end > 0 {
            s.end_byte -= trimmed_end;
            continue;
        }
        if surface.is_empty() {
            return None;
        }
        // an unbalanced bracket ends the entity: « CTS) irakien » → « CTS », « Forces (FDS » → « Forces »
        if let Some(cut) = unbalanced_bracket(surface) {
            s.end_byte = s.start_byte + cut;
            continue;
        }
        if final_period_is_punctuation(surface) {
            s.end_byte -= 1;
            continue;
        }
        // a leading lower-case function word: « de Belfast », « l'Azawad », « d'Aguelhoc »
        // (a person keeps a particle: « de Mistura », « du Plessis »)
        if let Some(cut) =
            leading_function_word(surface).filter(|_| !(s.label == Label::Person && person_particle(surface)))
        {
            s.start_byte += cut;
            continue;
        }
        if let Some(cut) = trailing_function_word(surface) {
            s.end_byte -= cut;
            continue;
        }
        break;
    }
    let surface = &text[s.start_byte..s.end_byte];
    // a title alone is not a person (« le Premier ministre X » tagged « Premier »)
    if s.label == Label::Person && lower_words(surface).iter().all(|w| TITLES.contains(&w.trim_end_matches('.'))) {
        return None;
    }
    let has_content = lower_words(surface)
        .iter()
        .any(|w| !FUNCTION_WORDS.contains(&w.as_str()) && w.chars().any(|c| c.is_alphabetic()));
    // a lone digit run or function word is not an entity; « 93e brigade », « M23 » are
    has_content.then_some(s)
}

/// Titles and functions, never a person's name on their own.
const TITLES: &[&str] = &[
    "premier",
    "première",
    "président",
    "présidente",
    "ministre",
    "général",
    "générale",
    "colonel",
    "docteur",
    "dr",
    "monsieur",
    "madame",
    "m",
    "mme",
    "capitaine",
    "commandant",
    "lieutenant",
    "sergent",
    "roi",
    "reine",
    "prince",
    "cheikh",
    "imam",
    "pape",
    "abbé",
    "maître",
    "me",
    "mgr",
    "sénateur",
    "député",
    "maréchal",
];

/// Punctuation never at the start of an entity (an opening quote or bracket, a dash).
fn is_edge_punct(c: char) -> bool {
    matches!(
        c,
        '«' | '»'
            | '"'
            | '“'
            | '”'
            | '('
            | ')'
            | '['
            | ']'
            | ','
            | ';'
            | ':'
            | '.'
            | '-'
            | '–'
            | '—'
            | '\''
            | '’'
            | '/'
            | '!'
            | '?'
    )
}

/// A final period ends the sentence, not the name, unless it closes an abbreviation: it is cut
/// after a word of four letters or more with no other period (« Mali. »), kept after « M. »,
/// « Inc. », « J.-C. ».
fn final_period_is_punctuation(surface: &str) -> bool {
    let Some(body) = surface.strip_suffix('.') else { return false };
    let last = body.rsplit(char::is_whitespace).next().unwrap_or(body);
    last.chars().filter(|c| c.is_alphabetic()).count() >= 4 && !last.contains('.')
}

/// Punctuation never at the end of an entity (a final period: [`final_period_is_punctuation`]).
fn is_trailing_punct(c: char) -> bool {
    matches!(
        c,
        '«' | '»' | '"' | '“' | '”' | '(' | '[' | ',' | ';' | ':' | '-' | '–' | '—' | '\'' | '’' | '/' | '!' | '?'
    )
}

/// Where an entity must end because of a bracket that does not close within it.
fn unbalanced_bracket(surface: &str) -> Option<usize> {
    let mut open: Option<usize> = None;
    for (i, c) in surface.char_indices() {
        match c {
            '(' if open.is_none() => open = Some(i),
            ')' => match open {
                Some(_) => open = None,
                None => return Some(i),
            },
            _ => {}
        }
    }
    open
}

/// « de Mistura », « du Plessis », « d'Estaing »: a particle directly before a capitalised name.
fn person_particle(surface: &str) -> bool {
    ["de ", "du ", "des ", "d'", "d’"]
        .iter()
        .any(|p| surface.strip_prefix(p).is_some_and(|rest| rest.starts_with(|c: char| c.is_uppercase())))
}

fn leading_function_word(surface: &str) -> Option<usize> {
    for fw in FUNCTION_WORDS {
        let Some(rest) = surface.strip_prefix(fw) else { continue };
        let elided = fw.ends_with(['\'', '’']);
        // « l'Azawad », « d' Aguelhoc »; « de Belfast » (a word, not « des » read as « de »)
        if (elided || rest.starts_with(char::is_whitespace)) && !rest.trim().is_empty() {
            return Some(surface.len() - rest.trim_start().len());
        }
    }
    None
}

fn trailing_function_word(surface: &str) -> Option<usize> {
    let (head, last) = surface.rsplit_once(char::is_whitespace)?;
    if FUNCTION_WORDS.contains(&last) && !head.trim().is_empty() {
        return Some(surface.len() - head.trim_end().len());
    }
    None
}

/// Words (lower case, whole words) that only military or armed-violence news uses; sport
/// (« frappe », « tir », « attaquant »), floods (« morts ») or mining texts share none of them.
const MILITARY_CUES: &[&str] = &[
    "soldat",
    "soldats",
    "militaire",
    "militaires",
    "jihadiste",
    "jihadistes",
    "djihadiste",
    "djihadistes",
    "rebelle",
    "rebelles",
    "insurgés",
    "insurgé",
    "embuscade",
    "embuscades",
    "combats",
    "combattants",
    "combattant",
    "affrontements",
    "bombardement",
    "bombardements",
    "bombardé",
    "bombardée",
    "bombardés",
    "assaut",
    "miliciens",
    "milicien",
    "guerre",
    "otages",
    "terroristes",
    "terroriste",
    "armée",
    "armées",
    "armés",
    "armé",
    "frappes",
    "offensive",
    "front",
    "troupes",
    "casernes",
    "caserne",
    "garnison",
    "convoi",
    "drones",
    "missiles",
    "obus",
    "artillerie",
    "mortiers",
    "roquettes",
    "cessez-le-feu",
    "belligérants",
    "paramilitaires",
    "gangs",
    "gang",
    "milice",
    "milices",
];

/// Texts shorter than this (in words) are not topic-checked.
const MIN_WORDS_FOR_TOPIC: usize = 25;

/// Topic check for a whole document of at least [`MIN_WORDS_FOR_TOPIC`] words: without an
/// ARMED_GROUP from the lexicon, without a named weapon system from the lexicons (« missiles
/// Iskander ») and with fewer than two distinct military cue words, generic weapon words are not weapons (« le drone » of a farmer,
/// « un boulet de canon » of a striker, « la mine » of a gold mine, « la grenade » of an orchard)
/// and model-only ARMED_GROUP spans are dropped. Named weapon systems always stay.
fn gate_by_topic(text: &str, spans: Vec<Span>) -> Vec<Span> {
    let lexicon_group = spans.iter().any(|s| s.label == Label::ArmedGroup && s.source == Source::Lexicon);
    // a named weapon system from the lexicons (« missiles Iskander ») says the topic too, unless
    // it starts a longer name (« Javelin Coatings », a paint maker) or is described as a company
    let named_system = spans.iter().any(|s| {
        let in_longer_name = text[s.end_byte..].strip_prefix(' ').is_some_and(|r| r.starts_with(char::is_uppercase));
        s.label == Label::Weapon
            && s.source == Source::Lexicon
            && s.canonical.is_some()
            && !in_longer_name
            && !described_as_org(text, s.start_byte)
            && text[s.start_byte..s.end_byte].split_whitespace().any(is_name_word)
    });
    let droppable = |s: &Span| match s.label {
        Label::Weapon => !text[s.start_byte..s.end_byte].split_whitespace().any(is_name_word),
        Label::ArmedGroup => s.source == Source::Model,
        _ => false,
    };
    // a headline or one sentence says too little about its topic: keep what the taggers found
    if lexicon_group
        || named_system
        || !spans.iter().any(droppable)
        || text.split_whitespace().count() < MIN_WORDS_FOR_TOPIC
    {
        return spans;
    }
    let lower = text.to_lowercase();
    let mut cues: Vec<&str> =
        lower.split(|c: char| !(c.is_alphanumeric() || c == '-')).filter(|w| MILITARY_CUES.contains(w)).collect();
    cues.sort_unstable();
    cues.dedup();
    // the generic weapon words themselves do not count as cues for their own document
    let weapon_words: Vec<String> = spans
        .iter()
        .filter(|s| s.label == Label::Weapon)
        .map(|s| text[s.start_byte..s.end_byte].to_lowercase())
        .collect();
    let cues = cues.iter().filter(|c| !weapon_words.iter().any(|w| w.split(' ').any(|x| x == **c))).count();
    if cues >= 2 {
        return spans;
    }
    spans.into_iter().filter(|s| !droppable(s)).collect()
}

/// Lower-case heads a model ARMED_GROUP span may start with (« armée fédérale », « forces
/// russes », « marine russe »); any other lower-case start is not a name.
const LOWERCASE_GROUP_HEADS: &[&str] =
    &["armée", "armées", "forces", "force", "marine", "gendarmerie", "garde", "police"];
/// Capitalised single words that are not armed groups on their own.
const NOT_GROUPS_ALONE: &[&str] =
    &["État", "États", "Etat", "Fédération", "Gouvernement", "Assemblée", "République", "Conseil", "Ministère"];

/// A span of a later tagger (the model) that no lexicon span supports: ARMED_GROUP must be a
/// name (capitalised, not a lone generic word) or a lower-case army/forces phrase not used as an
/// adjective (« branche armée »); WEAPON must contain a named system (a capitalised or digit
/// word): generic weapon words are the lexicon's job, with its context rules (« drones de
/// livraison », « mine d'or »). Other labels pass.
fn plausible_alone(text: &str, s: &Span) -> bool {
    let surface = &text[s.start_byte..s.end_byte];
    match s.label {
        Label::ArmedGroup if surface.chars().filter(|c| c.is_alphanumeric()).count() < 2 => false,
        Label::ArmedGroup => {
            let first = surface.split_whitespace().next().unwrap_or("");
            if is_name_word(surface) {
                return !NOT_GROUPS_ALONE.contains(&surface);
            }
            let before = text[..s.start_byte].trim_end();
            LOWERCASE_GROUP_HEADS.contains(&first) && !before.ends_with("branche") && !before.ends_with("branches")
        }
        Label::Weapon => {
            surface.split_whitespace().any(is_name_word) && surface.chars().filter(|c| c.is_alphanumeric()).count() >= 2
        }
        // an organisation's name starts with a capital or a generic head (« ministère de … »),
        // and one generic word alone (« Commission », « Front », « Institut ») is not a name
        Label::Org => {
            let words = lower_words(surface);
            let generic = |w: &String| ORG_HEADS.contains(&w.as_str()) || ARMED_CUES.contains(&w.as_str());
            let starts_ok = is_name_word(surface) || words.first().is_some_and(|w| ORG_HEADS.contains(&w.as_str()));
            starts_ok && !(words.len() == 1 && (generic(&words[0]) || NOT_GROUPS_ALONE.contains(&surface)))
        }
        _ => true,
    }
}

fn is_name_word(w: &str) -> bool {
    w.chars().next().is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
}

/// True when `s` has the label of all `over`, contains them, and adds only name words.
fn extends_names<'a>(text: &str, s: &Span, over: impl Iterator<Item = &'a Span>) -> bool {
    if !matches!(s.label, Label::ArmedGroup | Label::Weapon) {
        return false;
    }
    let mut rest = String::new();
    let mut pos = s.start_byte;
    for o in over {
        if o.label != s.label || o.start_byte < s.start_byte || o.end_byte > s.end_byte {
            return false;
        }
        rest.push_str(&text[pos.min(o.start_byte)..o.start_byte]);
        rest.push(' ');
        pos = pos.max(o.end_byte);
    }
    rest.push_str(&text[pos..s.end_byte]);
    let words: Vec<&str> = rest.split_whitespace().collect();
    !words.is_empty() && words.iter().all(|w| is_name_word(w))
}

fn merge_weapon_systems(text: &str, spans: Vec<Span>) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for s in spans {
        if let Some(prev) = out.last_mut() {
            let gap = &text[prev.end_byte.min(s.start_byte)..s.start_byte];
            if prev.label == Label::Weapon
                && s.label == Label::Weapon
                && gap == " "
                && is_name_word(&text[s.start_byte..s.end_byte])
            {
                prev.end_byte = s.end_byte;
                prev.score = prev.score.min(s.score);
                // a part the model found makes the whole a model span (« Javelin » + « Coatings »
                // is no lexicon entry)
                if s.source == Source::Model {
                    prev.source = Source::Model;
                }
                if s.canonical.is_some() {
                    prev.canonical = s.canonical;
                }
                continue;
            }
        }
        out.push(s);
    }
    out
}

/// Leading nouns cut from LOCATION spans (followed by de/du/des/d'/de la).
const PLACE_HEADS: &[&str] = &[
    "nord",
    "sud",
    "est",
    "ouest",
    "centre",
    "nord-est",
    "nord-ouest",
    "sud-est",
    "sud-ouest",
    "centre-nord",
    "centre-sud",
    "centre-est",
    "centre-ouest",
    "désert",
    "réserve",
    "réserve spéciale",
    "massif",
    "plateau",
    "archipel",
    "état",
    "états",
    "région",
    "régions",
    "province",
    "bande",
    "forêt",
    "barrage",
    "parc",
    "parc national",
    "préfecture",
    "cercle",
    "département",
    "commune",
    "district",
    "comté",
    "oblast",
    "gouvernorat",
    "wilaya",
    "territoire",
    "ville",
    "village",
    "camp",
    "vallée",
    "plaine",
    "localité",
    "quartier",
    "zone",
];
const LINKS: &[&str] = &["de la ", "de l'", "de l’", "du ", "des ", "de ", "d'", "d’"];
/// Leading lower-case nouns cut from ARMED_GROUP spans before a name.
const GROUP_HEADS: &[&str] = &[
    "branche armée du ",
    "branche armée de ",
    "branche armée des ",
    "milices ",
    "milice ",
    "unité ",
    "bataillon ",
    "opération ",
    "groupe ",
    "brigade ",
    "faction ",
    "mouvement ",
];
/// Leading lower-case descriptive nouns cut from ORG spans before a name (« l'agence Anadolu » →
/// « Anadolu », « l'ONG Alima »); heads that belong to the name are capitalised and stay
/// (« Radio Okapi »); ministries keep theirs (« ministère de la Défense »).
const ORG_LOWER_HEADS: &[&str] = &[
    "agence de presse ",
    "agence ",
    "ong ",
    "chaîne ",
    "quotidien ",
    "hebdomadaire ",
    "journal ",
    "site ",
    "groupe ",
    "société ",
    "compagnie ",
    "entreprise ",
    "réseau social ",
    "association ",
    "parti ",
    "plateforme ",
    "application ",
    "radio ",
    "télévision ",
    "organisation ",
    "firme ",
    "cabinet ",
];
const NATIONALITY_ENDINGS: &[&str] =
    &["ien", "ienne", "ais", "aise", "ain", "aine", "ois", "oise", "ite", "an", "ane", "in", "ine"];

fn trim(text: &str, mut s: Span) -> Option<Span> {
    let surface = &text[s.start_byte..s.end_byte];
    let lower = surface.to_lowercase();
    match s.label {
        Label::Location => {
            // a place's name has a capital (« centre-nord » alone is a direction)
            if lower == "état" || lower == "états" || !surface.chars().any(char::is_uppercase) {
                return None;
            }
            // administrative heads in apposition are cut: « État Karenni » → « Karenni »,
            // « région Amhara » → « Amhara »
            if let Some((head, name)) = surface.split_once(' ') {
                if ADMIN_APPOSITION_HEADS.contains(&head.to_lowercase().as_str())
                    && name.starts_with(|c: char| c.is_uppercase())
                {
                    s.start_byte += head.len() + 1;
                    return Some(s);
                }
            }
            // inside a compound name: « Météo-France », « Sino-Niger Gold »
            let before = &text[..s.start_byte];
            if let Some(first) = before.strip_suffix('-') {
                let prev = first.rsplit(|c: char| !c.is_alphanumeric()).next().unwrap_or("");
                if prev.starts_with(|c: char| c.is_uppercase()) {
                    return None;
                }
            }
            // most place names have no space: nothing to cut
            if surface.contains(' ') {
                for head in PLACE_HEADS {
                    let Some(after_head) = lower.strip_prefix(head).and_then(|r| r.strip_prefix(' ')) else { continue };
                    for link in LINKS {
                        if !after_head.starts_with(link) || after_head.len() == link.len() {
                            continue;
                        }
                        let cut = lower.len() - after_head.len() + link.len();
                        // lower-casing can change byte lengths: cut only where both agree
                        if surface.is_char_boundary(cut) && surface[..cut].to_lowercase() == lower[..cut] {
                            if surface[cut..].starts_with(|c: char| c.is_uppercase()) {
                                s.start_byte += cut;
                                return Some(s);
                            }
                        }
                    }
                }
            }
            // a model place read from a lower-case phrase starts at its first capital (« sud du
            // Liban » → « Liban », « stade Moulay-Abdellah » → « Moulay-Abdellah »), except a
            // physical feature's head (« lac Kivu »); no capital, no place name
            let first = surface.split_whitespace().next().unwrap_or("");
            if s.source == Source::Model && !is_name_word(first) && !FEATURE_HEADS.contains(&first) {
                return from_first_capital(text, s).and_then(|s| trim(text, s));
            }
            // « Kurdistan irakien » → « Kurdistan »
            if let Some((name, adj)) = surface.rsplit_once(' ') {
                if adj.starts_with(|c: char| c.is_lowercase())
                    && adj.chars().count() > 4
                    && NATIONALITY_ENDINGS.iter().any(|e| adj.ends_with(e))
                    && is_name_word(name)
                {
                    s.end_byte = s.start_byte + name.len();
                }
            }
            Some(s)
        }
        Label::Person => {
            let mut s = s;
            while let Some((title, rest)) = text[s.start_byte..s.end_byte].split_once(' ') {
                if !PERSON_TITLES_LOWER.contains(&title) || !rest.starts_with(|c: char| c.is_uppercase()) {
                    break;
                }
                s.start_byte += title.len() + 1;
            }
            Some(s)
        }
        Label::Org => {
            let s = cut_lower_head(surface, s, ORG_LOWER_HEADS);
            let surface = &text[s.start_byte..s.end_byte];
            let first = surface.split_whitespace().next().unwrap_or("");
            // a model name read from a lower-case description starts at its first capital
            // (« groupe d'experts de l'ONU » → « ONU », « agence palestinienne Wafa » → « Wafa »)
            if s.source == Source::Model && !is_name_word(first) && !ORG_LOWER_NAMES.contains(&first) {
                return from_first_capital(text, s);
            }
            Some(s)
        }
        Label::ArmedGroup => {
            // « le gouvernement taliban »: a group's name used as an adjective
            let before = text[..s.start_byte].trim_end();
            let prev = before.rsplit(char::is_whitespace).next().unwrap_or("").to_lowercase();
            if !surface.contains(' ')
                && !surface.chars().any(char::is_uppercase)
                && GOVERNMENT_NOUNS.contains(&prev.as_str())
            {
                return None;
            }
            Some(cut_lower_head(surface, s, GROUP_HEADS))
        }
        _ => Some(s),
    }
}

/// Nouns after which a lower-case group name is an adjective (« le gouvernement taliban »).
const GOVERNMENT_NOUNS: &[&str] = &["gouvernement", "régime", "pouvoir", "autorités", "émirat", "administration"];
/// Administrative heads cut before a name in apposition (« État Karenni », « région Amhara »).
const ADMIN_APPOSITION_HEADS: &[&str] = &[
    "état",
    "région",
    "province",
    "préfecture",
    "district",
    "oblast",
    "gouvernorat",
    "wilaya",
    "comté",
    "département",
];
/// Titles cut before a person's name (« le général Mohamed Toumba » → « Mohamed Toumba »).
const PERSON_TITLES_LOWER: &[&str] = &[
    "général",
    "générale",
    "colonel",
    "commandant",
    "capitaine",
    "lieutenant",
    "sergent",
    "maréchal",
    "président",
    "présidente",
    "ministre",
    "docteur",
    "dr",
    "professeur",
    "pr",
    "imam",
    "cheikh",
    "abbé",
    "père",
    "sœur",
    "mgr",
    "monseigneur",
    "maître",
    "me",
    "m.",
    "mme",
    "roi",
    "reine",
    "prince",
    "émir",
];

/// Lower-case words that start an organisation's name (« ministère de la Défense », « hôpital
/// Nasser »).
const ORG_LOWER_NAMES: &[&str] =
    &["ministère", "hôpital", "clinique", "université", "ambassade", "consulat", "présidence", "primature"];

/// `s` from its first capitalised word on, `None` without one.
fn from_first_capital(text: &str, mut s: Span) -> Option<Span> {
    let surface = &text[s.start_byte..s.end_byte];
    let mut offset = 0;
    for w in surface.split_inclusive(|c: char| c.is_whitespace() || c == '\'' || c == '’') {
        if w.starts_with(|c: char| c.is_uppercase()) {
            s.start_byte += offset;
            return Some(s);
        }
        offset += w.len();
    }
    None
}

/// `s` without the first of `heads` it starts with, when a capitalised name follows.
fn cut_lower_head(surface: &str, mut s: Span, heads: &[&str]) -> Span {
    if let Some(head) =
        heads.iter().find(|h| surface.starts_with(**h) && surface[h.len()..].starts_with(|c: char| c.is_uppercase()))
    {
        s.start_byte += head.len();
    }
    s
}

fn is_acronym(w: &str) -> bool {
    let n = w.chars().count();
    (2..=10).contains(&n)
        && w.chars().next().is_some_and(|c| c.is_uppercase())
        && w.chars().filter(|c| c.is_uppercase()).count() >= 2
        && w.chars().all(|c| c.is_alphanumeric() || c == '-')
}

fn word_boundary(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    !before.is_some_and(|c| c.is_alphanumeric() || c == '-') && !after.is_some_and(|c| c.is_alphanumeric() || c == '-')
}

fn resolve_document(text: &str, mut spans: Vec<Span>) -> Vec<Span> {
    // 1. name (ACRONYM)
    let mut added: Vec<Span> = Vec::new();
    for i in 0..spans.len() {
        let s = &spans[i];
        if !matches!(s.label, Label::ArmedGroup | Label::Org | Label::Location | Label::Weapon) {
            continue;
        }
        let after = &text[s.end_byte..];
        let Some(inner) = after.strip_prefix(" (").or_else(|| after.strip_prefix('(')) else { continue };
        let Some(close) = inner.find(')') else { continue };
        let acr = &inner[..close];
        if !is_acronym(acr) {
            continue;
        }
        let a_start = s.end_byte + (after.len() - inner.len());
        let a_end = a_start + acr.len();
        // `spans` is sorted by start: the candidates are found by binary search
        let at = spans.partition_point(|o| o.start_byte < a_start);
        let exact = spans[at..].iter().take_while(|o| o.start_byte == a_start).position(|o| o.end_byte == a_end);
        let overlaps = |from: usize| {
            spans[..from].last().is_some_and(|o| o.end_byte > a_start)
                || spans.get(from).is_some_and(|o| o.start_byte < a_end)
        };
        match exact.map(|k| at + k) {
            Some(j) => {
                // the name says what the acronym is: « Agence nigérienne de presse (ANP) » is an
                // agency even where ANP alone would be Algeria's army
                if spans[j].label != s.label {
                    spans[j].label = spans[i].label;
                    spans[j].canonical = spans[i].canonical.clone();
                } else {
                    match (spans[i].canonical.clone(), spans[j].canonical.clone()) {
                        (Some(c), None) => spans[j].canonical = Some(c),
                        (None, Some(c)) => spans[i].canonical = Some(c),
                        _ => {}
                    }
                }
            }
            None if !overlaps(at) => added.push(Span {
                start_byte: a_start,
                end_byte: a_end,
                label: s.label,
                score: s.score,
                source: Source::Document,
                canonical: s.canonical.clone(),
            }),
            None => {}
        }
    }
    spans.extend(added);
    spans.sort_by_key(|s| (s.start_byte, s.end_byte));

    // 2. same text + label share a canonical identity
    let mut known: HashMap<(String, Label), crate::doc::Canonical> = HashMap::new();
    for s in &spans {
        if let Some(c) = &s.canonical {
            known.entry((text[s.start_byte..s.end_byte].to_string(), s.label)).or_insert_with(|| c.clone());
        }
    }
    for s in spans.iter_mut().filter(|s| s.canonical.is_none()) {
        if let Some(c) = known.get(&(text[s.start_byte..s.end_byte].to_string(), s.label)) {
            s.canonical = Some(c.clone());
        }
    }

    // 3. later occurrences of tagged capitalised names and acronyms
    let mut seeds: Vec<(String, Span)> = Vec::new();
    for s in &spans {
        let surface = &text[s.start_byte..s.end_byte];
        if matches!(s.label, Label::ArmedGroup | Label::Location | Label::Weapon | Label::Org)
            && is_name_word(surface)
            && surface.chars().count() >= 2
            && !seeds.iter().any(|(t, _)| t == surface)
        {
            seeds.push((surface.to_string(), s.clone()));
        }
    }
    // overlap tests by binary search (`spans` sorted, non-overlapping) and in an ordered map of
    // the mentions added so far: n log n in the mentions, whatever their number
    let mut extra: std::collections::BTreeMap<usize, Span> = std::collections::BTreeMap::new();
    for (surface, seed) in &seeds {
        for (pos, _) in text.match_indices(surface.as_str()) {
            let end = pos + surface.len();
            if !word_boundary(text, pos, end) {
                continue;
            }
            let k = spans.partition_point(|o| o.start_byte < end);
            let in_spans = spans[..k].last().is_some_and(|o| o.end_byte > pos);
            let in_extra = extra.range(..end).next_back().is_some_and(|(_, o)| o.end_byte > pos);
            if in_spans || in_extra {
                continue;
            }
            extra.insert(pos, Span { start_byte: pos, end_byte: end, source: Source::Document, ..seed.clone() });
        }
    }
    let extra: Vec<Span> = extra.into_values().collect();
    spans.extend(extra);
    spans.sort_by_key(|s| (s.start_byte, s.end_byte));
    spans
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::Canonical;

    fn span(text: &str, surface: &str, label: Label, source: Source, id: Option<&str>) -> Span {
        let start = text.find(surface).unwrap();
        Span {
            start_byte: start,
            end_byte: start + surface.len(),
            label,
            score: 0.9,
            source,
            canonical: id.map(|i| Canonical { id: i.into(), name: i.into(), name_en: None, kind: None, country: None }),
        }
    }

    fn show(text: &str, spans: &[Span]) -> Vec<(String, Label, Option<String>)> {
        spans
            .iter()
            .map(|s| (text[s.start_byte..s.end_byte].to_string(), s.label, s.canonical.as_ref().map(|c| c.id.clone())))
            .collect()
    }

    #[test]
    fn lexicon_wins_conflicts_model_extends_names() {
        let t = "Les Maï-Maï Kifuafua et la branche armée du Hamas.";
        let lex = vec![
            span(t, "Maï-Maï", Label::ArmedGroup, Source::Lexicon, Some("ag:mai-mai")),
            span(t, "Hamas", Label::ArmedGroup, Source::Lexicon, Some("ag:hamas")),
        ];
        let model = vec![
            span(t, "Maï-Maï Kifuafua", Label::ArmedGroup, Source::Model, None),
            span(t, "branche armée du Hamas", Label::ArmedGroup, Source::Model, None),
        ];
        let out = combine(t, vec![lex, model]);
        assert_eq!(
            show(t, &out),
            vec![
                ("Maï-Maï Kifuafua".into(), Label::ArmedGroup, Some("ag:mai-mai".into())),
                ("Hamas".into(), Label::ArmedGroup, Some("ag:hamas".into())),
            ]
        );
    }

    #[test]
    fn weapon_systems_merge_and_places_are_trimmed() {
        let t = "Des missiles Kornet et des drones turcs ont frappé des soldats dans l'État de Borno et le Kurdistan irakien après des combats.";
        let lex = vec![
            span(t, "missiles", Label::Weapon, Source::Lexicon, Some("wp:missile")),
            span(t, "Kornet", Label::Weapon, Source::Lexicon, Some("wp:kornet")),
            span(t, "drones", Label::Weapon, Source::Lexicon, Some("wp:drone")),
        ];
        let model = vec![
            span(t, "État de Borno", Label::Location, Source::Model, None),
            span(t, "Kurdistan irakien", Label::Location, Source::Model, None),
        ];
        let out = combine(t, vec![lex, model]);
        assert_eq!(
            show(t, &out),
            vec![
                ("missiles Kornet".into(), Label::Weapon, Some("wp:kornet".into())),
                ("drones".into(), Label::Weapon, Some("wp:drone".into())),
                ("Borno".into(), Label::Location, None),
                ("Kurdistan".into(), Label::Location, None),
            ]
        );
        for s in &out {
            assert!(t.is_char_boundary(s.start_byte) && t.is_char_boundary(s.end_byte));
        }
    }

    #[test]
    fn acronyms_and_later_mentions_share_identity() {
        let t = "Le Front de libération de l'Azawad (FLA) a attaqué. Le FLA dit avoir tué des soldats. Les miliciens de la Convention pour la révolution populaire (CRP) fuient ; le CRP dément.";
        let lex = vec![span(t, "Front de libération de l'Azawad", Label::ArmedGroup, Source::Lexicon, Some("ag:fla"))];
        let model = vec![span(t, "Convention pour la révolution populaire", Label::ArmedGroup, Source::Model, None)];
        let out = combine(t, vec![lex, model]);
        let got = show(t, &out);
        assert_eq!(got.iter().filter(|g| g.0 == "FLA" && g.2.as_deref() == Some("ag:fla")).count(), 2, "{got:?}");
        assert_eq!(
            got.iter().filter(|g| g.0 == "CRP" && g.1 == Label::ArmedGroup && g.2.is_none()).count(),
            2,
            "{got:?}"
        );
        assert!(out.iter().filter(|s| s.source == Source::Document).count() >= 3);
        // sorted and non-overlapping
        assert!(out.windows(2).all(|w| w[0].end_byte <= w[1].start_byte));
    }

    #[test]
    fn unsupported_model_spans_must_look_like_names() {
        let t = "Des combattants ont incendié des greniers ; la branche armée du parti et l'armée fédérale, l'État et les Bui Warriors, des drones Orion-7 contre des soldats.";
        let model = vec![
            span(t, "greniers", Label::Weapon, Source::Model, None),
            span(t, "armée du parti", Label::ArmedGroup, Source::Model, None),
            span(t, "armée fédérale", Label::ArmedGroup, Source::Model, None),
            span(t, "État", Label::ArmedGroup, Source::Model, None),
            span(t, "Bui Warriors", Label::ArmedGroup, Source::Model, None),
            span(t, "drones Orion-7", Label::Weapon, Source::Model, None),
        ];
        let out = combine(t, vec![vec![], model]);
        let got: Vec<String> = show(t, &out).into_iter().map(|g| g.0).collect();
        assert_eq!(got, vec!["armée fédérale", "Bui Warriors", "drones Orion-7"]);
    }

    #[test]
    fn civilian_texts_keep_no_generic_weapons() {
        let t = "Le drone agricole survole les rizières de la vallée depuis le matin ; le bombardier brésilien a marqué d'une frappe en boulet de canon lors du match de dimanche soir au stade.";
        let lex = vec![
            span(t, "drone", Label::Weapon, Source::Lexicon, Some("wp:drone")),
            span(t, "bombardier", Label::Weapon, Source::Lexicon, Some("wp:bombardier")),
            span(t, "canon", Label::Weapon, Source::Lexicon, Some("wp:canon")),
        ];
        assert!(combine(t, vec![lex.clone()]).is_empty());
        // one short sentence is not judged
        let t3 = "Un drone s'est posé.";
        let lex3 = vec![span(t3, "drone", Label::Weapon, Source::Lexicon, Some("wp:drone"))];
        assert_eq!(combine(t3, vec![lex3]).len(), 1);
        // the same words with military context stay
        let t2 = "Des soldats ont été tués par un drone près de la frontière dimanche soir ; des combats ont suivi pendant plusieurs heures autour du village, selon des sources locales.";
        let lex2 = vec![span(t2, "drone", Label::Weapon, Source::Lexicon, Some("wp:drone"))];
        assert_eq!(combine(t2, vec![lex2]).len(), 1);
    }

    #[test]
    fn nothing_in_nothing_out() {
        assert!(combine("", vec![vec![], vec![]]).is_empty());
        assert!(combine("Le marché de Bamako.", vec![]).is_empty());
    }

    fn model(t: &str, surface: &str, label: Label) -> Span {
        span(t, surface, label, Source::Model, None)
    }

    #[test]
    fn organisations_named_by_the_model_as_armed_groups_become_org() {
        let t = "Selon Radio Bamakan et l'Observatoire syrien des droits de l'homme, le ministère de la Défense \
                 et le Front de libération du Macina ont confirmé.";
        let out = combine(
            t,
            vec![
                vec![],
                vec![
                    model(t, "Radio Bamakan", Label::ArmedGroup),
                    model(t, "Observatoire syrien des droits de l'homme", Label::ArmedGroup),
                    model(t, "ministère de la Défense", Label::ArmedGroup),
                    model(t, "Front de libération du Macina", Label::ArmedGroup),
                ],
            ],
        );
        let got: Vec<(String, Label)> = show(t, &out).into_iter().map(|(s, l, _)| (s, l)).collect();
        assert_eq!(
            got,
            vec![
                ("Radio Bamakan".into(), Label::Org),
                ("Observatoire syrien des droits de l'homme".into(), Label::Org),
                ("ministère de la Défense".into(), Label::Org),
                // an armed cue keeps the group armed
                ("Front de libération du Macina".into(), Label::ArmedGroup),
            ]
        );
    }

    #[test]
    fn an_acronym_takes_the_label_of_its_name_and_sources_are_not_groups() {
        let t = "Selon l'Agence nigérienne de presse (ANP), les cars de la compagnie Sonef ont été visés.";
        let lex = vec![
            span(t, "Agence nigérienne de presse", Label::Org, Source::Lexicon, Some("org:anp-niger")),
            span(t, "ANP", Label::ArmedGroup, Source::Lexicon, Some("ag:dz-anp")),
        ];
        let out = combine(t, vec![lex, vec![model(t, "Sonef", Label::ArmedGroup)]]);
        assert_eq!(
            show(t, &out),
            vec![
                ("Agence nigérienne de presse".into(), Label::Org, Some("org:anp-niger".into())),
                ("ANP".into(), Label::Org, Some("org:anp-niger".into())),
                // « la compagnie X »: a company
                ("Sonef".into(), Label::Org, None),
            ]
        );
        // a one-letter model span is no armed group
        let t = "Le X a frappé la nuit dernière.";
        assert!(combine(t, vec![vec![], vec![model(t, "X", Label::ArmedGroup)]]).is_empty());
    }

    #[test]
    fn repeated_mentions_are_all_tagged_once() {
        // every later whole-word mention of a tagged name is tagged, exactly once, and the
        // acronym of « name (ACR) » too: checked on many mentions (binary searches, not scans)
        let mut t = String::from("Le Front de libération de l'Azawad (FLA) avance. ");
        for i in 0..3000 {
            t.push_str(if i % 3 == 0 { "Le FLA, FLAM et FLA. " } else { "Le FLA recule. " });
        }
        let lex = vec![span(&t, "Front de libération de l'Azawad", Label::ArmedGroup, Source::Lexicon, Some("ag:fla"))];
        let out = combine(&t, vec![lex]);
        let fla = out.iter().filter(|s| &t[s.start_byte..s.end_byte] == "FLA").count();
        assert_eq!(fla, 1 + 1000 * 2 + 2000);
        assert!(out.windows(2).all(|p| p[0].end_byte <= p[1].start_byte));
        assert!(out.iter().all(|s| s.canonical.as_ref().is_some_and(|c| c.id == "ag:fla")));
    }

    #[test]
    fn hygiene_trims_function_words_and_punctuation() {
        let t = "Il a parlé de Belfast, des Forces armées - puis de la Défense du Mali. À La Haye, M. de Mistura.";
        let cases = [
            ("de Belfast", Label::Location, Some("Belfast")),
            ("Forces armées -", Label::ArmedGroup, Some("Forces armées")),
            ("de", Label::Location, None),
            ("du", Label::Org, None),
            ("de la Défense", Label::Org, Some("Défense")),
            ("Mali.", Label::Location, Some("Mali")),
            ("La Haye", Label::Location, Some("La Haye")),
            // a title alone is no person; an abbreviation keeps its period
            ("M.", Label::Person, None),
            ("M.", Label::Misc, Some("M.")),
            ("de Mistura", Label::Person, Some("de Mistura")),
            ("Belfast, des", Label::Location, Some("Belfast")),
        ];
        let t2 = "Le Service de contre-terrorisme (CTS) irakien et les Forces (FDS.";
        for (surface, want) in [("CTS) irakien", Some("CTS")), ("Forces (FDS", Some("Forces")), ("(CTS)", Some("CTS"))]
        {
            let got = hygiene(t2, model(t2, surface, Label::ArmedGroup)).map(|s| &t2[s.start_byte..s.end_byte]);
            assert_eq!(got, want, "{surface:?}");
        }
        for (surface, label, want) in cases {
            let got = hygiene(t, model(t, surface, label)).map(|s| &t[s.start_byte..s.end_byte]);
            assert_eq!(got, want, "{surface:?}");
        }
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        const WORDS: &[&str] = &[
            "de", "du", "des", "d'", "l'", "la", "Le", "les", "à", "au", "et", "Forces", "armées", "Mali", "Kidal",
            "93e", "12", "«", "»", "-", "(", ")", ",", ".", "Ansar", "Dine", "M.", "État", "é", "Défense", " ",
        ];

        fn text_and_span() -> impl Strategy<Value = (String, usize, usize, Label)> {
            (prop::collection::vec(prop::sample::select(WORDS), 1..12), any::<u16>(), any::<u16>(), 0usize..6).prop_map(
                |(ws, a, b, l)| {
                    let text = ws.join(" ");
                    let bounds: Vec<usize> = (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
                    let (x, y) = (bounds[a as usize % bounds.len()], bounds[b as usize % bounds.len()]);
                    (text, x.min(y), x.max(y), Label::ALL[l])
                },
            )
        }

        /// Words the name rules react to, with punctuation and function words.
        const NAME_WORDS: &[&str] = &[
            "ministère",
            "Centre",
            "hospitalier",
            "de",
            "la",
            "l'",
            "du",
            "des",
            "et",
            "Défense",
            "Cameroun",
            "hôpital",
            "accord",
            "Ghana",
            "Cocoa",
            "Board",
            "of",
            "India",
            "al-Assad",
            "Bachar",
            "lac",
            "Kivu",
            "Darfour-Nord",
            "Darfour",
            "-Nord",
            "avions",
            "Su-25",
            "porte-parole",
            ",",
            "«",
            "»",
            "dit",
            "ministre",
            "russe",
            "FDS",
            "(",
            ")",
            "Forces",
            "armées",
            "agence",
            "officielle",
            "Sana",
            "Croix-Rouge",
            "Société",
            "éthiopienne",
            "État",
            "Mazloum",
            "Abdi",
            "Le",
            ".",
            "é",
        ];

        /// A text and two layers of sorted, non-overlapping spans on word boundaries.
        fn text_and_layers() -> impl Strategy<Value = (String, Vec<Vec<Span>>)> {
            let layer = prop::collection::vec((any::<u16>(), 1usize..5, 0usize..6), 0..8);
            (prop::collection::vec(prop::sample::select(NAME_WORDS), 1..30), layer.clone(), layer).prop_map(
                |(ws, l1, l2)| {
                    let text = ws.join(" ");
                    let mut starts = vec![0];
                    for (i, _) in text.match_indices(' ') {
                        starts.push(i + 1);
                    }
                    let ends: Vec<usize> = starts.iter().skip(1).map(|s| s - 1).chain([text.len()]).collect();
                    let make = |l: Vec<(u16, usize, usize)>, source: Source| {
                        let mut spans: Vec<Span> = Vec::new();
                        for (a, n, lab) in l {
                            let w = a as usize % starts.len();
                            let e = (w + n - 1).min(ends.len() - 1);
                            let (start_byte, end_byte) = (starts[w], ends[e]);
                            if spans.iter().any(|o| o.start_byte < end_byte && start_byte < o.end_byte) {
                                continue;
                            }
                            spans.push(Span {
                                start_byte,
                                end_byte,
                                label: Label::ALL[lab],
                                score: 0.5,
                                source,
                                canonical: None,
                            });
                        }
                        spans.sort_by_key(|s| s.start_byte);
                        spans
                    };
                    (text.clone(), vec![make(l1, Source::Lexicon), make(l2, Source::Model)])
                },
            )
        }

        proptest! {
            /// Whatever the taggers give, the combined entities are sorted, do not overlap, sit on
            /// char boundaries and pass span hygiene unchanged.
            #[test]
            fn combined_spans_are_clean((text, layers) in text_and_layers()) {
                let out = combine(&text, layers);
                for pair in out.windows(2) {
                    prop_assert!(pair[0].end_byte <= pair[1].start_byte, "{:?} / {:?} in {:?}", pair[0], pair[1], text);
                }
                for s in &out {
                    prop_assert!(s.start_byte < s.end_byte && s.end_byte <= text.len());
                    prop_assert!(text.is_char_boundary(s.start_byte) && text.is_char_boundary(s.end_byte));
                    let h = hygiene(&text, s.clone());
                    prop_assert_eq!(h.map(|h| (h.start_byte, h.end_byte)), Some((s.start_byte, s.end_byte)), "{:?} in {:?}", &text[s.start_byte..s.end_byte], text);
                }
            }

            #[test]
            fn hygiene_invariants((text, start, end, label) in text_and_span()) {
                let s = Span { start_byte: start, end_byte: end, label, score: 0.5, source: Source::Model, canonical: None };
                if let Some(h) = hygiene(&text, s) {
                    prop_assert!(start <= h.start_byte && h.start_byte < h.end_byte && h.end_byte <= end);
                    prop_assert!(text.is_char_boundary(h.start_byte) && text.is_char_boundary(h.end_byte));
                    let surface = &text[h.start_byte..h.end_byte];
                    prop_assert_eq!(surface.trim(), surface);
                    let first = surface.split_whitespace().next().unwrap();
                    let last = surface.split_whitespace().last().unwrap();
                    let particle = label == Label::Person && person_particle(surface);
                    prop_assert!(particle || !FUNCTION_WORDS.contains(&first), "{:?}", surface);
                    prop_assert!(!FUNCTION_WORDS.contains(&last) || surface.split_whitespace().count() == 1, "{:?}", surface);
                    prop_assert!(!surface.ends_with(is_trailing_punct), "{:?}", surface);
                    prop_assert!(!surface.starts_with(is_edge_punct), "{:?}", surface);
                    prop_assert!(surface.chars().any(|c| c.is_alphabetic()), "{:?}", surface);
                    // idempotent
                    let again = hygiene(&text, h.clone()).unwrap();
                    prop_assert_eq!((again.start_byte, again.end_byte), (h.start_byte, h.end_byte));
                }
            }
        }
    }
}
