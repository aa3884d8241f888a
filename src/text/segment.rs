//! French sentence segmentation for news text.
//!
//! [`segment`] returns UTF-8 byte ranges into the input, one per sentence. Ranges are in order,
//! non-overlapping, trimmed of whitespace, never empty, on char boundaries, and together they
//! cover every non-whitespace character of the input.
//!
//! # How it works
//!
//! The text is cut into *tokens*: maximal runs of non-whitespace characters, where whitespace is
//! anything [`char::is_whitespace`] accepts (so U+00A0 and U+202F, used by French typography
//! before `; : ! ? »` and after `«`, count as spaces). A sentence boundary can only fall in the
//! whitespace gap between two tokens, which is why URLs, e-mail addresses, numbers such as `3.5`,
//! `12.06.2025` or `v1.2`, and dotted acronyms such as `O.N.U.` are never split internally.
//! Each gap is decided from a bounded look-back (at most `LOOKBACK` tokens) and the first few
//! characters of the next token, so the whole function runs in linear time and never panics.
//!
//! A gap is a boundary when:
//!
//! * it contains a paragraph break (two or more line breaks, e.g. a blank line). This always ends
//!   a sentence, even without punctuation, so a headline followed by a blank line is a sentence
//!   of its own. A single line break is an ordinary space.
//! * or the text before it ends with sentence-final punctuation, possibly followed by closing
//!   quotes or brackets (`» ” " ' ) ]`, attached or separated by a space/nbsp — the closers
//!   belong to the sentence they close), **and** the next token looks like a sentence start: an
//!   uppercase letter, a digit, an opening quote (`« “ " '`), a dash (`– — -`, dialogue) or an
//!   opening bracket. An opening quote directly followed by a lowercase letter is a quotation
//!   inside the sentence (`Il a dit… « que non »`), not a sentence start.
//!
//! Sentence-final punctuation is `!`, `?`, `…`, runs of them (`?!`, `!!!`, `...`), or a single
//! `.`. A colon or semicolon never ends a sentence, and neither does a dash with no final
//! punctuation before it (parenthetical `– blindés, camions –`). Because the next token must look
//! like a sentence start, `« Nous avons gagné. » a-t-il dit.` and `Il a dit… que non` stay whole.
//!
//! A single `.` is further checked against the word it ends:
//!
//! * *prefix* abbreviations never end a sentence, whatever follows: titles and ranks (`M.`,
//!   `MM.`, `Mme`, `Dr`, `Mgr`, `Gén.`, `Col.`, …), single initials (`J. R. R. Tolkien`,
//!   `A. Diallo`, hyphenated `J.-P.`), and words that always introduce something (`av.`, `apr.`,
//!   `ap.` before `J.-C.`, `p.`, `pp.`, `n°`, `cf.`, `ex.`, `env.`, `e.g.`, `i.e.`, `c.-à-d.`).
//!   A sentence genuinely ending on a single capital (`la vitamine C. Elle…`) is therefore not
//!   split: a deliberate trade-off in favour of names.
//! * *before-number* abbreviations (`sept.`, `oct.` and the other months, `art.`, `vol.`,
//!   `chap.`, `no.`, `min.`, `max.`, `km.`, `hab.`, `éd.`) do not end a sentence when a number
//!   follows (`12 sept. 2025`, `art. 3`), but do before an uppercase word, since most of them
//!   are also ordinary words or units that can close a sentence (`Ils étaient sept. Le…`,
//!   `à 30 km. Le…`).
//! * a number of at most three digits opening a sentence is a list marker (`1. Premier
//!   point.`), not a sentence of its own.
//! * everything else, including the *suffix* abbreviations `etc.`, `J.-C.`, `al.`, `Inc.`,
//!   `Cie.`, `S.A.` and dotted acronyms, behaves like an ordinary word: a boundary if and only if
//!   a sentence start follows. Heuristic choice for acronyms: `l'O.N.U. a voté` stays whole,
//!   `l'O.N.U. Le vote…` is split, because an acronym followed by a capitalised word is more
//!   often a sentence end than not in news copy. The same holds for `etc.` and `av. J.-C.`.

use std::ops::Range;

/// How many tokens the look-back may walk over (tokens made only of closing quotes/brackets are
/// skipped to reach the punctuation they follow). Bounding it keeps segmentation linear.
const LOOKBACK: usize = 4;

/// Words longer than this (in bytes) are never abbreviations; avoids comparing long tokens.
const MAX_ABBREVIATION_BYTES: usize = 16;

/// Titles and ranks, matched case-sensitively: they precede a name and never end a sentence.
const TITLES: &[&str] = &[
    "M", "MM", "Mme", "Mmes", "Mlle", "Mlles", "Mr", "Dr", "Drs", "Pr", "Me", "Mgr", "St", "Ste", "Gén", "Gal", "Col",
    "Cdt", "Lt", "Sgt", "Cne", "Adj", "Cpl",
];

/// Abbreviations that introduce what follows (lowercase; matched case-insensitively).
const PREFIX_ABBREVIATIONS: &[&str] =
    &["av", "apr", "ap", "p", "pp", "n°", "cf", "ex", "env", "e.g", "i.e", "c.-à-d", "c-à-d", "càd", "vs", "réf"];

/// Abbreviations that are not a boundary before a number, but may close a sentence otherwise
/// (lowercase; matched case-insensitively).
const NUMBER_ABBREVIATIONS: &[&str] = &[
    "janv", "févr", "fév", "fevr", "avr", "juil", "sept", "oct", "nov", "déc", "dec", "art", "vol", "chap", "no",
    "min", "max", "km", "hab", "éd",
];

/// Abbreviations that commonly end a sentence; they are treated like ordinary words. Listed so
/// that `J.-C.` is not mistaken for hyphenated initials such as `J.-P.`.
const SUFFIX_ABBREVIATIONS: &[&str] = &["etc", "j.-c", "al", "inc", "cie", "s.a"];

/// Splits French text into sentences. Returns UTF-8 byte ranges into `text`, in order,
/// non-overlapping, each trimmed of leading/trailing whitespace, never empty, every range on char
/// boundaries. Every non-whitespace character of `text` is inside exactly one range.
#[must_use]
pub fn segment(text: &str) -> Vec<Range<usize>> {
    let mut sentences = Vec::new();
    let mut recent = Recent::default();
    let mut current: Option<Range<usize>> = None;
    for token in Tokens::new(text) {
        match current.as_mut() {
            Some(sentence) if !is_boundary(text, &recent, &token) => {
                sentence.end = token.range.end;
            }
            _ => {
                sentences.extend(current.take());
                recent.clear();
                current = Some(token.range.clone());
            }
        }
        recent.push(token.range);
    }
    sentences.extend(current);
    sentences
}

/// A maximal run of non-whitespace characters.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    range: Range<usize>,
    /// Line breaks in the whitespace just before this token.
    breaks_before: usize,
}

/// Iterator over the [`Token`]s of a text.
struct Tokens<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Tokens<'a> {
    fn new(text: &'a str) -> Self {
        Tokens { text, pos: 0 }
    }
}

impl Iterator for Tokens<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        let rest = self.text.get(self.pos..)?;
        let mut breaks = LineBreaks::default();
        let mut start = None;
        for (offset, c) in rest.char_indices() {
            if !c.is_whitespace() {
                start = Some(self.pos + offset);
                break;
            }
            breaks.feed(c);
        }
        let Some(start) = start else {
            self.pos = self.text.len();
            return None;
        };
        let end = self.text[start..].find(char::is_whitespace).map_or(self.text.len(), |len| start + len);
        self.pos = end;
        Some(Token { range: start..end, breaks_before: breaks.count })
    }
}

/// Counts line breaks in a whitespace run; `\r\n` counts once, paragraph/page separators twice.
#[derive(Default)]
struct LineBreaks {
    count: usize,
    after_cr: bool,
}

impl LineBreaks {
    fn feed(&mut self, c: char) {
        self.count += match c {
            '\n' if self.after_cr => 0,
            '\n' | '\r' | '\u{b}' | '\u{85}' | '\u{2028}' => 1,
            '\u{c}' | '\u{2029}' => 2,
            _ => 0,
        };
        self.after_cr = c == '\r';
    }
}

/// The last few token ranges of the current sentence, oldest first.
#[derive(Default)]
struct Recent {
    items: [Range<usize>; LOOKBACK],
    len: usize,
}

impl Recent {
    fn push(&mut self, range: Range<usize>) {
        if self.len == LOOKBACK {
            self.items.rotate_left(1);
            self.items[LOOKBACK - 1] = range;
        } else {
            self.items[self.len] = range;
            self.len += 1;
        }
    }

    fn holds_one(&self) -> bool {
        self.len == 1
    }

    fn clear(&mut self) {
        self.len = 0;
    }

    fn newest_first(&self) -> impl Iterator<Item = &Range<usize>> {
        self.items[..self.len].iter().rev()
    }
}

/// How the text before a gap ends.
#[derive(Debug, PartialEq, Eq)]
enum Ending<'a> {
    /// `!`, `?`, `…` or any run of final punctuation other than a single period.
    Strong,
    /// A single period; holds what precedes it in the same token (possibly empty).
    Period(&'a str),
}

/// Classification of the word before a single period.
#[derive(Debug, PartialEq, Eq)]
enum WordKind {
    /// Ordinary word, number, acronym or suffix abbreviation.
    Ordinary,
    /// Title, initial or introducing abbreviation: never a boundary.
    Prefix,
    /// Not a boundary when a number follows.
    BeforeNumber,
}

/// Decides whether the gap before `next` is a sentence boundary.
fn is_boundary(text: &str, recent: &Recent, next: &Token) -> bool {
    if next.breaks_before >= 2 {
        return true;
    }
    let follower = &text[next.range.clone()];
    let Some(first) = follower.chars().next() else {
        return false;
    };
    let starts = starts_sentence(&text[next.range.start..]);
    match ending(text, recent) {
        None => false,
        Some(Ending::Strong) => starts,
        Some(Ending::Period(word)) => match classify(word) {
            WordKind::Prefix => false,
            WordKind::BeforeNumber => starts && !first.is_numeric(),
            WordKind::Ordinary => starts && !is_list_marker(word, recent),
        },
    }
}

/// A number of at most three digits opening the sentence, as in `1. Premier point.`
fn is_list_marker(word: &str, recent: &Recent) -> bool {
    recent.holds_one() && (1..=3).contains(&word.len()) && word.bytes().all(|b| b.is_ascii_digit())
}

/// Finds the sentence-final punctuation (if any) ending the text before the gap, skipping
/// trailing closing quotes/brackets, even when they stand alone after a (non-breaking) space.
fn ending<'a>(text: &'a str, recent: &Recent) -> Option<Ending<'a>> {
    for range in recent.newest_first() {
        let core = text[range.clone()].trim_end_matches(is_closer);
        if core.is_empty() {
            continue;
        }
        let body = core.trim_end_matches(is_terminal);
        return match &core[body.len()..] {
            "" => None,
            "." => Some(Ending::Period(body)),
            _ => Some(Ending::Strong),
        };
    }
    None
}

/// Classifies the word that precedes a single period.
fn classify(word: &str) -> WordKind {
    let word = word.trim_start_matches(is_opener).trim_end_matches(is_closer);
    // Drop an elided article or preposition: `l'Adj.`, `d'A. Diallo`, `qu'O.N.U`.
    let word = word.rsplit(is_apostrophe).next().unwrap_or(word);
    if word.is_empty() || word.len() > MAX_ABBREVIATION_BYTES {
        return WordKind::Ordinary;
    }
    let lower = word.to_lowercase();
    let listed = |list: &[&str]| list.contains(&lower.as_str());
    if TITLES.contains(&word) || is_initials(word, &lower) || listed(PREFIX_ABBREVIATIONS) {
        WordKind::Prefix
    } else if listed(NUMBER_ABBREVIATIONS) {
        WordKind::BeforeNumber
    } else {
        WordKind::Ordinary
    }
}

/// `A`, `J.-P` (the final period already removed), but not `J.-C` nor acronyms like `O.N.U`.
fn is_initials(word: &str, lower: &str) -> bool {
    !SUFFIX_ABBREVIATIONS.contains(&lower) && word.split(".-").all(is_single_uppercase)
}

fn is_single_uppercase(s: &str) -> bool {
    let mut chars = s.chars();
    matches!((chars.next(), chars.next()), (Some(c), None) if c.is_uppercase())
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’')
}

fn is_terminal(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '…' | '‽')
}

fn is_closer(c: char) -> bool {
    matches!(c, '»' | '”' | '’' | '"' | '\'' | ')' | ']' | '}' | '›')
}

fn is_opener(c: char) -> bool {
    matches!(c, '«' | '“' | '‘' | '„' | '"' | '\'' | '(' | '[' | '{' | '‹')
}

fn is_quote_opener(c: char) -> bool {
    matches!(c, '«' | '“' | '‘' | '„' | '"' | '\'' | '‹')
}

fn is_dash(c: char) -> bool {
    matches!(c, '-' | '‐' | '‑' | '‒' | '–' | '—' | '―' | '−')
}

/// Whether `rest` (the text from the start of the next token on) plausibly starts a new
/// sentence: uppercase letter, digit, opening quote or bracket, dash or bullet. An opening quote followed by a lowercase
/// letter (`Il a dit… « que non »`) is a quotation inside the sentence, not a new one. The
/// look-past is bounded to a few characters and may extend beyond the token, since French
/// typography puts a non-breaking space after `«`.
fn starts_sentence(rest: &str) -> bool {
    let mut chars = rest.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    if is_quote_opener(first) {
        let after_quote = chars.take(4).find(|c| !c.is_whitespace() && !is_quote_opener(*c));
        return !after_quote.is_some_and(char::is_lowercase);
    }
    first.is_uppercase() || first.is_numeric() || is_opener(first) || is_dash(first) || matches!(first, '•' | '¿' | '¡')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sents(text: &str) -> Vec<&str> {
        segment(text).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn empty_and_whitespace_only() {
        assert!(segment("").is_empty());
        assert!(segment(" \n\t\u{a0}\u{202f}\r\n").is_empty());
    }

    #[test]
    fn tokens_count_line_breaks() {
        let text = "a\r\n\r\nb\n c";
        let tokens: Vec<Token> = Tokens::new(text).collect();
        let breaks: Vec<usize> = tokens.iter().map(|t| t.breaks_before).collect();
        assert_eq!(breaks, vec![0, 2, 1]);
        assert_eq!(tokens[1].range, 5..6);
    }

    #[test]
    fn classify_words() {
        assert_eq!(classify("M"), WordKind::Prefix);
        assert_eq!(classify("(Mme"), WordKind::Prefix);
        assert_eq!(classify("J.-P"), WordKind::Prefix);
        assert_eq!(classify("J.-C"), WordKind::Ordinary);
        assert_eq!(classify("O.N.U"), WordKind::Ordinary);
        assert_eq!(classify("sept"), WordKind::BeforeNumber);
        assert_eq!(classify("Cf"), WordKind::Prefix);
        assert_eq!(classify("col"), WordKind::Ordinary);
        assert_eq!(classify("etc"), WordKind::Ordinary);
        assert_eq!(classify("l'Adj"), WordKind::Prefix);
        assert_eq!(classify("d’A"), WordKind::Prefix);
        assert_eq!(classify("l'O.N.U"), WordKind::Ordinary);
    }

    #[test]
    fn ending_skips_detached_closers() {
        let text = "gagné\u{a0}!\u{a0}»";
        let mut recent = Recent::default();
        for token in Tokens::new(text) {
            recent.push(token.range);
        }
        assert_eq!(ending(text, &recent), Some(Ending::Strong));
    }

    #[test]
    fn recent_keeps_last_tokens() {
        let mut recent = Recent::default();
        for i in 0..10 {
            recent.push(i..i + 1);
        }
        let starts: Vec<usize> = recent.newest_first().map(|r| r.start).collect();
        assert_eq!(starts, vec![9, 8, 7, 6]);
    }

    #[test]
    fn basic_split() {
        assert_eq!(sents("Il pleut. Il vente !"), vec!["Il pleut.", "Il vente !"]);
    }
}
