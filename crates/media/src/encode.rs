//! Thumbnail file formats and the encoding of a [`Raster`] into one of them.

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::codecs::webp::WebPEncoder;
use image::{ExtendedColorType, ImageEncoder};

use crate::{Channels, MediaError, Raster};

/// JPEG quality used for thumbnails: small files, no visible blocking at grid sizes.
pub const JPEG_QUALITY: u8 = 85;

/// File format of a thumbnail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ThumbFormat {
    /// JPEG, quality 85.
    #[default]
    Jpeg,
    /// PNG (lossless; fast compression since thumbnails are small and made on demand).
    Png,
    /// Lossless WebP.
    Webp,
}

impl ThumbFormat {
    pub fn name(self) -> &'static str {
        match self {
            ThumbFormat::Jpeg => "jpeg",
            ThumbFormat::Png => "png",
            ThumbFormat::Webp => "webp",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            ThumbFormat::Jpeg => "image/jpeg",
            ThumbFormat::Png => "image/png",
            ThumbFormat::Webp => "image/webp",
        }
    }
}

/// Encodes the pixels as a complete file in `format`.
pub fn encode(raster: &Raster, format: ThumbFormat) -> Result<Vec<u8>, MediaError> {
    let color = match raster.channels {
        Channels::Gray => ExtendedColorType::L8,
        Channels::Rgb => ExtendedColorType::Rgb8,
    };
    let (w, h, px) = (raster.width, raster.height, &raster.pixels[..]);
    // A 128 px JPEG is ~5 KB; reserving that avoids regrowing the buffer a few times.
    let mut out = Vec::with_capacity(px.len() / 4 + 1024);
    let result = match format {
        ThumbFormat::Jpeg => return encode_jpeg(raster, out),
        ThumbFormat::Png => {
            PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Adaptive)
                .write_image(px, w, h, color)
        }
        ThumbFormat::Webp => WebPEncoder::new_lossless(&mut out).write_image(px, w, h, color),
    };
    result.map_err(|e| MediaError::Encode {
        format: format.name(),
        reason: e.to_string(),
    })?;
    Ok(out)
}

/// JPEG through `jpeg-encoder` (4:2:0 chroma at this quality, SIMD where the CPU has it):
/// about 5x faster than the `image` crate's encoder for a 128 px thumbnail.
fn encode_jpeg(raster: &Raster, mut out: Vec<u8>) -> Result<Vec<u8>, MediaError> {
    let failed = |reason: String| MediaError::Encode {
        format: ThumbFormat::Jpeg.name(),
        reason,
    };
    let side = |value: u32| {
        u16::try_from(value).map_err(|_| {
            failed(format!(
                "{}x{} is too large for JPEG, whose sides are at most 65535 px; ask for a smaller size or PNG",
                raster.width, raster.height
            ))
        })
    };
    let (width, height) = (side(raster.width)?, side(raster.height)?);
    let color = match raster.channels {
        Channels::Gray => jpeg_encoder::ColorType::Luma,
        Channels::Rgb => jpeg_encoder::ColorType::Rgb,
    };
    jpeg_encoder::Encoder::new(&mut out, JPEG_QUALITY)
        .encode(&raster.pixels, width, height, color)
        .map_err(|e| failed(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ImageSource, Raster};

    fn sample(channels: Channels) -> Raster {
        let n = 20 * 10 * channels.count();
        let px: Vec<u8> = (0..n).map(|i| (i * 7 % 251) as u8).collect();
        Raster::new(20, 10, channels, px.into()).unwrap()
    }

    #[test]
    fn every_format_decodes_back_to_the_same_shape() {
        for channels in [Channels::Gray, Channels::Rgb] {
            let r = sample(channels);
            for format in [ThumbFormat::Jpeg, ThumbFormat::Png, ThumbFormat::Webp] {
                let bytes = encode(&r, format).unwrap();
                let back = Raster::decode("t", &ImageSource::Encoded(bytes.into())).unwrap();
                assert_eq!((back.width, back.height), (20, 10), "{format:?}");
                // WebP has no grey mode: a grey thumbnail comes back as R = G = B.
                let back_grey: Vec<u8> = match (format, channels) {
                    (ThumbFormat::Webp, Channels::Gray) => {
                        assert_eq!(back.channels, Channels::Rgb);
                        assert!(back.pixels.chunks(3).all(|p| p[0] == p[1] && p[1] == p[2]));
                        back.pixels.iter().step_by(3).copied().collect()
                    }
                    _ => {
                        assert_eq!(back.channels, channels, "{format:?} {channels:?}");
                        back.pixels.to_vec()
                    }
                };
                if format != ThumbFormat::Jpeg {
                    assert_eq!(&back_grey[..], &r.pixels[..], "{format:?} must be lossless");
                }
            }
        }
    }

    #[test]
    fn jpeg_keeps_the_picture_at_every_size() {
        use crate::synthetic::{Pattern, psnr};
        // Odd sizes make the encoder pad partial 8x8 and 16x16 blocks at the edges.
        for (w, h) in [(1, 1), (7, 3), (17, 9), (128, 85), (128, 128), (301, 200)] {
            for channels in [Channels::Gray, Channels::Rgb] {
                let original = Pattern::Gradient.render(w, h, channels);
                let bytes = encode(&original, ThumbFormat::Jpeg).unwrap();
                let back = Raster::decode("t", &ImageSource::Encoded(bytes.into())).unwrap();
                assert_eq!((back.width, back.height, back.channels), (w, h, channels));
                let quality = psnr(&original, &back).unwrap();
                // Chroma is kept at half resolution (4:2:0), which a 7x3 picture whose colour
                // changes at every pixel feels; anything thumbnail-sized keeps > 30 dB.
                let floor = if channels == Channels::Rgb && w < 16 {
                    20.0
                } else {
                    30.0
                };
                assert!(
                    quality > floor,
                    "{w}x{h} {channels:?}: PSNR {quality:.1} dB"
                );
            }
        }
    }

    #[test]
    fn files_start_with_their_magic_bytes() {
        let r = sample(Channels::Rgb);
        assert_eq!(&encode(&r, ThumbFormat::Jpeg).unwrap()[..2], &[0xFF, 0xD8]);
        assert_eq!(&encode(&r, ThumbFormat::Png).unwrap()[1..4], b"PNG");
        assert_eq!(&encode(&r, ThumbFormat::Webp).unwrap()[8..12], b"WEBP");
    }
}
