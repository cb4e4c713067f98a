//! `CsvDataset`: a table of numeric features and a class label read from a CSV file, with
//! features standardised on the train split.

mod columns;

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::dataset::{origin, task};
use crate::split::{check_val_fraction, stratified_val_mask};
use crate::{DataError, Dataset, ImageSource, InputShape};

/// Options of [`CsvDataset::open`].
#[derive(Debug, Clone, PartialEq)]
pub struct CsvOptions {
    /// Column holding the class label. Default `"label"`.
    pub label_column: String,
    /// Column holding unique sample ids; without it ids are the data row numbers from "0".
    pub id_column: Option<String>,
    /// Column holding the split (train / val / validation / test, any case); without it
    /// the rows are split with `val_fraction` and `seed`.
    pub origin_column: Option<String>,
    /// Feature columns in model-input order; default: every other column whose cells are
    /// all numbers or empty.
    pub feature_columns: Option<Vec<String>>,
    /// Share held out as "val" when there is no origin column. Default 0.2.
    pub val_fraction: f64,
    /// Seed of that split. Default 42.
    pub seed: u64,
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self {
            label_column: "label".to_owned(),
            id_column: None,
            origin_column: None,
            feature_columns: None,
            val_fraction: 0.2,
            seed: 42,
        }
    }
}

/// Rows of a CSV file as a tabular classification dataset.
///
/// Empty cells in feature columns count as missing and become the train mean (0 after
/// standardisation). Features are standardised with the mean and standard deviation of the
/// train rows (all rows when there are none), so val/test never leak into the statistics.
pub struct CsvDataset {
    name: String,
    ids: Vec<String>,
    origins: Vec<&'static str>,
    labels: Vec<i64>,
    class_names: Vec<String>,
    feature_names: Vec<String>,
    /// Row-major, `len × feature_names.len()`, already standardised.
    features: Vec<f32>,
    stats: Vec<(f64, f64)>,
}

impl CsvDataset {
    /// Reads and validates the whole file.
    pub fn open(path: impl AsRef<Path>, options: CsvOptions) -> Result<Self, DataError> {
        let path = path.as_ref();
        check_val_fraction(options.val_fraction)?;
        let location = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|e| DataError::from_io(path, e))?;
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(std::io::BufReader::new(file));
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| csv_error(&location, e))?
            .iter()
            .map(str::to_owned)
            .collect();
        let mut records = Vec::new();
        for record in reader.records() {
            records.push(record.map_err(|e| csv_error(&location, e))?);
        }
        if records.is_empty() {
            return Err(DataError::Empty {
                what: format!("{location} has a header but no data rows"),
            });
        }
        let column = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .ok_or_else(|| columns::unknown_column(name, &headers))
        };
        let line = |row: usize| {
            records[row]
                .position()
                .map_or(row + 2, |p| p.line() as usize)
        };
        let cell = |row: usize, col: usize| records[row].get(col).unwrap_or("");

        let label_col = column(&options.label_column)?;
        let id_col = options.id_column.as_deref().map(column).transpose()?;
        let origin_col = options.origin_column.as_deref().map(column).transpose()?;
        let feature_cols = match &options.feature_columns {
            Some(names) => {
                let cols = names
                    .iter()
                    .map(|n| column(n))
                    .collect::<Result<Vec<_>, _>>()?;
                if cols.contains(&label_col) {
                    return Err(DataError::InvalidOption {
                        name: "feature_columns",
                        value: options.label_column.clone(),
                        expected: "feature columns other than the label column (it would leak the answer into the input)",
                    });
                }
                cols
            }
            None => (0..headers.len())
                .filter(|&c| Some(c) != id_col && Some(c) != origin_col && c != label_col)
                .filter(|&c| columns::is_numeric((0..records.len()).map(|r| cell(r, c))))
                .collect(),
        };
        if feature_cols.is_empty() {
            return Err(DataError::Empty {
                what: format!(
                    "{location} has no numeric feature columns besides the label; columns are: {}",
                    headers.join(", ")
                ),
            });
        }

        let label_cells: Vec<&str> = (0..records.len()).map(|r| cell(r, label_col)).collect();
        if let Some(row) = label_cells.iter().position(|l| l.is_empty()) {
            return Err(DataError::bad_format(
                format!("{location} line {}", line(row)),
                format!(
                    "empty label in column {:?}; every row needs a class",
                    options.label_column
                ),
            ));
        }
        let class_names = columns::class_names(&label_cells);
        let class_of: HashMap<&str, usize> = class_names
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        let classes: Vec<usize> = label_cells.iter().map(|l| class_of[l]).collect();

        let ids: Vec<String> = match id_col {
            Some(col) => {
                let mut seen = HashSet::new();
                let mut ids = Vec::with_capacity(records.len());
                for row in 0..records.len() {
                    let id = cell(row, col);
                    if id.is_empty() || !seen.insert(id) {
                        let problem = if id.is_empty() {
                            "is empty"
                        } else {
                            "repeats an earlier row"
                        };
                        return Err(DataError::bad_format(
                            format!("{location} line {}", line(row)),
                            format!(
                                "id {id:?} in column {:?} {problem}; ids must be unique and non-empty",
                                headers[col]
                            ),
                        ));
                    }
                    ids.push(id.to_owned());
                }
                ids
            }
            None => (0..records.len()).map(|r| r.to_string()).collect(),
        };

        let origins: Vec<&'static str> = match origin_col {
            Some(col) => (0..records.len())
                .map(|row| {
                    columns::parse_origin(cell(row, col)).ok_or_else(|| {
                        DataError::bad_format(
                            format!("{location} line {}", line(row)),
                            format!(
                                "split {:?} in column {:?}; expected train, val or test",
                                cell(row, col),
                                headers[col]
                            ),
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
            None => stratified_val_mask(
                &classes,
                class_names.len(),
                options.val_fraction,
                options.seed,
            )
            .into_iter()
            .map(|v| if v { origin::VAL } else { origin::TRAIN })
            .collect(),
        };

        let width = feature_cols.len();
        let mut values = Vec::with_capacity(records.len() * width);
        for row in 0..records.len() {
            for &col in &feature_cols {
                let text = cell(row, col);
                let number = columns::parse_number(text).ok_or_else(|| {
                    DataError::bad_format(
                        format!("{location} line {}", line(row)),
                        format!(
                            "{text:?} in feature column {:?} is not a number",
                            headers[col]
                        ),
                    )
                })?;
                values.push(number);
            }
        }
        let has_train = origins.contains(&origin::TRAIN);
        let fit_rows: Vec<bool> = origins
            .iter()
            .map(|&o| !has_train || o == origin::TRAIN)
            .collect();
        let stats = columns::standardise(&mut values, width, &fit_rows);

        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "table".to_owned());
        tracing::debug!(
            name,
            rows = ids.len(),
            features = width,
            classes = class_names.len(),
            "opened CSV dataset"
        );
        Ok(Self {
            name,
            ids,
            origins,
            labels: classes.into_iter().map(|c| c as i64).collect(),
            class_names,
            feature_names: feature_cols.iter().map(|&c| headers[c].clone()).collect(),
            features: values.into_iter().map(|v| v as f32).collect(),
            stats,
        })
    }

    /// Names of the feature columns, in model-input order.
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// `(mean, std)` per feature used for standardisation (from the train rows).
    pub fn feature_stats(&self) -> &[(f64, f64)] {
        &self.stats
    }
}

fn csv_error(location: &str, error: csv::Error) -> DataError {
    let at = error.position().map_or_else(
        || location.to_owned(),
        |p| format!("{location} line {}", p.line()),
    );
    DataError::bad_format(
        at,
        format!("{error}; expected a comma-separated file with a header row"),
    )
}

impl Dataset for CsvDataset {
    sample_table_accessors!();
    fn input_shape(&self) -> InputShape {
        InputShape::Vector {
            features: self.feature_names.len(),
        }
    }
    fn write_features(&self, index: usize, out: &mut [f32]) {
        let width = self.feature_names.len();
        out.copy_from_slice(&self.features[index * width..(index + 1) * width]);
    }
    fn image(&self, _index: usize) -> Result<ImageSource, DataError> {
        Err(DataError::NoImage {
            dataset: self.name.clone(),
            task_type: task::TABULAR.to_owned(),
        })
    }
    fn task_type(&self) -> &str {
        task::TABULAR
    }
}

#[cfg(test)]
mod tests;
