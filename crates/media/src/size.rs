//! Thumbnail sizes: the wire form (`resize_width` / `resize_height`) and the output dimensions
//! it gives for a source of a given size.

use crate::MediaError;

/// Largest side, in pixels, we will produce or accept in a request.
pub const MAX_SIDE: u32 = 8192;
/// Side of the box used when the Studio asks for "the default thumbnail" (0 × 0).
pub const DEFAULT_BOX: u32 = 128;
/// Largest percentage accepted; beyond it a full-resolution request is what the caller wants.
pub const MAX_PERCENT: u32 = 400;

/// How big a thumbnail should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SizeSpec {
    /// Fit inside the box, keeping the aspect ratio; small sources are scaled up. A side of 0
    /// leaves that side unconstrained (at least one side is non-zero).
    Fit { width: u32, height: u32 },
    /// This exact size, aspect ratio not kept (the `GetSamples` "both set" form).
    Exact { width: u32, height: u32 },
    /// Percent of the original; 100 = original size.
    Percent(u32),
    /// The default thumbnail: fit inside a 128 px box.
    Default,
}

impl SizeSpec {
    /// Reads the wire form: both > 0 (or one of them 0) is a box, 0/0 is the default, negative
    /// is a percentage of the original (-100 = full resolution).
    pub fn from_request(width: i32, height: i32) -> Result<SizeSpec, MediaError> {
        let too_big = |v: i32| v > MAX_SIDE as i32;
        match (width, height) {
            (0, 0) => Ok(SizeSpec::Default),
            (w, h) if w >= 0 && h >= 0 => {
                if too_big(w) || too_big(h) {
                    return Err(MediaError::InvalidSize(format!(
                        "{w}×{h} px is larger than the {MAX_SIDE} px limit; ask for a smaller box \
                         or -100 for the original"
                    )));
                }
                Ok(SizeSpec::Fit {
                    width: w.unsigned_abs(),
                    height: h.unsigned_abs(),
                })
            }
            (w, h) if w <= 0 && h <= 0 => {
                // One side may be 0 ("the same percent"); two different percents would distort.
                let p = if w == 0 || h == 0 || w == h {
                    w.min(h).unsigned_abs()
                } else {
                    return Err(MediaError::InvalidSize(format!(
                        "percent sizes must be equal on both sides, got {}% × {}%; send the \
                         same negative value twice (e.g. -50, -50)",
                        w.unsigned_abs(),
                        h.unsigned_abs()
                    )));
                };
                if p > MAX_PERCENT {
                    return Err(MediaError::InvalidSize(format!(
                        "{p}% is above the {MAX_PERCENT}% limit; use -1 to -{MAX_PERCENT} \
                         (-100 = full resolution)"
                    )));
                }
                Ok(SizeSpec::Percent(p))
            }
            (w, h) => Err(MediaError::InvalidSize(format!(
                "width {w} and height {h} mix a pixel box with a percentage; send both > 0 \
                 (box), both < 0 (percent) or 0 × 0 (default)"
            ))),
        }
    }

    /// Output size for a `src_w` × `src_h` source, each side at least 1 px.
    pub fn output_dims(self, src_w: u32, src_h: u32) -> Result<(u32, u32), MediaError> {
        if src_w == 0 || src_h == 0 {
            return Err(MediaError::InvalidSize(format!(
                "the source is {src_w}×{src_h} px; an image needs at least 1×1"
            )));
        }
        let scaled = |side: u32, factor: f64| ((f64::from(side) * factor).round() as u32).max(1);
        let dims = match self {
            SizeSpec::Default => fit(src_w, src_h, DEFAULT_BOX, DEFAULT_BOX),
            SizeSpec::Fit { width, height } => {
                if width == 0 && height == 0 {
                    return Err(MediaError::InvalidSize(
                        "a Fit box needs at least one non-zero side".to_string(),
                    ));
                }
                fit(src_w, src_h, width, height)
            }
            SizeSpec::Exact { width, height } => {
                if width == 0 || height == 0 {
                    return Err(MediaError::InvalidSize(format!(
                        "an exact size needs both sides > 0, got {width}×{height}"
                    )));
                }
                (width, height)
            }
            SizeSpec::Percent(p) => {
                if p == 0 || p > MAX_PERCENT {
                    return Err(MediaError::InvalidSize(format!(
                        "{p}% is outside 1..={MAX_PERCENT}%"
                    )));
                }
                let f = f64::from(p) / 100.0;
                (scaled(src_w, f), scaled(src_h, f))
            }
        };
        if dims.0 > MAX_SIDE || dims.1 > MAX_SIDE {
            return Err(MediaError::InvalidSize(format!(
                "the thumbnail would be {}×{} px, above the {MAX_SIDE} px limit; ask for a \
                 smaller size",
                dims.0, dims.1
            )));
        }
        Ok(dims)
    }
}

/// Largest size with the source's aspect ratio that fits the box (0 = unconstrained side).
fn fit(src_w: u32, src_h: u32, box_w: u32, box_h: u32) -> (u32, u32) {
    let sx = f64::from(box_w) / f64::from(src_w);
    let sy = f64::from(box_h) / f64::from(src_h);
    let s = match (box_w, box_h) {
        (0, _) => sy,
        (_, 0) => sx,
        _ => sx.min(sy),
    };
    // The constraining side gets the box side exactly, so rounding never overflows the box.
    let w = if box_w != 0 && (box_h == 0 || sx <= sy) {
        box_w
    } else {
        ((f64::from(src_w) * s).round() as u32).max(1)
    };
    let h = if box_h != 0 && (box_w == 0 || sy < sx) {
        box_h
    } else {
        ((f64::from(src_h) * s).round() as u32).max(1)
    };
    (w, h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn from_request_table() {
        let ok = [
            ((0, 0), SizeSpec::Default),
            (
                (64, 64),
                SizeSpec::Fit {
                    width: 64,
                    height: 64,
                },
            ),
            (
                (96, 0),
                SizeSpec::Fit {
                    width: 96,
                    height: 0,
                },
            ),
            (
                (0, 40),
                SizeSpec::Fit {
                    width: 0,
                    height: 40,
                },
            ),
            ((-100, -100), SizeSpec::Percent(100)),
            ((-50, -50), SizeSpec::Percent(50)),
            ((-25, 0), SizeSpec::Percent(25)),
            ((0, -200), SizeSpec::Percent(200)),
            (
                (8192, 8192),
                SizeSpec::Fit {
                    width: 8192,
                    height: 8192,
                },
            ),
        ];
        for ((w, h), want) in ok {
            assert_eq!(SizeSpec::from_request(w, h).unwrap(), want, "{w}×{h}");
        }
        let bad = [
            (64, -50),
            (-50, 64),
            (8193, 10),
            (10, 9000),
            (-50, -60),
            (-401, -401),
            (i32::MIN, i32::MIN),
            (i32::MAX, 1),
        ];
        for (w, h) in bad {
            let err = SizeSpec::from_request(w, h).unwrap_err();
            assert!(
                matches!(err, MediaError::InvalidSize(_)),
                "{w}×{h} gave {err}"
            );
        }
    }

    #[test]
    fn messages_say_what_would_be_right() {
        let msg = SizeSpec::from_request(64, -50).unwrap_err().to_string();
        assert!(msg.contains("both > 0"), "{msg}");
    }

    #[test]
    fn fit_keeps_aspect_and_upscales() {
        let fit64 = SizeSpec::Fit {
            width: 64,
            height: 64,
        };
        assert_eq!(fit64.output_dims(28, 28).unwrap(), (64, 64));
        assert_eq!(fit64.output_dims(640, 480).unwrap(), (64, 48));
        assert_eq!(fit64.output_dims(480, 640).unwrap(), (48, 64));
        assert_eq!(SizeSpec::Default.output_dims(512, 256).unwrap(), (128, 64));
        let wide_only = SizeSpec::Fit {
            width: 100,
            height: 0,
        };
        assert_eq!(wide_only.output_dims(50, 20).unwrap(), (100, 40));
        // A 1000:1 strip still gets a 1 px side.
        assert_eq!(fit64.output_dims(1000, 1).unwrap(), (64, 1));
    }

    #[test]
    fn percent_sizes() {
        assert_eq!(
            SizeSpec::Percent(100).output_dims(28, 28).unwrap(),
            (28, 28)
        );
        assert_eq!(
            SizeSpec::Percent(50).output_dims(101, 40).unwrap(),
            (51, 20)
        );
        assert_eq!(SizeSpec::Percent(1).output_dims(28, 28).unwrap(), (1, 1));
        assert_eq!(
            SizeSpec::Percent(200).output_dims(28, 14).unwrap(),
            (56, 28)
        );
        assert!(SizeSpec::Percent(400).output_dims(4096, 10).is_err());
    }

    #[test]
    fn empty_source_is_rejected() {
        assert!(SizeSpec::Default.output_dims(0, 10).is_err());
    }

    proptest! {
        #[test]
        fn fit_stays_inside_box_and_keeps_ratio(
            sw in 1u32..4000, sh in 1u32..4000, bw in 1u32..1024, bh in 1u32..1024,
        ) {
            let (w, h) = SizeSpec::Fit { width: bw, height: bh }.output_dims(sw, sh).unwrap();
            prop_assert!(w >= 1 && h >= 1 && w <= bw && h <= bh);
            // One side touches the box: it is the largest fit, not just a fit.
            prop_assert!(w == bw || h == bh);
            // Ratio error bounded by half a pixel of rounding on the smaller side.
            let src_ratio = f64::from(sw) / f64::from(sh);
            let lo = (f64::from(w) - 0.5).max(0.5) / (f64::from(h) + 0.5);
            let hi = (f64::from(w) + 0.5) / (f64::from(h) - 0.5).max(0.5);
            prop_assert!(
                (w == 1 || h == 1) || (lo <= src_ratio && src_ratio <= hi),
                "{sw}x{sh} -> {w}x{h}"
            );
        }
    }
}
