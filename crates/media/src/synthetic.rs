//! Generated test patterns (gradients, checkerboards, noise, a digit-like stroke) and the
//! PSNR measure used to compare the GPU and CPU resize paths in tests and the bench.

use crate::{Channels, Raster};

/// The patterns, each stressing the resampler differently: smooth ramps, hard edges at the
/// pixel frequency, no spatial correlation at all, and a thin bright stroke on black.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    Gradient,
    Checkerboard { cell: u32 },
    Noise { seed: u64 },
    Digit,
}

impl Pattern {
    pub const ALL: [Pattern; 5] = [
        Pattern::Gradient,
        Pattern::Checkerboard { cell: 1 },
        Pattern::Checkerboard { cell: 5 },
        Pattern::Noise { seed: 7 },
        Pattern::Digit,
    ];

    /// Renders the pattern; in RGB each channel gets a differently oriented variant so a
    /// channel mix-up shows.
    pub fn render(self, width: u32, height: u32, channels: Channels) -> Raster {
        let mut rng = SplitMix(match self {
            Pattern::Noise { seed } => seed,
            _ => 0,
        });
        let n = channels.count();
        let mut pixels = Vec::with_capacity(width as usize * height as usize * n);
        for y in 0..height {
            for x in 0..width {
                for c in 0..n as u32 {
                    pixels.push(self.value(x, y, c, width, height, &mut rng));
                }
            }
        }
        // Length matches the shape by construction.
        Raster {
            width,
            height,
            channels,
            pixels: pixels.into(),
        }
    }

    fn value(self, x: u32, y: u32, c: u32, w: u32, h: u32, rng: &mut SplitMix) -> u8 {
        let (fx, fy) = (
            f64::from(x) / f64::from(w.max(2) - 1),
            f64::from(y) / f64::from(h.max(2) - 1),
        );
        match self {
            Pattern::Gradient => {
                let t = match c {
                    0 => fx,
                    1 => fy,
                    _ => (fx + fy) / 2.0,
                };
                (t * 255.0).round() as u8
            }
            Pattern::Checkerboard { cell } => {
                let on = ((x / cell) + (y / cell) + c).is_multiple_of(2);
                if on { 230 } else { 20 }
            }
            Pattern::Noise { .. } => (rng.next() >> 56) as u8,
            Pattern::Digit => {
                // A ring of radius 0.3 and width 0.08 with a diagonal tail, like a "9".
                let (dx, dy) = (fx - 0.5, fy - 0.38);
                let ring = ((dx * dx + dy * dy).sqrt() - 0.22).abs();
                let tail = if fy > 0.38 {
                    (fx - (0.72 - (fy - 0.38) * 0.5)).abs()
                } else {
                    1.0
                };
                let d = ring.min(tail);
                let v = (1.0 - d / 0.07).clamp(0.0, 1.0);
                (v * 255.0 * (1.0 - 0.2 * f64::from(c))).round() as u8
            }
        }
    }
}

/// A tiny deterministic generator so the patterns need no RNG dependency.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Peak signal-to-noise ratio in dB between two images of the same shape; `f64::INFINITY`
/// when identical, `None` when the shapes differ.
pub fn psnr(a: &Raster, b: &Raster) -> Option<f64> {
    if (a.width, a.height, a.channels) != (b.width, b.height, b.channels) {
        return None;
    }
    let sum: f64 = a
        .pixels
        .iter()
        .zip(b.pixels.iter())
        .map(|(&p, &q)| {
            let d = f64::from(p) - f64::from(q);
            d * d
        })
        .sum();
    let mse = sum / a.pixels.len() as f64;
    Some(if mse == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (255.0 * 255.0 / mse).log10()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psnr_of_known_errors() {
        let a = Pattern::Gradient.render(16, 16, Channels::Gray);
        assert_eq!(psnr(&a, &a), Some(f64::INFINITY));
        let off_by_one: Vec<u8> = a
            .pixels
            .iter()
            .map(|&p| p.saturating_add(1).max(1))
            .collect();
        let b = Raster::new(16, 16, Channels::Gray, off_by_one.into()).unwrap();
        // An error of at most one level everywhere is about 48 dB.
        let db = psnr(&a, &b).unwrap();
        assert!((47.0..=49.0).contains(&db), "{db}");
        let c = Pattern::Gradient.render(16, 8, Channels::Gray);
        assert_eq!(psnr(&a, &c), None);
    }

    #[test]
    fn patterns_are_deterministic_and_not_flat() {
        for p in Pattern::ALL {
            let a = p.render(32, 24, Channels::Rgb);
            assert_eq!(a, p.render(32, 24, Channels::Rgb));
            let (lo, hi) = a
                .pixels
                .iter()
                .fold((255u8, 0u8), |(l, h), &v| (l.min(v), h.max(v)));
            assert!(hi - lo > 100, "{p:?} spans only {lo}..{hi}");
        }
    }
}
