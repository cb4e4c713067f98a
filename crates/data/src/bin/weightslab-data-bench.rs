//! Prints how long the built-in digits take to load (first load decodes the embedded
//! sheets, later loads reuse them) and to turn into model inputs.
//!
//! Run: `cargo run -p weightslab-data --bin weightslab-data-bench` (add `--release` for
//! release numbers).

use std::time::Instant;

use weightslab_data::{BuiltinDigits, DataError, Dataset, DigitsOptions};

fn main() -> Result<(), DataError> {
    let start = Instant::now();
    let digits = BuiltinDigits::load(DigitsOptions::default())?;
    let first = start.elapsed();

    let start = Instant::now();
    let again = BuiltinDigits::load(DigitsOptions::default())?;
    let second = start.elapsed();

    let start = Instant::now();
    let mut out = vec![0f32; digits.input_shape().len()];
    let mut checksum = 0f64;
    for i in 0..digits.len() {
        digits.write_features(i, &mut out);
        checksum += f64::from(out[400]);
    }
    let features = start.elapsed();

    let start = Instant::now();
    let fingerprint = again.fingerprint();
    let hashing = start.elapsed();

    println!(
        "digits: {} samples, fingerprint {}",
        digits.len(),
        &fingerprint[..16]
    );
    println!(
        "first load (decode + split + noise): {:>8.1} ms",
        first.as_secs_f64() * 1e3
    );
    println!(
        "second load (cached pixels):         {:>8.1} ms",
        second.as_secs_f64() * 1e3
    );
    println!(
        "write_features, all samples:         {:>8.1} ms (checksum {checksum:.1})",
        features.as_secs_f64() * 1e3
    );
    println!(
        "fingerprint:                         {:>8.1} ms",
        hashing.as_secs_f64() * 1e3
    );
    Ok(())
}
