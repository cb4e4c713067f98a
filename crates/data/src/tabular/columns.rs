//! Column-level conversions for CSV data: class labels, split names, numbers, and
//! train-split standardisation.

use crate::DataError;
use crate::dataset::origin;

/// Distinct label values in class order: numerically when every value is a number (so
/// "10" comes after "9"), otherwise as sorted strings.
pub(crate) fn class_names(values: &[&str]) -> Vec<String> {
    let mut distinct: Vec<&str> = values.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    let numbers: Option<Vec<f64>> = distinct.iter().map(|v| v.parse::<f64>().ok()).collect();
    if let Some(numbers) = numbers {
        let mut pairs: Vec<(f64, &str)> = numbers.into_iter().zip(distinct).collect();
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)));
        pairs.into_iter().map(|(_, s)| s.to_owned()).collect()
    } else {
        distinct.into_iter().map(str::to_owned).collect()
    }
}

/// Maps a split cell to its canonical name.
pub(crate) fn parse_origin(value: &str) -> Option<&'static str> {
    match value.to_ascii_lowercase().as_str() {
        "train" | "training" => Some(origin::TRAIN),
        "val" | "valid" | "validation" => Some(origin::VAL),
        "test" | "testing" => Some(origin::TEST),
        _ => None,
    }
}

/// A numeric cell: `Some(NaN)` for an empty or "nan" cell (missing), `None` when not a number.
pub(crate) fn parse_number(value: &str) -> Option<f64> {
    if value.is_empty() {
        return Some(f64::NAN);
    }
    let number: f64 = value.parse().ok()?;
    Some(if number.is_finite() { number } else { f64::NAN })
}

/// Whether a column can be a default feature: every cell is a number or missing, and at
/// least one is present.
pub(crate) fn is_numeric<'a>(mut cells: impl Iterator<Item = &'a str>) -> bool {
    let mut any = false;
    let all = cells.all(|c| {
        any |= !c.is_empty();
        parse_number(c).is_some()
    });
    all && any
}

/// Standardises each column of a row-major `rows × cols` matrix in place with the mean and
/// standard deviation of the rows where `fit_row` is true; missing values (NaN) become 0,
/// i.e. the fitted mean.
pub(crate) fn standardise(values: &mut [f64], cols: usize, fit_row: &[bool]) -> Vec<(f64, f64)> {
    let mut stats = Vec::with_capacity(cols);
    for col in 0..cols {
        let fitted = || {
            values
                .chunks_exact(cols)
                .zip(fit_row)
                .filter(|&(row, &fit)| fit && !row[col].is_nan())
                .map(|(row, _)| row[col])
        };
        let n = fitted().count();
        // Two passes (mean, then squared deviations) stay accurate when the mean is large
        // compared with the spread, where sum-of-squares minus mean² cancels badly.
        let mean = if n > 0 {
            fitted().sum::<f64>() / n as f64
        } else {
            0.0
        };
        let var = if n > 0 {
            fitted().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64
        } else {
            0.0
        };
        let std = if var.sqrt() > 1e-12 { var.sqrt() } else { 1.0 };
        for row in values.chunks_exact_mut(cols) {
            let v = row[col];
            row[col] = if v.is_nan() { 0.0 } else { (v - mean) / std };
        }
        stats.push((mean, std));
    }
    stats
}

/// `UnknownColumn` for `name` given the header.
pub(crate) fn unknown_column(name: &str, headers: &[String]) -> DataError {
    DataError::UnknownColumn {
        name: name.to_owned(),
        available: headers.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn numeric_labels_sort_by_value_and_strings_alphabetically() {
        assert_eq!(class_names(&["10", "9", "2", "9"]), ["2", "9", "10"]);
        assert_eq!(
            class_names(&["setosa", "virginica", "10", "setosa"]),
            ["10", "setosa", "virginica"]
        );
    }

    #[test]
    fn origins_and_numbers() {
        assert_eq!(parse_origin("Validation"), Some("val"));
        assert_eq!(parse_origin("TEST"), Some("test"));
        assert_eq!(parse_origin("holdout"), None);
        assert!(parse_number("").is_some_and(f64::is_nan));
        assert_eq!(parse_number("-1.5e2"), Some(-150.0));
        assert_eq!(parse_number("abc"), None);
        assert!(is_numeric(["1", "", "2.5"].into_iter()));
        assert!(!is_numeric(["", ""].into_iter()));
        assert!(!is_numeric(["1", "x"].into_iter()));
    }

    #[test]
    fn standardises_with_fit_rows_only_and_imputes_missing() {
        // Column fitted on rows 0 and 1 only: mean 2, std 1.
        let mut values = vec![1.0, 3.0, f64::NAN, 100.0];
        let stats = standardise(&mut values, 1, &[true, true, false, false]);
        assert_eq!(stats, vec![(2.0, 1.0)]);
        assert_eq!(values, vec![-1.0, 1.0, 0.0, 98.0]);
    }

    proptest! {
        #[test]
        fn standardised_fit_rows_have_zero_mean_unit_std(
            column in proptest::collection::vec(-1e3f64..1e3, 2..50),
        ) {
            let mut values = column.clone();
            let fit = vec![true; values.len()];
            let (_, std) = standardise(&mut values, 1, &fit)[0];
            let n = values.len() as f64;
            let mean = values.iter().sum::<f64>() / n;
            prop_assert!(mean.abs() < 1e-6);
            if std != 1.0 || column.iter().any(|&v| (v - column[0]).abs() > 1e-9) {
                let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
                prop_assert!((var - 1.0).abs() < 1e-6, "var {}", var);
            }
        }
    }
}
