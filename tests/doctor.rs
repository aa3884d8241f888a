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
