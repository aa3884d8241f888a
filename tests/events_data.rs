//! The events development set (`tests/data/events_dev.jsonl`, coded by `docs/events_guideline.md`)
//! is well formed: every span matches the text, types and sub-types are the guideline's, dates
//! are ISO, fatality ranges are ordered. (The events stage that will be scored on it is issue #17.)

use serde_json::Value;

const TYPES: &[(&str, &[&str])] = &[
    ("battles", &["armed_clash", "government_regains_territory", "non_state_actor_overtakes_territory"]),
    (
        "explosions_remote_violence",
        &[
            "chemical_weapon",
            "air_drone_strike",
            "suicide_bomb",
            "shelling_artillery_missile_attack",
            "remote_explosive_landmine_ied",
            "grenade",
        ],
    ),
    ("violence_against_civilians", &["sexual_violence", "attack", "abduction_forced_disappearance"]),
    ("protests", &["peaceful_protest", "protest_with_intervention", "excessive_force_against_protesters"]),
    ("riots", &["violent_demonstration", "mob_violence"]),
    (
        "strategic_developments",
        &[
            "agreement",
            "arrests",
            "change_to_group_activity",
            "disrupted_weapons_use",
            "headquarters_or_base_established",
            "looting_property_destruction",
            "non_violent_transfer_of_territory",
            "other",
        ],
    ),
];
const ACTOR_WORDS: &[&str] = &["civilians", "unidentified_armed_group", "protesters", "rioters"];

fn span_ok(text: &[char], v: &Value, what: &str) {
    let (s, e) = (v["start"].as_u64().unwrap() as usize, v["end"].as_u64().unwrap() as usize);
    assert!(s < e && e <= text.len(), "{what}: {v}");
    let got: String = text[s..e].iter().collect();
    if let Some(t) = v.get("text") {
        assert_eq!(got, t.as_str().unwrap(), "{what}");
    }
}

fn iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10 && b[4] == b'-' && b[7] == b'-' && s.replace('-', "").bytes().all(|c| c.is_ascii_digit())
}

#[test]
fn events_dev_set_is_well_formed() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/events_dev.jsonl");
    let (mut paragraphs, mut events, mut quiet) = (0, 0, 0);
    for (i, line) in std::fs::read_to_string(path).unwrap().lines().enumerate() {
        let d: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("line {}: {e}", i + 1));
        let id = d["id"].as_str().unwrap().to_string();
        let text: Vec<char> = d["text"].as_str().unwrap().chars().collect();
        assert!(iso_date(d["date"].as_str().unwrap()), "{id}: publication date");
        let evs = d["events"].as_array().unwrap();
        paragraphs += 1;
        events += evs.len();
        quiet += evs.is_empty() as usize;
        for ev in evs {
            let what = |k: &str| format!("{id} {k}");
            let ty = ev["type"].as_str().unwrap();
            let subs = TYPES.iter().find(|(t, _)| *t == ty).unwrap_or_else(|| panic!("{id}: type {ty}")).1;
            assert!(subs.contains(&ev["sub_type"].as_str().unwrap()), "{id}: sub_type {}", ev["sub_type"]);
            for k in ["actor1", "actor2"] {
                match &ev[k] {
                    Value::String(s) => assert!(ACTOR_WORDS.contains(&s.as_str()), "{id}: {k} {s}"),
                    Value::Null => assert_eq!(k, "actor2", "{id}: actor1 is never null"),
                    v => span_ok(&text, v, &what(k)),
                }
            }
            for k in ["location", "claimed_by"] {
                if !ev[k].is_null() {
                    span_ok(&text, &ev[k], &what(k));
                }
            }
            for w in ev["weapons"].as_array().unwrap() {
                span_ok(&text, w, &what("weapon"));
            }
            span_ok(&text, &ev["evidence"], &what("evidence"));
            if let Some(date) = ev["date"].as_str() {
                assert!(iso_date(date), "{id}: date {date}");
            }
            if !ev["fatalities"].is_null() {
                let (lo, hi) = (ev["fatalities"]["min"].as_u64().unwrap(), ev["fatalities"]["max"].as_u64().unwrap());
                assert!(lo <= hi, "{id}: fatalities {lo}..{hi}");
            }
            assert!(!ev["en"].as_str().unwrap_or("").is_empty(), "{id}: reference English sentence");
        }
    }
    assert!(paragraphs >= 80 && events >= 80 && quiet > 0, "{paragraphs} paragraphs, {events} events, {quiet} without");
}
