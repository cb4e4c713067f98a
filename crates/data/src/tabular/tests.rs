//! Tests of `CsvDataset` on CSV text written by the tests.

use super::*;

fn write_csv(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("iris.csv");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

const TABLE: &str = "\
id,sepal,petal,colour,species,split
a,1.0,10,red,setosa,train
b,2.0,,blue,virginica,train
c,3.0,30,red,setosa,train
d,100.0,40,red,virginica,test
e,5.0,50,blue,setosa,Validation
";

fn options() -> CsvOptions {
    CsvOptions {
        label_column: "species".to_owned(),
        id_column: Some("id".to_owned()),
        origin_column: Some("split".to_owned()),
        ..CsvOptions::default()
    }
}

#[test]
fn reads_labels_ids_origins_and_numeric_features() {
    let (_dir, path) = write_csv(TABLE);
    let d = CsvDataset::open(&path, options()).unwrap();
    assert_eq!(d.name(), "iris");
    assert_eq!(d.len(), 5);
    assert_eq!(d.task_type(), "tabular");
    assert_eq!(d.class_names(), ["setosa", "virginica"]);
    assert_eq!(
        (0..5).map(|i| d.label(i)).collect::<Vec<_>>(),
        [0, 1, 0, 1, 0]
    );
    assert_eq!(d.sample_id(3), "d");
    assert_eq!(
        (0..5).map(|i| d.origin(i)).collect::<Vec<_>>(),
        ["train", "train", "train", "test", "val"]
    );
    // "colour" is text, so only the two numeric columns are features.
    assert_eq!(d.feature_names(), ["sepal", "petal"]);
    assert_eq!(d.input_shape(), InputShape::Vector { features: 2 });
    assert!(matches!(d.image(0), Err(DataError::NoImage { .. })));
}

#[test]
fn standardises_on_train_rows_and_imputes_missing() {
    let (_dir, path) = write_csv(TABLE);
    let d = CsvDataset::open(&path, options()).unwrap();
    // Train sepal values 1, 2, 3: mean 2, population std sqrt(2/3).
    let (mean, std) = d.feature_stats()[0];
    assert!((mean - 2.0).abs() < 1e-12);
    assert!((std - (2.0f64 / 3.0).sqrt()).abs() < 1e-12);
    let mut out = [0f32; 2];
    d.write_features(1, &mut out);
    assert!(out[0].abs() < 1e-6, "sepal 2.0 is the train mean");
    assert_eq!(out[1], 0.0, "the missing petal becomes the train mean");
    d.write_features(3, &mut out);
    assert!(
        out[0] > 100.0,
        "test outlier is scaled with train statistics, not its own"
    );
}

#[test]
fn explicit_features_and_seeded_split_without_origin_column() {
    let mut text = String::from("x,label\n");
    for i in 0..20 {
        text.push_str(&format!("{i},{}\n", if i % 2 == 0 { "10" } else { "9" }));
    }
    let (_dir, path) = write_csv(&text);
    let opts = CsvOptions {
        feature_columns: Some(vec!["x".to_owned()]),
        ..CsvOptions::default()
    };
    let d = CsvDataset::open(&path, opts.clone()).unwrap();
    assert_eq!(d.class_names(), ["9", "10"]);
    assert_eq!(d.label(0), 1);
    assert_eq!(d.sample_id(7), "7");
    assert_eq!(crate::indices_of(&d, "val").len(), 4);
    let again = CsvDataset::open(&path, opts).unwrap();
    assert_eq!(d.fingerprint(), again.fingerprint());
}

#[test]
fn unknown_column_lists_the_available_ones() {
    let (_dir, path) = write_csv(TABLE);
    let err = CsvDataset::open(
        &path,
        CsvOptions {
            label_column: "kind".to_owned(),
            ..options()
        },
    )
    .err()
    .unwrap();
    let DataError::UnknownColumn { name, available } = &err else {
        panic!("{err}")
    };
    assert_eq!(name, "kind");
    assert!(available.contains(&"species".to_owned()));
    assert!(err.to_string().contains("sepal"), "{err}");
}

#[test]
fn bad_cells_point_at_their_line() {
    let (_dir, path) = write_csv("id,f,label\na,1,x\na,2,y\n");
    let err = CsvDataset::open(
        &path,
        CsvOptions {
            id_column: Some("id".to_owned()),
            ..CsvOptions::default()
        },
    )
    .err()
    .unwrap();
    assert!(
        err.to_string().contains("line 3") && err.to_string().contains("repeats"),
        "{err}"
    );

    let (_dir, path) = write_csv("f,label,split\n1,x,train\n2,y,holdout\n");
    let err = CsvDataset::open(
        &path,
        CsvOptions {
            origin_column: Some("split".to_owned()),
            ..CsvOptions::default()
        },
    )
    .err()
    .unwrap();
    assert!(err.to_string().contains("\"holdout\""), "{err}");

    let (_dir, path) = write_csv("f,label\n1,x\nabc,y\n");
    let err = CsvDataset::open(
        &path,
        CsvOptions {
            feature_columns: Some(vec!["f".to_owned()]),
            ..CsvOptions::default()
        },
    )
    .err()
    .unwrap();
    assert!(
        err.to_string().contains("line 3") && err.to_string().contains("not a number"),
        "{err}"
    );

    let (_dir, path) = write_csv("f,label\n1,x\n2\n");
    assert!(matches!(
        CsvDataset::open(&path, CsvOptions::default()),
        Err(DataError::BadFormat { .. })
    ));
}

#[test]
fn empty_files_and_missing_files_are_reported() {
    let (_dir, path) = write_csv("f,label\n");
    assert!(matches!(
        CsvDataset::open(&path, CsvOptions::default()),
        Err(DataError::Empty { .. })
    ));
    let (_dir, path) = write_csv("name,label\nx,a\n");
    assert!(matches!(
        CsvDataset::open(&path, CsvOptions::default()),
        Err(DataError::Empty { .. })
    ));
    let err = CsvDataset::open("/nonexistent/table.csv", CsvOptions::default())
        .err()
        .unwrap();
    assert!(matches!(err, DataError::MissingFile { .. }), "{err}");
}

#[test]
fn label_as_feature_is_refused() {
    let (_dir, path) = write_csv("f,label\n1,2\n");
    let opts = CsvOptions {
        feature_columns: Some(vec!["label".to_owned()]),
        ..CsvOptions::default()
    };
    assert!(matches!(
        CsvDataset::open(&path, opts),
        Err(DataError::InvalidOption {
            name: "feature_columns",
            ..
        })
    ));
}
