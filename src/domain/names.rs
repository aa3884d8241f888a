//! Whole names from pieces: rules over a document's combined spans that rebuild names the taggers
//! cut or mislabelled, each linear in the text and the spans.
//!
//! - [`organisation_phrases`]: an organisation's head word followed by its complements is one ORG
//!   (« Centre hospitalier régional de Tenkodogo », « ministère ukrainien de la Défense »,
//!   « Commission des droits de l'homme du Cameroun »), not a LOCATION or an armed group inside it.
//! - [`join_fragments`]: a model span cut inside a name is joined to its neighbour (« Yahya » +
//!   « Saree » is one PERSON; « Invisible » + « Children » one ORG; « fusils d'assaut » +
//!   « Tavor » one WEAPON; « avions » before « Soukhoï Su-25 » belongs to the weapon).
//! - [`role_persons`]: a model ARMED_GROUP that is a person's name in a person's slot (« le FPL de
//!   Mahmoud Sallah », « son porte-parole, Yahya Saree ») is a PERSON.

use crate::doc::{Label, Source};
use crate::ner::Span;

/// One word of the text: letters, digits, hyphens and inner apostrophes; an elided article or
/// preposition (« l' », « d' ») is its own word, punctuation is a one-character word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Word {
    pub start: usize,
    pub end: usize,
}

const ELIDED: &[&str] = &["l", "d", "qu", "j", "n", "s", "c", "m", "t", "jusqu", "lorsqu", "puisqu"];

/// Splits `text` into [`Word`]s in one pass.
pub(crate) fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let is_word_char = |c: char| c.is_alphanumeric() || c == '-';
    let mut it = text.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        let apostrophe = c == '\'' || c == '’';
        if is_word_char(c) {
            start.get_or_insert(i);
        } else if apostrophe && start.is_some() && it.peek().is_some_and(|&(_, n)| n.is_alphanumeric()) {
            let s = start.expect("inside a word");
            if ELIDED.contains(&text[s..i].to_lowercase().as_str()) {
                // « l'État »: the article with its apostrophe, then the name
                out.push(Word { start: s, end: i + c.len_utf8() });
                start = None;
            }
            // « Moody's », « aujourd'hui »: one word
        } else {
            if let Some(s) = start.take() {
                out.push(Word { start: s, end: i });
            }
            if !c.is_whitespace() {
                out.push(Word { start: i, end: i + c.len_utf8() });
            }
        }
    }
    if let Some(s) = start {
        out.push(Word { start: s, end: text.len() });
    }
    out
}

/// Word tokens of a surface, lower case, with a leading elided article (« l'Agence ») removed.
pub(crate) fn lower_words(surface: &str) -> Vec<String> {
    surface
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ',')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let w = w.to_lowercase();
            match w.split_once(['\'', '’']) {
                Some((el, rest)) if el.chars().count() <= 2 && !rest.is_empty() => rest.to_string(),
                _ => w,
            }
        })
        .collect()
}

/// `i`, moved back to the nearest char boundary of `text`.
pub(crate) fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Heads of physical features, kept in a place's name (« lac Tchad », « fleuve Niger »).
pub(crate) const FEATURE_HEADS: &[&str] = &[
    "lac", "fleuve", "mer", "monts", "mont", "golfe", "rivière", "île", "îles", "désert", "massif", "océan", "canal",
    "détroit", "delta", "baie", "lacs", "mers",
];

fn capitalised(w: &str) -> bool {
    w.chars().next().is_some_and(|c| c.is_uppercase())
}

fn lower_alpha(w: &str) -> bool {
    w.chars().next().is_some_and(|c| c.is_lowercase()) && w.chars().all(|c| c.is_alphabetic() || c == '-')
}

/// Head words of an organisation's name, as written (capitalised) or lower case for the heads that
/// start a name in lower case (« ministère de la Défense », « hôpital universitaire de Maiduguri »).
const ORG_PHRASE_HEADS: &[&str] = &[
    "Agence",
    "Association",
    "Autorité",
    "Banque",
    "Bureau",
    "Caisse",
    "Centre",
    "Chambre",
    "Clinique",
    "Collectif",
    "Comité",
    "Commission",
    "Compagnie",
    "Confédération",
    "Conférence",
    "Conseil",
    "Coordination",
    "Cour",
    "Croissant-Rouge",
    "Croix-Rouge",
    "Direction",
    "Fédération",
    "Fondation",
    "Fonds",
    "Haut-Commissariat",
    "Hôpital",
    "Institut",
    "Ligue",
    "Ministère",
    "Musée",
    "Observatoire",
    "Office",
    "Ordre",
    "Programme",
    "Service",
    "Société",
    "Syndicat",
    "Tribunal",
    "Union",
    "Université",
    "ministère",
    "hôpital",
    "clinique",
    "université",
];

/// Lower-case heads that need an adjective or a name in apposition: « l'hôpital de Gao » is the
/// hospital in Gao (only Gao is an entity), « l'hôpital régional de Gao » and « l'hôpital Nasser »
/// are names; « l'université de Misrata » is one.
const LOWER_HEADS_NEED_ADJECTIVE: &[&str] = &["hôpital", "clinique"];

/// Endings of French adjectives after a noun (« régional », « médicale », « météorologique »,
/// « ukrainien », « chinois », « étrangères », « universitaire », « civile »). Verb forms (« a »,
/// « évoque », « appelle », « annoncé ») end otherwise, so a name ends before them.
const ADJECTIVE_ENDINGS: &[&str] = &[
    "ielle", "ielles", "iel", "iels", "ée", "ées", "és", "ime", "imes", "al", "ale", "ales", "aux", "ique", "iques",
    "ien", "ienne", "iens", "iennes", "ais", "aise", "aises", "ois", "oise", "oises", "ain", "aine", "ains", "aines",
    "aire", "aires", "ier", "iers", "ière", "ières", "ère", "ères", "ile", "iles", "if", "ive", "ifs", "ives", "nelle",
    "nelles", "uelle", "uelles", "relle", "relles", "eur", "eure", "ite", "ites",
];

pub(crate) fn adjective(w: &str) -> bool {
    lower_alpha(w) && w.chars().count() > 3 && ADJECTIVE_ENDINGS.iter().any(|e| w.ends_with(e))
}

/// Lower-case words that never continue a name.
const NOT_IN_NAMES: &[&str] =
    &["de", "du", "des", "la", "le", "les", "l'", "l’", "d'", "d’", "et", "en", "à", "au", "aux", "un", "une"];

/// The links between a head and its complement: « de », « du », « des », « d' », « de la »,
/// « de l' ». Returns how many words the link takes at `i`.
fn link_at(text: &str, ws: &[Word], i: usize) -> Option<usize> {
    let w = |k: usize| ws.get(k).map(|x| &text[x.start..x.end]);
    match w(i)? {
        "du" | "des" | "d'" | "d’" => Some(1),
        "de" => match w(i + 1) {
            Some("la" | "l'" | "l’") => Some(2),
            _ => Some(1),
        },
        _ => None,
    }
}

/// Byte gap between two words is plain spacing (no punctuation between them).
fn spaced(text: &str, a: &Word, b: &Word) -> bool {
    text[a.end..b.start].chars().all(char::is_whitespace)
}

/// Longest organisation name starting with a head word at `h`: the head, up to two adjectives,
/// then (« de »/« du »/« des »/« et de »…) complements; a complement is a lower-case noun with its
/// adjectives (« de gestion », « des droits ») or a run of capitalised words with a following
/// adjective (« de la Protection civile »). The name ends after its last capitalised complement.
/// `stop` says a word starts a span the name must not take (another organisation or an armed
/// group); `absorb` gives the word after an organisation's name starting at a word, which a bare
/// head takes whole. Returns the end byte.
fn phrase_end(
    text: &str,
    ws: &[Word],
    h: usize,
    stop: &dyn Fn(usize) -> bool,
    absorb: &dyn Fn(usize) -> Option<usize>,
) -> Option<usize> {
    const MAX_WORDS: usize = 14;
    let w = |k: usize| ws.get(k).map(|x| &text[x.start..x.end]);
    let head = w(h)?;
    let mut i = h + 1;
    let mut adjectives = 0;
    while adjectives < 2 && w(i).is_some_and(adjective) && spaced(text, &ws[i - 1], &ws[i]) {
        adjectives += 1;
        i += 1;
    }
    let mut end: Option<usize> = None;
    let mut lowers = 0;
    // « l'hôpital Nasser », « Commission épiscopale nationale Justice et Paix »: a name in
    // apposition ends the name
    if w(i).is_some_and(capitalised) && spaced(text, &ws[i - 1], &ws[i]) && !stop(i) {
        let mut k = i;
        loop {
            if w(k).is_some_and(capitalised) && spaced(text, &ws[k - 1], &ws[k]) && !stop(k) {
                k += 1;
            } else if w(k) == Some("et")
                && w(k + 1).is_some_and(capitalised)
                && spaced(text, &ws[k - 1], &ws[k])
                && spaced(text, &ws[k], &ws[k + 1])
                && !stop(k + 1)
            {
                k += 1;
            } else {
                break;
            }
        }
        return Some(ws[k - 1].end);
    }
    if LOWER_HEADS_NEED_ADJECTIVE.contains(&head) && adjectives == 0 {
        return None;
    }
    while i < ws.len() && i - h <= MAX_WORDS {
        let conj = usize::from(w(i) == Some("et"));
        let Some(link) = link_at(text, ws, i + conj) else { break };
        let c = i + conj + link;
        let Some(first) = w(c) else { break };
        if !(i..c).all(|k| spaced(text, &ws[k], &ws[k + 1])) {
            break;
        }
        if capitalised(first) {
            if stop(c) {
                // « Société de la Croix-Rouge éthiopienne », « Commission de l'Union africaine »:
                // a head with no complement yet takes a whole organisation's name
                match absorb(c) {
                    Some(k) if end.is_none() && lowers == 0 => {
                        let mut k = k;
                        if w(k).is_some_and(adjective) && spaced(text, &ws[k - 1], &ws[k]) {
                            k += 1;
                        }
                        end = Some(ws[k - 1].end);
                        i = k;
                        continue;
                    }
                    _ => break,
                }
            }
            let mut k = c;
            while w(k).is_some_and(capitalised) && (k == c || spaced(text, &ws[k - 1], &ws[k])) && !(k > c && stop(k)) {
                k += 1;
            }
            if w(k).is_some_and(adjective) && spaced(text, &ws[k - 1], &ws[k]) {
                k += 1;
            }
            end = Some(ws[k - 1].end);
            i = k;
        } else if lower_alpha(first) && !NOT_IN_NAMES.contains(&first) {
            lowers += 1;
            let mut k = c + 1;
            if w(k).is_some_and(adjective) && spaced(text, &ws[k - 1], &ws[k]) {
                k += 1;
            }
            i = k;
        } else {
            break;
        }
    }
    end
}

/// Organisation names read from their head word (see the module docs). A name is not built when
/// it would cut a span, take a lexicon armed group or weapon, or carry an armed cue (« Union des
/// forces de la résistance » stays the taggers' call); the ministries are organisations whatever
/// follows. Spans inside a built name are replaced by it.
pub fn organisation_phrases(text: &str, spans: Vec<Span>, armed_cue: impl Fn(&str) -> bool) -> Vec<Span> {
    let ws = words(text);
    // index of the span starting at / covering each word, by one merge over both sorted lists
    let mut starts: Vec<Option<usize>> = vec![None; ws.len()];
    let mut cover: Vec<Option<usize>> = vec![None; ws.len()];
    let mut j = 0;
    for (k, word) in ws.iter().enumerate() {
        while j < spans.len() && spans[j].end_byte <= word.start {
            j += 1;
        }
        if let Some(s) = spans.get(j).filter(|s| s.start_byte < word.end) {
            cover[k] = Some(j);
            if s.start_byte == word.start {
                starts[k] = Some(j);
            }
        }
    }
    // a name the lexicons know (another organisation, an armed group) ends the name before it;
    // model spans inside it are pieces of it
    let known_name = |j: usize| {
        let s = &spans[j];
        matches!(s.label, Label::Org | Label::ArmedGroup | Label::Weapon | Label::Person)
            && (s.source == Source::Lexicon || s.canonical.is_some())
    };
    let known_org = |k: usize| starts[k].filter(|&j| known_name(j) && spans[j].label == Label::Org);
    let absorb = |k: usize| known_org(k).map(|j| ws.partition_point(|w| w.start < spans[j].end_byte));
    // a ministry takes the organisations it is made of (« ministère de la Sécurité et de la
    // Protection civile ») but not its state (« ministère de la Santé de l'État de Khartoum »)
    let stop_ministry = |k: usize| {
        starts[k].is_some_and(|j| (known_name(j) && spans[j].label != Label::Org) || spans[j].label == Label::Location)
            || matches!(&text[ws[k].start..ws[k].end], "État" | "Etat" | "États")
    };
    let stop_other = |k: usize| starts[k].is_some_and(known_name);
    // a candidate name [word h, end) is kept when it cuts no span, takes no lexicon armed group
    // or weapon and (but for a ministry or an agreement) has no armed cue
    let accept = |h: usize, end: usize, ministry: bool, any_cue: bool| -> bool {
        let start = ws[h].start;
        let first = spans.partition_point(|s| s.end_byte <= start);
        for s in &spans[first..] {
            if s.start_byte >= end {
                break;
            }
            // a model span that runs on into lower-case words is cut by the name (« ministère
            // de la Communication évoque »)
            let runs_on = s.source == Source::Model
                && s.canonical.is_none()
                && s.start_byte >= start
                && !text[end.min(s.end_byte)..s.end_byte].chars().any(char::is_uppercase);
            let crosses = (s.start_byte < start || s.end_byte > end) && !runs_on;
            let armed_lexicon = matches!(s.label, Label::ArmedGroup | Label::Weapon) && s.source == Source::Lexicon;
            if crosses || armed_lexicon {
                return false;
            }
        }
        ministry
            || any_cue
            || !text[start..end]
                .split(|c: char| !(c.is_alphanumeric() || c == '-'))
                .any(|w| armed_cue(&w.to_lowercase()))
    };
    let mut names: Vec<(usize, usize, Label)> = Vec::new();
    let mut h = 0;
    while h < ws.len() {
        let head = &text[ws[h].start..ws[h].end];
        let agreement = AGREEMENT_HEADS.contains(&head);
        let force = FORCE_HEADS.contains(&head);
        if !ORG_PHRASE_HEADS.contains(&head) && !agreement && !force {
            // « Ghana Cocoa Board », « Serum Institute of India », « Karenni Army »
            match english_name(text, &ws, h) {
                Some((end, armed)) if accept(h, end, false, armed) => {
                    // « l'ONG Mercy Corps » is no force
                    let armed = armed && !described_as_org(text, ws[h].start);
                    names.push((ws[h].start, end, if armed { Label::ArmedGroup } else { Label::Org }));
                    h = ws.partition_point(|w| w.start < end);
                }
                _ => h += 1,
            }
            continue;
        }
        // a head inside a longer span (« Conseil de sécurité » from the lexicon) is that span's
        if let Some(j) = cover[h].filter(|&j| known_name(j)) {
            let s = &spans[j];
            if s.start_byte != ws[h].start || s.end_byte != ws[h].end {
                h += 1;
                continue;
            }
        }
        let ministry = head.eq_ignore_ascii_case("ministère") || head == "Ministère";
        let none = |_: usize| None;
        let found = if ministry {
            phrase_end(text, &ws, h, &stop_ministry, &none)
        } else {
            phrase_end(text, &ws, h, &stop_other, &absorb)
        };
        let Some(end) = found else {
            h += 1;
            continue;
        };
        // a force is named after its state: the name ends with a place (« Forces armées du
        // Ghana »), not with a leader (« Forces de la résistance nationale de Tareq Saleh »)
        if force {
            let last = ws.partition_point(|w| w.start < end) - 1;
            let place = cover[last].is_some_and(|j| spans[j].label == Label::Location && spans[j].end_byte == end);
            if !place {
                h += 1;
                continue;
            }
        }
        if accept(h, end, ministry, agreement || force) {
            let label = if agreement {
                Label::Misc
            } else if force {
                Label::ArmedGroup
            } else {
                Label::Org
            };
            names.push((ws[h].start, end, label));
            h = ws.partition_point(|w| w.start < end);
        } else {
            h += 1;
        }
    }
    if names.is_empty() {
        return spans;
    }
    let mut made: Vec<Span> = names.iter().map(|&(a, b, label)| new_name(a, b, label)).collect();
    let mut out: Vec<Span> = Vec::with_capacity(spans.len() + made.len());
    for s in spans {
        let k = names.partition_point(|&(_, b, _)| b <= s.start_byte);
        match names.get(k) {
            Some(&(a, b, label)) if s.start_byte >= a && (s.end_byte <= b || s.source == Source::Model) => {
                // the name keeps the identity of an ORG span that is the whole name
                if s.start_byte == a && s.end_byte == b && s.label == label && s.canonical.is_some() {
                    made[k].canonical = s.canonical;
                    made[k].source = s.source;
                }
            }
            _ => out.push(s),
        }
    }
    out.extend(made);
    out.sort_by_key(|s| (s.start_byte, s.end_byte));
    out
}

fn new_name(start: usize, end: usize, label: Label) -> Span {
    Span { start_byte: start, end_byte: end, label, score: 1.0, source: Source::Document, canonical: None }
}

/// Capitalised heads of a state force's name with its complement (« Forces armées du Ghana »,
/// « Police de la République du Mozambique », « Forces de police maritime du Puntland »).
const FORCE_HEADS: &[&str] = &["Forces", "Force", "Armée", "Police", "Gendarmerie", "Garde"];

/// Heads of agreements, named events (MISC): « accord de Washington », « accords d'Alger ».
const AGREEMENT_HEADS: &[&str] = &["accord", "accords", "Accord", "Accords"];

/// English nouns that make a run of capitalised words an organisation's name.
const ENGLISH_ORG_NOUNS: &[&str] = &[
    "Association",
    "Agency",
    "Airlines",
    "Airways",
    "Bank",
    "Board",
    "Broadcasting",
    "Center",
    "College",
    "Commission",
    "Committee",
    "Company",
    "Corporation",
    "Council",
    "Energy",
    "Federation",
    "Foundation",
    "Fund",
    "Gold",
    "Group",
    "Herald",
    "Holdings",
    "Inc",
    "Institute",
    "Ltd",
    "Media",
    "Minerals",
    "Mining",
    "Music",
    "Network",
    "News",
    "Parks",
    "Petroleum",
    "Post",
    "Press",
    "Relations",
    "Resources",
    "Rights",
    "Society",
    "Telecom",
    "Times",
    "Tribune",
    "Trust",
    "TV",
    "University",
];
/// Capitalised French words that start a sentence, not a name.
const CAPITALISED_FUNCTION_WORDS: &[&str] = &[
    "Le", "La", "Les", "L'", "L’", "Un", "Une", "Des", "Du", "De", "D'", "D’", "Selon", "En", "Au", "Aux", "Dans",
    "Pour", "Par", "Sur", "Et", "Mais", "Après", "Avant", "Depuis", "Chez", "Avec", "Contre", "À", "Ce", "Cette",
    "Son", "Sa", "Ses", "ONG",
];

/// An English-style name of capitalised words starting at word `h` with an organisation noun
/// after its first word (« Ghana Cocoa Board », « Haïti Press Network »), words joined by « and »
/// (« Nigeria Security and Civil Defence Corps »), followed by « of » and a capitalised run
/// (« Serum Institute of India »). Returns its end byte and whether it names an armed force (an
/// armed noun: « Karenni Army », « Ghana Police Service »).
fn english_name(text: &str, ws: &[Word], h: usize) -> Option<(usize, bool)> {
    let w = |k: usize| ws.get(k).map(|x| &text[x.start..x.end]);
    let name_word = |k: usize| w(k).is_some_and(|x| capitalised(x) && !CAPITALISED_FUNCTION_WORDS.contains(&x));
    let joined = |k: usize| spaced(text, &ws[k - 1], &ws[k]);
    // the run starts here: no name word right before it
    if !name_word(h) || (h > 0 && name_word(h - 1) && joined(h)) {
        return None;
    }
    let mut k = h + 1;
    let (mut org, mut armed) = (false, false);
    loop {
        if name_word(k) && joined(k) {
            org |= w(k).is_some_and(|x| ENGLISH_ORG_NOUNS.contains(&x));
            armed |= w(k).is_some_and(|x| ENGLISH_ARMED_NOUNS.contains(&x));
            k += 1;
        } else if matches!(w(k), Some("and" | "&")) && name_word(k + 1) && joined(k) && joined(k + 1) {
            k += 1;
        } else {
            break;
        }
    }
    if !org && !armed {
        return None;
    }
    if w(k) == Some("of") && name_word(k + 1) && joined(k) && joined(k + 1) {
        k += 2;
        while name_word(k) && joined(k) {
            k += 1;
        }
    }
    Some((ws[k - 1].end, armed))
}

/// English nouns that make a capitalised run an armed force's name.
const ENGLISH_ARMED_NOUNS: &[&str] = &[
    "Army",
    "Forces",
    "Force",
    "Police",
    "Corps",
    "Guard",
    "Guards",
    "Militia",
    "Brigade",
    "Brigades",
    "Navy",
    "Marines",
    "Rangers",
    "Regiment",
    "Battalion",
];

/// Nouns that describe the name right after them as a non-armed organisation, whatever the
/// rest of the sentence says (« a indiqué l'agence officielle Sonna » in a report of combats).
const ORG_DESCRIPTORS: &[&str] = &[
    "agence",
    "ong",
    "journal",
    "quotidien",
    "hebdomadaire",
    "magazine",
    "chaîne",
    "site",
    "radio",
    "télévision",
    "média",
    "réseau",
    "plateforme",
    "application",
    "compagnie",
    "société",
    "entreprise",
    "firme",
    "cabinet",
    "institut",
    "association",
    "fondation",
    "banque",
    "opérateur",
    "armateur",
    "négociant",
    "groupe",
    "projet",
];

/// The words right before `start`, skipping up to two adjectives, end with an [`ORG_DESCRIPTORS`]
/// noun (« l'agence officielle X », « la chaîne Universal TV », « le quotidien X »). « groupe »
/// counts only as « groupe de presse / industriel / … » (an adjective or complement before the
/// name), never alone (« le groupe Wagner »).
pub(crate) fn described_as_org(text: &str, start: usize) -> bool {
    let from = floor_char_boundary(text, start.saturating_sub(80));
    let before = lower_words(&text[from..start]);
    // nearest first: a descriptor, or up to two adjectives then a descriptor (« quotidien » and
    // « opérateur » end like adjectives: the descriptor test comes first)
    for (adjectives, w) in before.iter().rev().take(3).enumerate() {
        if ORG_DESCRIPTORS.contains(&w.as_str()) {
            return w != "groupe" || adjectives > 0;
        }
        if !adjective(w) {
            return false;
        }
    }
    false
}

/// Nouns of armed vehicles that belong to a named weapon system right after them (« avions
/// Soukhoï Su-25 », « chasseurs F-35 », « hélicoptère Mi-24 »).
const VEHICLE_NOUNS: &[&str] = &[
    "avion",
    "avions",
    "chasseur",
    "chasseurs",
    "chasseur-bombardier",
    "chasseurs-bombardiers",
    "bombardier",
    "bombardiers",
    "hélicoptère",
    "hélicoptères",
    "appareil",
    "appareils",
];

const COMPASS_SUFFIXES: &[&str] =
    &["-Nord-Est", "-Nord-Ouest", "-Sud-Est", "-Sud-Ouest", "-Nord", "-Sud", "-Est", "-Ouest", "-Centre"];

/// Name particles that continue a person's name (« Bachar al-Assad », « Omar el-Béchir », « Iyad
/// Ag Ghaly », « Mohamed ould Abdelaziz »).
const NAME_PARTICLES: &[&str] = &["ag", "ben", "bin", "ibn", "ould", "abou", "bint", "wad"];
const NAME_PREFIXES: &[&str] = &["al-", "el-", "Al-", "El-", "ad-", "ar-", "as-", "ash-", "at-", "az-"];

fn all_capitalised(surface: &str) -> bool {
    surface.split_whitespace().all(|w| w.chars().next().is_some_and(|c| c.is_uppercase() || c.is_ascii_digit()))
}

/// Joins model spans cut inside a name (see the module docs). Spans are sorted and do not overlap.
pub fn join_fragments(text: &str, spans: Vec<Span>) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for mut s in spans {
        // a vehicle noun before a named system: « avions Soukhoï Su-25 »
        if s.label == Label::Weapon && capitalised(&text[s.start_byte..s.end_byte]) {
            let before = &text[..s.start_byte];
            if let Some(prev) = before.strip_suffix(' ') {
                let word_start = prev
                    .rfind(|c: char| !(c.is_alphanumeric() || c == '-'))
                    .map_or(0, |i| i + prev[i..].chars().next().map_or(1, char::len_utf8));
                let free = out.last().is_none_or(|p| p.end_byte <= word_start);
                if free && VEHICLE_NOUNS.contains(&&prev[word_start..]) {
                    s.start_byte = word_start;
                }
            }
        }
        // a physical feature's head belongs to its name: « lac » + « Kivu »
        if s.label == Label::Location && capitalised(&text[s.start_byte..s.end_byte]) {
            if let Some(prev) = text[..s.start_byte].strip_suffix(' ') {
                let word_start = prev
                    .rfind(|c: char| !c.is_alphanumeric())
                    .map_or(0, |i| i + prev[i..].chars().next().map_or(1, char::len_utf8));
                let free = out.last().is_none_or(|p| p.end_byte <= word_start);
                if free && FEATURE_HEADS.contains(&&prev[word_start..]) {
                    s.start_byte = word_start;
                    s.canonical = None;
                }
            }
        }
        if let Some(prev) = out.last_mut() {
            let gap = &text[prev.end_byte..s.start_byte];
            let surface = &text[s.start_byte..s.end_byte];
            let model_piece = s.source == Source::Model && s.canonical.is_none() && all_capitalised(surface);
            let join = gap == " "
                && model_piece
                && match prev.label {
                    // « Yahya » + « Saree »
                    Label::Person => matches!(s.label, Label::Person | Label::ArmedGroup | Label::Org | Label::Misc),
                    // « Invisible » + « Children »
                    Label::Org => s.label == Label::Org && prev.source == Source::Model,
                    // « Kholodny » + « Yar »
                    Label::ArmedGroup => {
                        prev.source == Source::Model
                            && prev.canonical.is_none()
                            && matches!(s.label, Label::ArmedGroup | Label::Weapon | Label::Misc)
                    }
                    // « fusils d'assaut » + « Tavor »
                    Label::Weapon => {
                        !surface.contains(' ') && matches!(s.label, Label::ArmedGroup | Label::Org | Label::Misc)
                    }
                    _ => false,
                };
            if join {
                prev.end_byte = s.end_byte;
                prev.score = prev.score.min(s.score);
                // the model's part makes the whole the model's: « Javelin » + « Coatings » is no
                // lexicon entry
                prev.source = Source::Model;
                continue;
            }
        }
        out.push(s);
    }
    // « Darfour » + « -Nord »: a place's compass suffix belongs to it
    for i in 0..out.len() {
        let limit = out.get(i + 1).map_or(text.len(), |n| n.start_byte);
        let s = &mut out[i];
        if s.label != Label::Location {
            continue;
        }
        let rest = &text[s.end_byte..limit];
        if let Some(suffix) = COMPASS_SUFFIXES
            .iter()
            .find(|x| rest.strip_prefix(**x).is_some_and(|r| !r.starts_with(|c: char| c.is_alphanumeric() || c == '-')))
        {
            s.end_byte += suffix.len();
        }
    }
    // a person's name goes on with its particles: « Bachar » + « al-Assad »; a name the
    // lexicons found inside the particle's word is the person's (« Abdelmalek al-Houthi »)
    let mut absorbed = vec![false; out.len()];
    for i in 0..out.len() {
        if out[i].label != Label::Person {
            continue;
        }
        let mut end = out[i].end_byte;
        let mut next_span = i + 1;
        loop {
            let limit = out.get(next_span).map_or(text.len(), |n| n.start_byte);
            let Some(next) = text[end..].strip_prefix(' ') else { break };
            let word_len = next.find(|c: char| !(c.is_alphanumeric() || c == '-')).unwrap_or(next.len());
            let word = &next[..word_len];
            if let Some(prefix) = NAME_PREFIXES.iter().find(|p| word.strip_prefix(**p).is_some_and(capitalised)) {
                let (word_start, word_end) = (end + 1, end + 1 + word_len);
                if word_end > limit {
                    // only a span inside the name after its prefix can be taken
                    let n = &out[next_span];
                    if n.start_byte < word_start + prefix.len() || n.end_byte > word_end {
                        break;
                    }
                    absorbed[next_span] = true;
                    next_span += 1;
                }
                end = word_end;
                continue;
            }
            if NAME_PARTICLES.contains(&word.to_lowercase().as_str()) {
                let after = &next[word_len..];
                if let Some(name) = after.strip_prefix(' ') {
                    let n = name.find(|c: char| !(c.is_alphanumeric() || c == '-')).unwrap_or(name.len());
                    if n > 0 && capitalised(&name[..n]) && end + 1 + word_len + 1 + n <= limit {
                        end += 1 + word_len + 1 + n;
                        continue;
                    }
                }
            }
            break;
        }
        out[i].end_byte = end;
    }
    if absorbed.iter().any(|&a| a) {
        out = out.into_iter().zip(absorbed).filter(|(_, a)| !a).map(|(s, _)| s).collect();
    }
    out
}

/// Words naming a person's role right before the person (« son porte-parole militaire, Yahya
/// Saree », « le chef Iyad Ag Ghaly »).
const ROLE_WORDS: &[&str] = &[
    "porte-parole",
    "chef",
    "cheffe",
    "commandant",
    "commandante",
    "leader",
    "dirigeant",
    "dirigeante",
    "fondateur",
    "émir",
    "général",
    "colonel",
    "lieutenant",
    "capitaine",
    "président",
    "ministre",
];
/// A model ARMED_GROUP « unit + link + army » is two groups (« 18e brigade » + « armée
/// colombienne »): the link, and the army's head word in it.
const UNIT_OF: &[(&str, &str)] = &[
    (" de l'armée ", "armée"),
    (" de l’armée ", "armée"),
    (" de la police ", "police"),
    (" de la gendarmerie ", "gendarmerie"),
    (" de la marine ", "marine"),
    (" des forces ", "forces"),
];

/// Participles before « par » that introduce a group's leader (« une milice dirigée par X »).
const LED_BY: &[&str] = &["dirigé", "commandé", "mené", "fondé", "conduit", "emmené", "piloté"];
/// Words before a quoted nickname (« Mohamed Hamdan Daglo, dit « Hemedti » »).
const NICKNAME_WORDS: &[&str] = &["dit", "dite", "alias", "surnommé", "surnommée"];

/// A person's name: two or three capitalised words (or a name particle, « al-Kikli », « Abou »),
/// none an armed cue or an acronym.
fn person_name_like(surface: &str, armed_cue: &dyn Fn(&str) -> bool, min_words: usize) -> bool {
    let parts: Vec<&str> = surface.split(' ').collect();
    (min_words..=4).contains(&parts.len())
        && parts.iter().all(|w| {
            let name = NAME_PREFIXES.iter().find_map(|p| w.strip_prefix(p)).unwrap_or(w);
            capitalised(name) && name.chars().any(|c| c.is_lowercase())
        })
        && !parts.iter().any(|w| armed_cue(&w.to_lowercase()))
}

/// The last words of `before` (lower case, punctuation apart), most recent first.
fn last_words(before: &str, n: usize) -> Vec<String> {
    before
        .split(|c: char| c.is_whitespace() || c == '«' || c == '"')
        .filter(|w| !w.is_empty())
        .rev()
        .take(n)
        .map(|w| w.to_lowercase())
        .collect()
}

/// A model ARMED_GROUP of two to four capitalised words with no armed cue and no acronym, in a
/// person's slot, is a PERSON:
/// - after an armed group and « de »/« d' » (« les FDS de Mazloum Abdi », « le Front patriotique
///   de libération (FPL) de Mahmoud Sallah »); a model group that swallowed its leader is split
///   (« Forces de la résistance nationale de Tareq Saleh »);
/// - right after a role word, an adjective and a comma allowed (« son porte-parole militaire,
///   Yahya Saree »), or « dirigé/commandé/mené… par »;
/// - a quoted nickname (one word is enough) after « dit »/« alias » following a PERSON
///   (« Jimmy Chérizier, alias « Barbecue » »).
pub fn role_persons(text: &str, spans: Vec<Span>, armed_cue: impl Fn(&str) -> bool) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for mut s in spans {
        let model_group = s.label == Label::ArmedGroup && s.source == Source::Model && s.canonical.is_none();
        if !model_group {
            out.push(s);
            continue;
        }
        let surface = &text[s.start_byte..s.end_byte];
        // « 18e brigade de l'armée colombienne »: a unit, then its army
        let unit = UNIT_OF.iter().find_map(|(l, h)| surface.find(l).zip(l.find(h)));
        if let Some((at, head)) = unit.filter(|&(at, _)| at > 0) {
            let army_start = s.start_byte + at + head;
            let army = Span { start_byte: army_start, ..s.clone() };
            s.end_byte = s.start_byte + at;
            out.push(s);
            out.push(army);
            continue;
        }
        // « Forces de la résistance nationale de Tareq Saleh »: the group, then its leader
        if let Some(cut) =
            surface.rfind(" de ").map(|i| (i, i + 4)).or_else(|| surface.rfind(" d'").map(|i| (i, i + 3)))
        {
            let (group, leader) = (&surface[..cut.0], &surface[cut.1..]);
            if group.split(' ').any(|w| armed_cue(&w.to_lowercase())) && person_name_like(leader, &armed_cue, 2) {
                let person = Span { start_byte: s.start_byte + cut.1, label: Label::Person, ..s.clone() };
                s.end_byte = s.start_byte + cut.0;
                out.push(s);
                out.push(person);
                continue;
            }
        }
        let prev = out.last();
        let floor = prev.map_or(0, |p| p.end_byte);
        let before = &text[floor..s.start_byte];
        let nickname = person_name_like(surface, &armed_cue, 1) && {
            let ws = last_words(before, 2);
            prev.is_some_and(|p| p.label == Label::Person)
                && ws.first().is_some_and(|w| NICKNAME_WORDS.contains(&w.as_str()))
        };
        if !nickname && !person_name_like(surface, &armed_cue, 2) {
            out.push(s);
            continue;
        }
        let after_group = prev.is_some_and(|p| p.label == Label::ArmedGroup) && {
            let gap = before.strip_suffix(" de ").or_else(|| before.strip_suffix(" d'")).unwrap_or("\u{0}");
            // « FDS de X », « FDS) de X » (the acronym tagged), « Forces … (FDS) de X »
            gap.is_empty()
                || gap == ")"
                || gap
                    .trim_start()
                    .strip_prefix('(')
                    .and_then(|g| g.strip_suffix(')'))
                    .is_some_and(|a| !a.is_empty() && a.chars().all(|c| c.is_alphanumeric() || c == '-'))
        };
        let after_role = {
            let ws = last_words(before, 3);
            let mut k = 0;
            if ws.get(k).is_some_and(|w| w == ",") {
                k += 1;
            }
            let strip = |w: &String| w.trim_end_matches(',').to_string();
            let w0 = ws.get(k).map(strip);
            let w1 = ws.get(k + 1).map(strip);
            let led_by = w0.as_deref() == Some("par")
                && w1.as_deref().is_some_and(|w| {
                    LED_BY.iter().any(|p| w.strip_prefix(p).is_some_and(|e| ["", "e", "s", "es"].contains(&e)))
                });
            led_by
                || w0.as_deref().is_some_and(|w| ROLE_WORDS.contains(&w))
                || (w0.as_deref().is_some_and(adjective) && w1.as_deref().is_some_and(|w| ROLE_WORDS.contains(&w)))
        };
        if nickname || after_group || after_role {
            s.label = Label::Person;
        }
        out.push(s);
    }
    out
}

/// A capitalised word after « ministre [adjective] de la / des / du … » is the minister's
/// portfolio, not an entity (« le ministre russe de la Défense Sergueï Choïgou », « le ministre
/// des Terres »); the ministry itself is an ORG ([`organisation_phrases`]).
pub fn drop_portfolios(text: &str, spans: Vec<Span>) -> Vec<Span> {
    spans
        .into_iter()
        .filter(|s| {
            if s.label == Label::Person {
                return true;
            }
            let before = &text[floor_char_boundary(text, s.start_byte.saturating_sub(80))..s.start_byte];
            let mut ws: Vec<&str> = before.split_whitespace().rev().take(5).collect();
            // « de l'Intérieur »: the elided article is glued to the span
            let Some(last) = ws.first().copied() else { return true };
            let link_words: &[&[&str]] = &[&["de", "la"], &["des"], &["du"], &["de"]];
            let elided = ["de l'", "de l’"].iter().any(|e| before.ends_with(e));
            if elided {
                ws.remove(0); // « l' »
                ws.insert(0, "la");
            } else if !before.ends_with(' ') || last.is_empty() {
                return true;
            }
            for link in link_words {
                let n = link.len();
                let matched = ws.len() > n && ws[..n].iter().rev().copied().eq(link.iter().copied());
                if !matched {
                    continue;
                }
                let mut k = n;
                // « ministre russe de la », « ministre délégué à la »: one qualifier
                if ws.get(k).is_some_and(|w| lower_alpha(w) && !w.starts_with("ministre")) {
                    k += 1;
                }
                if ws.get(k).is_some_and(|w| *w == "ministre" || *w == "ministres") {
                    return false;
                }
            }
            true
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::Canonical;

    fn span(text: &str, surface: &str, label: Label, source: Source) -> Span {
        let start = text.find(surface).unwrap_or_else(|| panic!("{surface} in {text}"));
        Span { start_byte: start, end_byte: start + surface.len(), label, score: 0.9, source, canonical: None }
    }

    fn show(text: &str, spans: &[Span]) -> Vec<(String, Label)> {
        spans.iter().map(|s| (text[s.start_byte..s.end_byte].to_string(), s.label)).collect()
    }

    fn cue(w: &str) -> bool {
        ["forces", "armée", "front", "libération", "défense"].contains(&w)
    }

    #[test]
    fn words_split_elision_and_keep_inner_apostrophes() {
        let t = "l'État de Borno, selon Moody's.";
        let got: Vec<&str> = words(t).iter().map(|w| &t[w.start..w.end]).collect();
        assert_eq!(got, ["l'", "État", "de", "Borno", ",", "selon", "Moody's", "."]);
    }

    #[test]
    fn organisation_names_take_their_places() {
        let t = "Les blessés ont été évacués vers le Centre hospitalier régional de Tenkodogo, selon la \
                 Commission des droits de l'homme du Cameroun a annoncé. Le ministère ukrainien de la Défense \
                 évoque des pertes. Le ministère de la Sécurité et de la Protection civile a confirmé.";
        let spans = vec![
            span(t, "Centre hospitalier régional", Label::Location, Source::Model),
            span(t, "Tenkodogo", Label::Location, Source::Model),
            span(t, "Cameroun", Label::Location, Source::Model),
            span(t, "Défense", Label::ArmedGroup, Source::Model),
            span(t, "Protection civile", Label::Org, Source::Model),
        ];
        let out = organisation_phrases(t, spans, cue);
        assert_eq!(
            show(t, &out),
            vec![
                ("Centre hospitalier régional de Tenkodogo".to_string(), Label::Org),
                ("Commission des droits de l'homme du Cameroun".to_string(), Label::Org),
                ("ministère ukrainien de la Défense".to_string(), Label::Org),
                ("ministère de la Sécurité et de la Protection civile".to_string(), Label::Org),
            ]
        );
    }

    #[test]
    fn organisation_names_stop_at_other_names_and_armed_cues() {
        // another organisation or an armed group ends the name; a plain hospital in a town is no
        // name; an armed cue leaves the decision to the taggers
        let t = "Le Conseil de sécurité de l'ONU se réunit. Le ministère de la Santé du Hamas parle. \
                 L'hôpital de Gao est plein. L'Union des forces de la résistance de Tahoua attaque.";
        let onu = span(t, "ONU", Label::Org, Source::Lexicon);
        let conseil = span(t, "Conseil de sécurité", Label::Org, Source::Lexicon);
        let hamas = span(t, "Hamas", Label::ArmedGroup, Source::Lexicon);
        let gao = span(t, "Gao", Label::Location, Source::Lexicon);
        let out = organisation_phrases(t, vec![conseil, onu, hamas, gao], cue);
        assert_eq!(
            show(t, &out),
            vec![
                ("Conseil de sécurité".to_string(), Label::Org),
                ("ONU".to_string(), Label::Org),
                ("ministère de la Santé".to_string(), Label::Org),
                ("Hamas".to_string(), Label::ArmedGroup),
                ("Gao".to_string(), Label::Location),
            ]
        );
    }

    #[test]
    fn a_whole_name_span_keeps_its_identity() {
        let t = "La Croix-Rouge du Kenya a évacué deux blessés.";
        let mut cr = span(t, "Croix-Rouge", Label::Org, Source::Lexicon);
        cr.canonical =
            Some(Canonical { id: "org:x".into(), name: "x".into(), name_en: None, kind: None, country: None });
        let kenya = span(t, "Kenya", Label::Location, Source::Lexicon);
        let out = organisation_phrases(t, vec![cr, kenya], cue);
        assert_eq!(show(t, &out), vec![("Croix-Rouge du Kenya".to_string(), Label::Org)]);
        assert!(out[0].canonical.is_none(), "the Kenyan society is not the movement");
    }

    #[test]
    fn fragments_join_into_names() {
        let t = "Leur porte-parole militaire, Yahya Saree, cite l'ONG Invisible Children et des fusils d'assaut \
                 Tavor, des avions Soukhoï Su-25 et Bachar al-Assad au Darfour-Nord, près du lac Kivu.";
        let spans = vec![
            span(t, "Yahya", Label::Person, Source::Model),
            span(t, "Saree", Label::ArmedGroup, Source::Model),
            span(t, "Invisible", Label::Org, Source::Model),
            span(t, "Children", Label::Org, Source::Model),
            span(t, "fusils d'assaut", Label::Weapon, Source::Lexicon),
            span(t, "Tavor", Label::ArmedGroup, Source::Model),
            span(t, "Soukhoï Su-25", Label::Weapon, Source::Lexicon),
            span(t, "Bachar", Label::Person, Source::Model),
            span(t, "Darfour", Label::Location, Source::Model),
            span(t, "Kivu", Label::Location, Source::Lexicon),
        ];
        let out = join_fragments(t, spans);
        assert_eq!(
            show(t, &out),
            vec![
                ("Yahya Saree".to_string(), Label::Person),
                ("Invisible Children".to_string(), Label::Org),
                ("fusils d'assaut Tavor".to_string(), Label::Weapon),
                ("avions Soukhoï Su-25".to_string(), Label::Weapon),
                ("Bachar al-Assad".to_string(), Label::Person),
                ("Darfour-Nord".to_string(), Label::Location),
                ("lac Kivu".to_string(), Label::Location),
            ]
        );
    }

    #[test]
    fn english_names_agreements_ministries_and_absorbed_organisations() {
        let t = "Le Ghana Cocoa Board et le Serum Institute of India, selon Universal TV. Les Rapid Support \
                 Forces ont rejeté l'accord de Juba. Le ministère de la Santé de l'État de Khartoum et la Société \
                 de la Croix-Rouge éthiopienne. Le ministère de la Communication évoque un tir.";
        let spans = vec![
            span(t, "Ghana", Label::Location, Source::Lexicon),
            span(t, "India", Label::ArmedGroup, Source::Model),
            span(t, "Universal", Label::Org, Source::Model),
            span(t, "Rapid Support", Label::ArmedGroup, Source::Model),
            span(t, "Juba", Label::Location, Source::Lexicon),
            span(t, "Khartoum", Label::Location, Source::Lexicon),
            span(t, "Croix-Rouge", Label::Org, Source::Lexicon),
            span(t, "ministère de la Communication évoque", Label::Org, Source::Model),
        ];
        let out = organisation_phrases(t, spans, |w| w == "forces");
        assert_eq!(
            show(t, &out),
            vec![
                ("Ghana Cocoa Board".to_string(), Label::Org),
                ("Serum Institute of India".to_string(), Label::Org),
                ("Universal TV".to_string(), Label::Org),
                ("Rapid Support Forces".to_string(), Label::ArmedGroup),
                ("accord de Juba".to_string(), Label::Misc),
                ("ministère de la Santé".to_string(), Label::Org),
                ("Khartoum".to_string(), Label::Location),
                ("Société de la Croix-Rouge éthiopienne".to_string(), Label::Org),
                ("ministère de la Communication".to_string(), Label::Org),
            ]
        );
    }

    #[test]
    fn forces_named_with_their_state_and_names_in_apposition() {
        let t = "Les Forces armées du Ghana, la Nigeria Security and Civil Defence Corps et la Karenni Army. \
                 Selon la Commission épiscopale nationale Justice et Paix, les Forces armées maliennes ont tiré \
                 et l'ONG Mercy Corps soigne les blessés des Forces de la résistance de Tareq Saleh.";
        let spans = vec![
            span(t, "Ghana", Label::Location, Source::Lexicon),
            span(t, "Nigeria", Label::Location, Source::Lexicon),
            span(t, "Karenni Army", Label::Org, Source::Model),
            span(t, "Paix", Label::ArmedGroup, Source::Model),
            span(t, "Forces armées maliennes", Label::ArmedGroup, Source::Lexicon),
        ];
        let out = organisation_phrases(t, spans, |w| ["forces", "armées", "corps", "army"].contains(&w));
        assert_eq!(
            show(t, &out),
            vec![
                ("Forces armées du Ghana".to_string(), Label::ArmedGroup),
                ("Nigeria Security and Civil Defence Corps".to_string(), Label::ArmedGroup),
                ("Karenni Army".to_string(), Label::ArmedGroup),
                ("Commission épiscopale nationale Justice et Paix".to_string(), Label::Org),
                ("Forces armées maliennes".to_string(), Label::ArmedGroup),
                ("Mercy Corps".to_string(), Label::Org),
            ]
        );
    }

    #[test]
    fn a_unit_and_its_army_are_two_groups_and_particles_take_names() {
        let t = "La 18e brigade de l'armée colombienne et les houthis d'Abdelmalek al-Houthi.";
        let spans = vec![span(t, "18e brigade de l'armée colombienne", Label::ArmedGroup, Source::Model)];
        let out = role_persons(t, spans, cue);
        assert_eq!(
            show(t, &out),
            vec![("18e brigade".to_string(), Label::ArmedGroup), ("armée colombienne".to_string(), Label::ArmedGroup)]
        );
        let spans = vec![
            span(t, "Abdelmalek", Label::Person, Source::Model),
            span(t, "Houthi", Label::ArmedGroup, Source::Lexicon),
        ];
        let out = join_fragments(t, spans);
        assert_eq!(show(t, &out), vec![("Abdelmalek al-Houthi".to_string(), Label::Person)]);
    }

    #[test]
    fn portfolios_are_no_entities() {
        let t = "L'ancien ministre russe de la Défense Sergueï Choïgou et le ministre de l'Intérieur ont vu la Défense civile.";
        let spans = vec![
            span(t, "Défense", Label::ArmedGroup, Source::Model),
            span(t, "Sergueï Choïgou", Label::Person, Source::Model),
            span(t, "Intérieur", Label::Org, Source::Model),
            span(t, "Défense civile", Label::Org, Source::Lexicon),
        ];
        let out = drop_portfolios(t, spans);
        assert_eq!(
            show(t, &out),
            vec![("Sergueï Choïgou".to_string(), Label::Person), ("Défense civile".to_string(), Label::Org)]
        );
    }

    #[test]
    fn persons_in_persons_slots() {
        let t = "Les Forces démocratiques syriennes (FDS) de Mazloum Abdi avancent; son porte-parole, Farhad Shami, parle. Un commandant des Seven Kata a tiré. Jimmy Chérizier, alias « Barbecue », menace; une milice dirigée par Yasser Abou Chabab et les Forces de la résistance nationale de Tareq Saleh.";
        let spans = vec![
            span(t, "Forces démocratiques syriennes", Label::ArmedGroup, Source::Lexicon),
            span(t, "FDS", Label::ArmedGroup, Source::Lexicon),
            span(t, "Mazloum Abdi", Label::ArmedGroup, Source::Model),
            span(t, "Farhad Shami", Label::ArmedGroup, Source::Model),
            span(t, "Seven Kata", Label::ArmedGroup, Source::Model),
            span(t, "Jimmy Chérizier", Label::Person, Source::Model),
            span(t, "Barbecue", Label::ArmedGroup, Source::Model),
            span(t, "Yasser Abou Chabab", Label::ArmedGroup, Source::Model),
            span(t, "Forces de la résistance nationale de Tareq Saleh", Label::ArmedGroup, Source::Model),
        ];
        let out = role_persons(t, spans, |w| cue(w) || w == "résistance");
        assert_eq!(
            show(t, &out),
            vec![
                ("Forces démocratiques syriennes".to_string(), Label::ArmedGroup),
                ("FDS".to_string(), Label::ArmedGroup),
                ("Mazloum Abdi".to_string(), Label::Person),
                ("Farhad Shami".to_string(), Label::Person),
                ("Seven Kata".to_string(), Label::ArmedGroup),
                ("Jimmy Chérizier".to_string(), Label::Person),
                ("Barbecue".to_string(), Label::Person),
                ("Yasser Abou Chabab".to_string(), Label::Person),
                ("Forces de la résistance nationale".to_string(), Label::ArmedGroup),
                ("Tareq Saleh".to_string(), Label::Person),
            ]
        );
    }
}
