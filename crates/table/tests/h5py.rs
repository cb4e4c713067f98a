//! samples.h5 must be readable by h5py, a reader nobody here wrote. Runs
//! `tests/h5py_read.py` with the interpreter in `WL_PYTHON` (skipped, loudly, without it;
//! a failure under `CI`).
#![allow(clippy::unwrap_used)] // a panic in a test is a failed test

mod common;

use std::process::Command;

use common::*;
use weightslab_table::{Edit, MetaValue, TagMode};

#[test]
fn h5py_reads_the_table() {
    let Ok(python) = std::env::var("WL_PYTHON") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but WL_PYTHON is not: point it at a python with h5py and numpy"
        );
        println!(
            "SKIPPED h5py_reads_the_table: set WL_PYTHON to a python with h5py and numpy to run it"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let table = reference(dir.path());
    table
        .apply_edit(tag(&["1"], "focus", TagMode::Add))
        .unwrap();
    table
        .apply_edit(Edit::Discard {
            targets: ids(&["2"]),
            discarded: true,
        })
        .unwrap();
    table
        .apply_edit(Edit::SetValues {
            column: "score".into(),
            targets: ids(&["1", "2", "3"]),
            values: vec![
                MetaValue::Float(1.5),
                MetaValue::Int(2),
                MetaValue::Float(-3.0),
            ],
        })
        .unwrap();
    table.compact().unwrap();

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/h5py_read.py");
    let out = Command::new(&python)
        .arg(script)
        .arg(dir.path().join("samples.h5"))
        .output()
        .expect("run WL_PYTHON");
    assert!(
        out.status.success(),
        "h5py_read.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("script prints JSON");
    assert_eq!(json["attrs"]["dataset_fingerprint"], "fixture");
    assert_eq!(json["attrs"]["journal_seq"], 3);
    assert_eq!(json["attrs"]["format_version"], 1);
    assert_eq!(json["sample_id"], serde_json::json!(["1", "2", "3"]));
    assert_eq!(json["origin"], serde_json::json!(["test", "test", "test"]));
    assert_eq!(json["loss"], serde_json::json!([0.2, 0.8, 0.5]));
    assert_eq!(json["discarded"], serde_json::json!([false, true, false]));
    assert_eq!(json["discarded_dtype"], "bool");
    assert_eq!(json["tag:focus"], serde_json::json!([true, false, false]));
    assert_eq!(json["score"], serde_json::json!([1.5, 2.0, -3.0]));
}
