//! The installation works: libtorch loads through the rpath (no LD_LIBRARY_PATH) and computes.

mod common;

#[test]
fn doctor_reports_working_libtorch_and_lexicons() {
    let out = common::vigie().env_remove("LD_LIBRARY_PATH").arg("doctor").output().unwrap();
    let s = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{s}{}", String::from_utf8_lossy(&out.stderr));
    assert!(s.contains("libtorch: ok"), "{s}");
    assert!(s.contains("lexicons: ok"), "{s}");
}

/// `vigie doctor` names the CPU, its SIMD flags, fbgemm's int8 path and what `--precision auto`
/// picks for each encoder, and follows `FBGEMM_ENABLE_INSTRUCTIONS` (the path fbgemm will take).
#[test]
fn doctor_reports_cpu_and_precision_choice() {
    let out = common::vigie().env_remove("FBGEMM_ENABLE_INSTRUCTIONS").arg("doctor").output().unwrap();
    let s = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{s}");
    let cpu = s.lines().find(|l| l.starts_with("cpu: ")).unwrap_or_else(|| panic!("no cpu line: {s}"));
    assert!(cpu.contains(" | "), "{cpu}");
    let path = s.lines().find(|l| l.starts_with("int8: fbgemm path ")).unwrap_or_else(|| panic!("{s}"));
    let ner = s.lines().find(|l| l.starts_with("precision: NER encoder: ")).unwrap_or_else(|| panic!("{s}"));
    let summ = s.lines().find(|l| l.starts_with("precision: summary encoder: ")).unwrap_or_else(|| panic!("{s}"));
    // the rule as documented (models::int8::auto_choice): int8 for NER wherever fbgemm runs,
    // summaries stay fp32
    let fbgemm = !path.ends_with(" none");
    assert!(ner.contains(if fbgemm { ": int8 (auto: " } else { ": fp32 (auto: " }), "{path}\n{ner}");
    assert!(summ.contains(": fp32 (auto: "), "{summ}");
    if cpu.contains("avx2") {
        // forcing fbgemm's AVX2 path is followed; ATen's scalar kernels make int8 slower: fp32
        let out = common::vigie().env("FBGEMM_ENABLE_INSTRUCTIONS", "AVX2").arg("doctor").output().unwrap();
        let s = String::from_utf8_lossy(&out.stdout);
        assert!(s.contains("int8: fbgemm path avx2"), "{s}");
        assert!(s.contains("precision: NER encoder: int8 (auto: fbgemm AVX2 path"), "{s}");
        let out = common::vigie().env("ATEN_CPU_CAPABILITY", "default").arg("doctor").output().unwrap();
        let s = String::from_utf8_lossy(&out.stdout);
        assert!(s.contains("precision: NER encoder: fp32 (auto: ATEN_CPU_CAPABILITY=default"), "{s}");
    }
}
