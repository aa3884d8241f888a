//! Deterministic generator of synthetic French conflict-news paragraphs, for benchmarks and
//! stress tests (not for training or evaluation: the sentences are templates).

/// Small deterministic PRNG (SplitMix64), so a seed always gives the same corpus.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    pub fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

const ACTORS: &[&str] = &[
    "l'armée malienne",
    "les FAMa",
    "le Front de libération de l'Azawad",
    "le FLA",
    "l'Africa Corps",
    "le groupe Wagner",
    "le JNIM",
    "l'État islamique au Sahel",
    "l'armée burkinabè",
    "les VDP",
    "les forces armées nigériennes",
    "Boko Haram",
    "l'ISWAP",
    "les FARDC",
    "le M23",
    "les ADF",
    "les Forces de soutien rapide",
    "l'armée soudanaise",
    "les shebab",
    "la MINUSCA",
];
const PLACES: &[&str] = &[
    "Aguelhoc",
    "Kidal",
    "Tinzaouatène",
    "Gao",
    "Tombouctou",
    "Ménaka",
    "Mopti",
    "Djibo",
    "Tillabéri",
    "Diffa",
    "Maiduguri",
    "Goma",
    "Bunia",
    "Beni",
    "El Fasher",
    "Khartoum",
    "Mogadiscio",
    "Ouagadougou",
    "Bamako",
    "Niamey",
];
const WEAPONS: &[&str] = &[
    "des mines artisanales",
    "des drones",
    "des hélicoptères",
    "des avions de chasse",
    "des engins explosifs improvisés",
    "des véhicules blindés",
    "des mortiers",
    "des roquettes",
    "des fusils d'assaut",
    "des armes lourdes",
    "des pick-up armés",
    "des obus",
];
const DAYS: &[&str] = &["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"];
const FILLER: &[&str] = &[
    "Aucun bilan fiable n'a pu être établi pour le moment.",
    "Les informations circulant sur les réseaux sociaux n'ont pas pu être vérifiées de source indépendante.",
    "Selon des sources locales, plusieurs familles ont fui vers les localités voisines.",
    "M. Diallo, un habitant joint par téléphone, évoque « une nuit de terreur ».",
    "Les autorités n'ont pas souhaité commenter ces informations… du moins pour l'instant.",
    "La situation humanitaire reste préoccupante, avec 3,5 millions de personnes déplacées.",
    "Le marché hebdomadaire a rouvert samedi, sous haute surveillance.",
];

/// One paragraph (about 500–1,200 characters).
pub fn paragraph(rng: &mut Rng) -> String {
    let a = rng.pick(ACTORS);
    let b = rng.pick(ACTORS);
    let p = rng.pick(PLACES);
    let q = rng.pick(PLACES);
    let w = rng.pick(WEAPONS);
    let v = rng.pick(WEAPONS);
    let d = rng.pick(DAYS);
    let n = 2 + rng.below(60);
    let km = 5 + rng.below(120);
    let mut s = format!(
        "Selon plusieurs sources sécuritaires, {a} a mené {d} une attaque contre une position tenue par {b} près de {p}, \
à une quarantaine de kilomètres de {q}. Les assaillants ont utilisé {w} et {v}, faisant au moins {n} morts. \
Un convoi parti de {q} a été ciblé à {km} km de là."
    );
    for _ in 0..(1 + rng.below(4)) {
        s.push(' ');
        s.push_str(rng.pick(FILLER));
    }
    s
}

/// One JSONL input line for document number `i`.
pub fn jsonl_doc(rng: &mut Rng, i: u64) -> String {
    let text = paragraph(rng);
    let obj = serde_json::json!({
        "id": format!("doc-{i:08}"),
        "text": text,
        "date": format!("2025-06-{:02}", 1 + (i % 28)),
        "source": "synthetic",
    });
    let mut line = obj.to_string();
    line.push('\n');
    line
}
