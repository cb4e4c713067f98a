//! Per-axis resampling tables (first source pixel, tap count, normalised weights) computed on
//! the host in f64, so that where a kernel edge falls exactly on a pixel centre the GPU makes
//! the same choice as the CPU path whatever its own float rounding is.

use crate::resize_cpu::ResizeFilter;

/// Table for one axis: `stride` words per output pixel, laid out as
/// `[first, count, w0, w1, …]` with the weights as f32 bit patterns, zero-padded to `stride`.
#[derive(Debug, Clone, PartialEq)]
pub struct AxisTaps {
    pub stride: u32,
    pub words: Vec<u32>,
}

fn kernel(filter: ResizeFilter, x: f64) -> f64 {
    match filter {
        ResizeFilter::Area => {
            if x > -0.5 && x <= 0.5 {
                1.0
            } else {
                0.0
            }
        }
        ResizeFilter::Bilinear => (1.0 - x.abs()).max(0.0),
    }
}

/// Weights for resampling `src_len` pixels to `dst_len`. The kernel is widened by the scale
/// factor when shrinking (so it averages every source pixel it covers), centred on the output
/// pixel's centre, clipped at the borders and renormalised there; zero weights at either end
/// of a span are dropped. This is the convolution fast_image_resize performs, which is what
/// makes the two paths agree.
pub fn axis_taps(src_len: u32, dst_len: u32, filter: ResizeFilter) -> AxisTaps {
    let scale = f64::from(src_len) / f64::from(dst_len);
    let widen = scale.max(1.0);
    let support = match filter {
        ResizeFilter::Area => 0.5,
        ResizeFilter::Bilinear => 1.0,
    };
    let radius = support * widen;
    let window = radius.ceil() as u32 * 2 + 1;
    let stride = window + 2;
    let recip = 1.0 / widen;
    let mut words = Vec::with_capacity((stride * dst_len) as usize);
    let mut weights: Vec<f64> = Vec::with_capacity(window as usize);
    for o in 0..dst_len {
        let in_center = (f64::from(o) + 0.5) * scale;
        let lo = (in_center - radius).floor().max(0.0) as u32;
        let hi = (in_center + radius).ceil().min(f64::from(src_len)) as u32;
        let center = in_center - 0.5;
        weights.clear();
        let mut first = lo;
        for x in lo..hi {
            let w = kernel(filter, (f64::from(x) - center) * recip);
            if weights.is_empty() && w == 0.0 {
                first += 1;
            } else {
                weights.push(w);
            }
        }
        while weights.last() == Some(&0.0) {
            weights.pop();
        }
        let sum: f64 = weights.iter().sum();
        let count = weights.len().min(window as usize);
        words.push(first);
        words.push(count as u32);
        for &w in &weights[..count] {
            let normalised = if sum != 0.0 { w / sum } else { 0.0 };
            words.push((normalised as f32).to_bits());
        }
        words.resize(words.len() + (window as usize - count), 0);
    }
    AxisTaps { stride, words }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn entry(t: &AxisTaps, o: usize) -> (u32, Vec<f32>) {
        let e = &t.words[o * t.stride as usize..(o + 1) * t.stride as usize];
        let n = e[1] as usize;
        (
            e[0],
            e[2..2 + n].iter().map(|&b| f32::from_bits(b)).collect(),
        )
    }

    #[test]
    fn area_4_to_1_averages_four_pixels() {
        let t = axis_taps(8, 2, ResizeFilter::Area);
        assert_eq!(entry(&t, 0), (0, vec![0.25; 4]));
        assert_eq!(entry(&t, 1), (4, vec![0.25; 4]));
    }

    #[test]
    fn bilinear_upscale_interpolates_and_clamps_at_edges() {
        let t = axis_taps(2, 4, ResizeFilter::Bilinear);
        // Output 0's centre (0.25 in source units) lies left of pixel 0's centre: clamped.
        assert_eq!(entry(&t, 0), (0, vec![1.0]));
        let (first, w) = entry(&t, 1);
        assert_eq!(first, 0);
        assert!(
            (w[0] - 0.75).abs() < 1e-6 && (w[1] - 0.25).abs() < 1e-6,
            "{w:?}"
        );
    }

    proptest! {
        #[test]
        fn weights_are_normalised_and_inside_the_source(
            src in 1u32..600, dst in 1u32..600, area in any::<bool>(),
        ) {
            let filter = if area { ResizeFilter::Area } else { ResizeFilter::Bilinear };
            let t = axis_taps(src, dst, filter);
            prop_assert_eq!(t.words.len(), (t.stride * dst) as usize);
            for o in 0..dst as usize {
                let (first, w) = entry(&t, o);
                prop_assert!(!w.is_empty());
                prop_assert!(first as usize + w.len() <= src as usize);
                let sum: f32 = w.iter().sum();
                prop_assert!((sum - 1.0).abs() < 1e-4, "sum {}", sum);
            }
        }
    }
}
