//! Per-channel normalisation of 8-bit pixels into model inputs, via a lookup table so that
//! `write_features` costs one table read per value.

/// Maps each 8-bit level of each channel to `(level / 255 - mean) / std`.
#[derive(Debug, Clone)]
pub(crate) struct PixelNormaliser {
    tables: Vec<[f32; 256]>,
}

impl PixelNormaliser {
    /// One table per channel; a `std` of zero (a constant channel) is treated as 1 so the
    /// channel comes out centred instead of infinite.
    pub fn new(mean: &[f32], std: &[f32]) -> Self {
        let tables = mean
            .iter()
            .zip(std)
            .map(|(&m, &s)| {
                let s = if s > f32::EPSILON { s } else { 1.0 };
                std::array::from_fn(|level| (level as f32 / 255.0 - m) / s)
            })
            .collect();
        Self { tables }
    }

    /// Mean and standard deviation per channel of `pixels` (scaled to [0, 1]), where
    /// `pixels` is a sequence of C×H×W images with `plane` values per channel.
    pub fn fit<'a>(images: impl Iterator<Item = &'a [u8]>, channels: usize, plane: usize) -> Self {
        let mut counts = vec![[0u64; 256]; channels];
        for image in images {
            for (channel, values) in image.chunks_exact(plane).take(channels).enumerate() {
                for &v in values {
                    counts[channel][usize::from(v)] += 1;
                }
            }
        }
        // Histograms make the pass cheap and the sums exact regardless of dataset size.
        let (mean, std): (Vec<f32>, Vec<f32>) = counts
            .iter()
            .map(|hist| {
                let n: u64 = hist.iter().sum();
                if n == 0 {
                    return (0.0, 1.0);
                }
                let (mut sum, mut sq) = (0f64, 0f64);
                for (level, &c) in hist.iter().enumerate() {
                    let x = level as f64 / 255.0;
                    sum += x * c as f64;
                    sq += x * x * c as f64;
                }
                let mean = sum / n as f64;
                let var = (sq / n as f64 - mean * mean).max(0.0);
                (mean as f32, var.sqrt() as f32)
            })
            .unzip();
        Self::new(&mean, &std)
    }

    /// Writes the normalised values of a C×H×W image with `plane` values per channel.
    /// Panics when `out` and `pixels` differ in length: a wrongly sized buffer is a bug in
    /// the caller, and silently filling part of it would train on garbage.
    pub fn write(&self, pixels: &[u8], plane: usize, out: &mut [f32]) {
        assert_eq!(
            out.len(),
            pixels.len(),
            "write_features: the output buffer must hold input_shape().len() values"
        );
        for ((table, src), dst) in self
            .tables
            .iter()
            .zip(pixels.chunks_exact(plane))
            .zip(out.chunks_exact_mut(plane))
        {
            for (o, &p) in dst.iter_mut().zip(src) {
                *o = table[usize::from(p)];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_levels_with_mean_and_std() {
        let n = PixelNormaliser::new(&[0.5], &[0.25]);
        let mut out = [0f32; 3];
        n.write(&[0, 255, 51], 3, &mut out);
        assert!((out[0] + 2.0).abs() < 1e-6);
        assert!((out[1] - 2.0).abs() < 1e-6);
        assert!((out[2] - (0.2 - 0.5) / 0.25).abs() < 1e-5);
    }

    #[test]
    fn fitted_output_has_zero_mean_unit_std_per_channel() {
        let images: Vec<Vec<u8>> = (0..20u8)
            .map(|i| vec![i, i.wrapping_mul(7), 200, 3 * i])
            .collect();
        let n = PixelNormaliser::fit(images.iter().map(Vec::as_slice), 2, 2);
        let mut per_channel = [Vec::new(), Vec::new()];
        for image in &images {
            let mut out = [0f32; 4];
            n.write(image, 2, &mut out);
            per_channel[0].extend_from_slice(&out[..2]);
            per_channel[1].extend_from_slice(&out[2..]);
        }
        for values in per_channel {
            let mean = values.iter().sum::<f32>() / values.len() as f32;
            let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / values.len() as f32;
            assert!(mean.abs() < 1e-4, "mean {mean}");
            assert!((var - 1.0).abs() < 1e-3, "var {var}");
        }
    }

    #[test]
    #[should_panic(expected = "output buffer")]
    fn wrongly_sized_output_is_a_loud_bug() {
        let n = PixelNormaliser::new(&[0.0], &[1.0]);
        n.write(&[1, 2, 3], 3, &mut [0f32; 2]);
    }

    #[test]
    fn constant_channel_is_centred_not_infinite() {
        let n = PixelNormaliser::fit([[9u8, 9].as_slice()].into_iter(), 1, 2);
        let mut out = [1f32; 2];
        n.write(&[9, 9], 2, &mut out);
        assert!(out.iter().all(|v| v.abs() < 1e-6));
    }
}
