//! Integration tests for French sentence segmentation.

use vigie::text::segment::segment;

fn sents(t: &str) -> Vec<&str> {
    segment(t).into_iter().map(|r| &t[r]).collect()
}

/// Asserts the structural invariants documented on `segment`.
fn check_invariants(text: &str) {
    let ranges = segment(text);
    let mut prev_end = 0;
    for r in &ranges {
        assert!(r.start < r.end, "empty range {r:?} in {text:?}");
        assert!(r.start >= prev_end, "overlap/out of order {r:?} in {text:?}");
        assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
        let s = &text[r.clone()];
        assert_eq!(s, s.trim(), "untrimmed {s:?} in {text:?}");
        // Between sentences there is only whitespace.
        assert!(text[prev_end..r.start].chars().all(char::is_whitespace), "gap in {text:?}");
        prev_end = r.end;
    }
    assert!(text[prev_end..].chars().all(char::is_whitespace), "uncovered tail in {text:?}");
}

#[test]
fn empty_input() {
    assert!(segment("").is_empty());
}

#[test]
fn whitespace_only_input() {
    assert!(segment("   \n\n\t \u{a0}\u{202f}  \r\n").is_empty());
}

#[test]
fn no_punctuation() {
    assert_eq!(
        sents("  des combats ont eu lieu dans la région sans autre précision  "),
        vec!["des combats ont eu lieu dans la région sans autre précision"]
    );
}

#[test]
fn simple_sentences() {
    assert_eq!(
        sents("Le convoi est parti. Il est arrivé ! Pourquoi ? Personne ne sait."),
        vec!["Le convoi est parti.", "Il est arrivé !", "Pourquoi ?", "Personne ne sait."]
    );
}

#[test]
fn real_paragraph_has_four_sentences() {
    let text = "Le convoi logistique de l'armée malienne et de l'Africa Corps russe était composé d'une trentaine de véhicules – blindés, camions, pick-up et autres. Il a d'abord été ciblé jeudi 12 juin par des mines artisanales, à Tadjereret. Ce vendredi matin, c'est à Anoumalane, à une quarantaine de kilomètres d'Aguelhoc, que le Front de libération de l'Azawad a tendu une embuscade contre ce même convoi, avec essentiellement des tirs à l'arme lourde, pendant plus de deux heures. L'armée malienne a finalement répliqué avec des bombardements aériens – des drones, des avions de chasse et des hélicoptères ont été mobilisés – qui ont mis un terme à l'affrontement.";
    let got = sents(text);
    assert_eq!(got.len(), 4);
    assert!(got[0].ends_with("pick-up et autres."));
    assert_eq!(got[1], "Il a d'abord été ciblé jeudi 12 juin par des mines artisanales, à Tadjereret.");
    assert!(got[2].starts_with("Ce vendredi matin") && got[2].ends_with("deux heures."));
    assert!(got[3].starts_with("L'armée malienne") && got[3].ends_with("l'affrontement."));
}

#[test]
fn titles_are_not_boundaries() {
    assert_eq!(
        sents("M. Diallo a rencontré Mme Traoré et MM. Keïta et Coulibaly. Dr Sy était là."),
        vec!["M. Diallo a rencontré Mme Traoré et MM. Keïta et Coulibaly.", "Dr Sy était là."]
    );
    assert_eq!(
        sents("Selon Mgr. Zerbo et Me. Konaté, le Pr. Ba et le Dr. Sow sont à St. Louis. Fin."),
        vec!["Selon Mgr. Zerbo et Me. Konaté, le Pr. Ba et le Dr. Sow sont à St. Louis.", "Fin."]
    );
}

#[test]
fn military_ranks() {
    assert_eq!(
        sents("Le Gén. Goïta et le Col. Maïga ont vu le Cdt. Diarra, le Lt. Sidibé, le Sgt. Coulibaly, le Cne. Touré et l'Adj. Koné. Rien."),
        vec!["Le Gén. Goïta et le Col. Maïga ont vu le Cdt. Diarra, le Lt. Sidibé, le Sgt. Coulibaly, le Cne. Touré et l'Adj. Koné.", "Rien."]
    );
}

#[test]
fn before_christ() {
    assert_eq!(
        sents("Alésia tombe en 52 av. J.-C. après un long siège. César triomphe en 46 av. J.-C. Il meurt en 44."),
        vec!["Alésia tombe en 52 av. J.-C. après un long siège.", "César triomphe en 46 av. J.-C.", "Il meurt en 44."]
    );
    assert_eq!(
        sents("Vers 30 apr. J.-C. ou 40 ap. J.-C. la ville prospère."),
        vec!["Vers 30 apr. J.-C. ou 40 ap. J.-C. la ville prospère."]
    );
}

#[test]
fn reference_abbreviations() {
    assert_eq!(
        sents("Voir p. 12, pp. 30-35, n° 4, no. 7, vol. 2, chap. 3 et art. 5. Cf. la note."),
        vec!["Voir p. 12, pp. 30-35, n° 4, no. 7, vol. 2, chap. 3 et art. 5.", "Cf. la note."]
    );
    assert_eq!(
        sents("Dupont et al. ont montré cela, cf. Martin, éd. 2003. Ensuite, par ex. Le Monde."),
        vec!["Dupont et al. ont montré cela, cf. Martin, éd. 2003.", "Ensuite, par ex. Le Monde."]
    );
}

#[test]
fn quantity_abbreviations() {
    assert_eq!(
        sents("Il y avait env. 300 personnes, min. 20 et max. 40 par bus, à 12 km. de la ville. Bamako compte 2 millions d'hab. Le maire le dit."),
        vec!["Il y avait env. 300 personnes, min. 20 et max. 40 par bus, à 12 km. de la ville.", "Bamako compte 2 millions d'hab.", "Le maire le dit."]
    );
}

#[test]
fn month_abbreviations() {
    assert_eq!(
        sents("Entre le 3 janv. 2024, le 5 févr. 2024, le 9 avr. 2024, le 14 juil. 2024, le 12 sept. 2024, le 1 oct. 2024, le 2 nov. 2024 et le 25 déc. 2024. Puis rien."),
        vec!["Entre le 3 janv. 2024, le 5 févr. 2024, le 9 avr. 2024, le 14 juil. 2024, le 12 sept. 2024, le 1 oct. 2024, le 2 nov. 2024 et le 25 déc. 2024.", "Puis rien."]
    );
    // "sept" is also the number seven.
    assert_eq!(
        sents("Ils étaient sept. Le lendemain, trois sont partis."),
        vec!["Ils étaient sept.", "Le lendemain, trois sont partis."]
    );
}

#[test]
fn latin_and_french_shorthands() {
    assert_eq!(
        sents("Les groupes armés, c.-à-d. le JNIM et l'EIGS, i.e. les jihadistes, e.g. Katiba Macina, frappent. Fin."),
        vec![
            "Les groupes armés, c.-à-d. le JNIM et l'EIGS, i.e. les jihadistes, e.g. Katiba Macina, frappent.",
            "Fin."
        ]
    );
}

#[test]
fn company_abbreviations() {
    assert_eq!(
        sents("La société Orange S.A. et Acme Inc. ont signé avec Dupont et Cie. Le contrat court."),
        vec!["La société Orange S.A. et Acme Inc. ont signé avec Dupont et Cie.", "Le contrat court."]
    );
}

#[test]
fn etc_followed_by_lowercase_continues() {
    assert_eq!(
        sents("Des drones, des avions, etc. ont été mobilisés."),
        vec!["Des drones, des avions, etc. ont été mobilisés."]
    );
}

#[test]
fn etc_followed_by_uppercase_ends() {
    assert_eq!(
        sents("...des drones, etc. Le convoi est reparti."),
        vec!["...des drones, etc.", "Le convoi est reparti."]
    );
}

#[test]
fn initials() {
    assert_eq!(
        sents("J. R. R. Tolkien a écrit. A. Diallo et G. W. Bush aussi. J.-P. Sartre enfin."),
        vec!["J. R. R. Tolkien a écrit.", "A. Diallo et G. W. Bush aussi.", "J.-P. Sartre enfin."]
    );
}

#[test]
fn acronyms_with_periods() {
    assert_eq!(
        sents("L'O.N.U. a voté avec les U.S.A. hier. Il a saisi l'O.N.U. Le vote suivra."),
        vec!["L'O.N.U. a voté avec les U.S.A. hier.", "Il a saisi l'O.N.U.", "Le vote suivra."]
    );
}

#[test]
fn numbers_are_not_split() {
    assert_eq!(
        sents("Le taux est de 3.5 % pour 1.000 soldats, le 12.06.2025, soit 10 000 hommes, version v1.2 du rapport."),
        vec!["Le taux est de 3.5 % pour 1.000 soldats, le 12.06.2025, soit 10 000 hommes, version v1.2 du rapport."]
    );
}

#[test]
fn period_after_number_ends_sentence() {
    assert_eq!(
        sents("Le conflit a repris en 2024. Le bilan dépasse 300. 12 civils sont morts."),
        vec!["Le conflit a repris en 2024.", "Le bilan dépasse 300.", "12 civils sont morts."]
    );
}

#[test]
fn ellipsis_followed_by_uppercase_ends() {
    assert_eq!(
        sents("Il attendait… Puis il est parti... Ensuite rien."),
        vec!["Il attendait…", "Puis il est parti...", "Ensuite rien."]
    );
}

#[test]
fn ellipsis_followed_by_lowercase_continues() {
    assert_eq!(sents("Il a dit… que non. Il a dit... que oui."), vec!["Il a dit… que non.", "Il a dit... que oui."]);
}

#[test]
fn combined_punctuation() {
    assert_eq!(sents("Vraiment ?! Oui !!! Non ?? Bon."), vec!["Vraiment ?!", "Oui !!!", "Non ??", "Bon."]);
}

#[test]
fn guillemets_followed_by_lowercase_continue() {
    assert_eq!(
        sents("« Nous avons gagné. » a-t-il dit. Puis il est parti."),
        vec!["« Nous avons gagné. » a-t-il dit.", "Puis il est parti."]
    );
    assert_eq!(
        sents("«\u{a0}Quoi\u{a0}?\u{a0}» a demandé le colonel."),
        vec!["«\u{a0}Quoi\u{a0}?\u{a0}» a demandé le colonel."]
    );
}

#[test]
fn guillemets_followed_by_uppercase_end_after_closer() {
    assert_eq!(
        sents("« Nous avons gagné ! » Le FLA affirme… avoir repris la ville."),
        vec!["« Nous avons gagné ! »", "Le FLA affirme… avoir repris la ville."]
    );
    assert_eq!(
        sents("«\u{a0}Nous avons gagné\u{a0}!\u{a0}»\u{a0}Le FLA affirme."),
        vec!["«\u{a0}Nous avons gagné\u{a0}!\u{a0}»", "Le FLA affirme."]
    );
}

#[test]
fn curly_and_straight_quotes() {
    assert_eq!(
        sents("Il a crié “Partez !” Les soldats ont fui. Elle a dit \"Non.\" Puis elle est sortie."),
        vec!["Il a crié “Partez !”", "Les soldats ont fui.", "Elle a dit \"Non.\"", "Puis elle est sortie."]
    );
}

#[test]
fn quote_starts_a_sentence() {
    assert_eq!(
        sents("Il s'est tu. « Nous reviendrons », a-t-il ajouté."),
        vec!["Il s'est tu.", "« Nous reviendrons », a-t-il ajouté."]
    );
}

#[test]
fn quotation_after_ellipsis_continues() {
    assert_eq!(
        sents("Il a dit… « que non ». Il a dit…\u{a0}«\u{a0}Non.\u{a0}» Puis il est parti."),
        vec!["Il a dit… « que non ».", "Il a dit…", "«\u{a0}Non.\u{a0}»", "Puis il est parti."]
    );
}

#[test]
fn attached_quotes_without_nbsp() {
    assert_eq!(
        sents("«Quoi?» a-t-il dit. «Non!» Il part. C'est fini.» Le jour se lève."),
        vec!["«Quoi?» a-t-il dit.", "«Non!»", "Il part.", "C'est fini.»", "Le jour se lève."]
    );
}

#[test]
fn numbered_list_markers() {
    assert_eq!(
        sents("1. Premier point. 2. Second point.\n\n3. Troisième."),
        vec!["1. Premier point.", "2. Second point.", "3. Troisième."]
    );
}

#[test]
fn single_capital_before_period_is_an_initial() {
    // Documented trade-off: a sentence ending on a lone capital letter is not split.
    assert_eq!(sents("Il manque de vitamine C. Elle est utile."), vec!["Il manque de vitamine C. Elle est utile."]);
}

#[test]
fn closing_parenthesis() {
    assert_eq!(
        sents("Le détail suit (voir plus bas.) Ensuite le convoi repart."),
        vec!["Le détail suit (voir plus bas.)", "Ensuite le convoi repart."]
    );
    assert_eq!(
        sents("Il est parti (hier). (Une source l'a confirmé.) Fin."),
        vec!["Il est parti (hier).", "(Une source l'a confirmé.)", "Fin."]
    );
}

#[test]
fn nbsp_before_question_and_exclamation() {
    assert_eq!(
        sents("Quoi\u{a0}? Comment\u{202f}! Pourquoi\u{a0}?\u{a0}Rien."),
        vec!["Quoi\u{a0}?", "Comment\u{202f}!", "Pourquoi\u{a0}?", "Rien."]
    );
}

#[test]
fn colon_and_semicolon_are_not_boundaries() {
    assert_eq!(
        sents("Le bilan est lourd : Trente morts ; Douze blessés."),
        vec!["Le bilan est lourd : Trente morts ; Douze blessés."]
    );
}

#[test]
fn dialogue_dashes() {
    assert_eq!(sents("– Oui. – Non. — Peut-être ? - Jamais."), vec!["– Oui.", "– Non.", "— Peut-être ?", "- Jamais."]);
}

#[test]
fn parenthetical_dashes() {
    assert_eq!(
        sents("Des véhicules – blindés, camions – ont été détruits. Les soldats — une centaine — ont fui."),
        vec!["Des véhicules – blindés, camions – ont été détruits.", "Les soldats — une centaine — ont fui."]
    );
}

#[test]
fn urls_and_emails() {
    assert_eq!(
        sents("Lire sur https://www.rfi.fr/fr/afrique/20250613-mali.html ou écrire à a.b@c.fr pour plus. Voir www.rfi.fr. Merci."),
        vec!["Lire sur https://www.rfi.fr/fr/afrique/20250613-mali.html ou écrire à a.b@c.fr pour plus.", "Voir www.rfi.fr.", "Merci."]
    );
}

#[test]
fn headline_blank_line_paragraph() {
    let text = "Mali : le FLA revendique une embuscade\n\nLe convoi a été attaqué. Il y a des morts.\n\nUn autre titre\n  \nFin";
    assert_eq!(
        sents(text),
        vec![
            "Mali : le FLA revendique une embuscade",
            "Le convoi a été attaqué.",
            "Il y a des morts.",
            "Un autre titre",
            "Fin"
        ]
    );
}

#[test]
fn windows_line_endings() {
    assert_eq!(
        sents("Titre\r\n\r\nCorps du texte.\r\nSuite du texte"),
        vec!["Titre", "Corps du texte.", "Suite du texte"]
    );
}

#[test]
fn single_newline_is_not_a_boundary() {
    assert_eq!(
        sents("Le convoi est parti\nde Gao hier. Il est arrivé\nLe soir même."),
        vec!["Le convoi est parti\nde Gao hier.", "Il est arrivé\nLe soir même."]
    );
}

#[test]
fn single_newline_after_punctuation() {
    assert_eq!(sents("Première phrase.\nDeuxième phrase."), vec!["Première phrase.", "Deuxième phrase."]);
}

#[test]
fn leading_and_trailing_whitespace_trimmed() {
    let text = "\n\n  Bonjour.   Au revoir.  \n";
    let ranges = segment(text);
    assert_eq!(ranges, vec![4..12, 15..25]);
    assert_eq!(sents(text), vec!["Bonjour.", "Au revoir."]);
}

#[test]
fn unusual_characters_do_not_panic() {
    assert_eq!(
        sents("\u{0}\u{7}Le 😀 e\u{301}te\u{301}. 😀 fin\u{200b}. Éte\u{301}. \u{feff}"),
        vec!["\u{0}\u{7}Le 😀 e\u{301}te\u{301}. 😀 fin\u{200b}.", "Éte\u{301}. \u{feff}"]
    );
}

#[test]
fn pathological_inputs_are_linear() {
    let inputs = [
        "a ".repeat(500_000),
        "M. ".repeat(300_000),
        "Il. ".repeat(250_000),
        ".".repeat(1_000_000),
        "» ".repeat(300_000),
        format!("x{}", "»".repeat(500_000)),
        "a.a".repeat(300_000),
        "\n".repeat(1_000_000),
        "x".repeat(1_000_000),
    ];
    for text in &inputs {
        check_invariants(text);
    }
    assert_eq!(segment(&"Il. ".repeat(1_000)).len(), 1_000);
    assert_eq!(segment(&"a ".repeat(1_000)).len(), 1);
}

#[test]
fn five_megabyte_input() {
    let unit = "M. Diallo a dit\u{a0}: «\u{a0}Nous avons gagné\u{a0}!\u{a0}» Le FLA, etc. a répondu… Titre\n\n";
    let text = unit.repeat(5_000_000 / unit.len() + 1);
    assert!(text.len() >= 5_000_000);
    let ranges = segment(&text);
    let per_unit = segment(unit).len();
    assert_eq!(per_unit, 3);
    assert_eq!(ranges.len(), per_unit * (5_000_000 / unit.len() + 1));
    check_invariants(&text);
}

/// Tiny linear congruential generator for reproducible pseudo-random inputs.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as usize
    }
}

#[test]
fn random_inputs_keep_invariants() {
    const PIECES: &[&str] = &[
        "a",
        "Le",
        "é",
        "É",
        "x",
        ".",
        "!",
        "?",
        "…",
        "...",
        "«",
        "»",
        "“",
        "”",
        "\"",
        "'",
        "(",
        ")",
        " ",
        " ",
        " ",
        "\u{a0}",
        "\u{202f}",
        "\n",
        "\n\n",
        "\r\n",
        "\t",
        "😀",
        "e\u{301}",
        "M.",
        "3.5",
        "J.-C.",
        "etc.",
        "–",
        "-",
        ":",
        "\u{0}",
        "\u{200b}",
        "https://a.b/c",
    ];
    let mut rng = Lcg(0x5eed);
    for _ in 0..5_000 {
        let len = rng.next() % 40;
        let text: String = (0..len).map(|_| PIECES[rng.next() % PIECES.len()]).collect();
        check_invariants(&text);
    }
}
