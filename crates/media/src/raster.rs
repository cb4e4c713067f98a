//! Decoded 8-bit pixels (grey or RGB) and the conversion of every `ImageSource` into them.

use std::io::Cursor;
use std::sync::Arc;

use image::{DynamicImage, ImageReader, Limits};

use crate::{MediaError, SizeSpec};

/// Largest side of an encoded source we agree to decode; guards against decompression bombs.
const MAX_DECODE_SIDE: u32 = 16_384;
/// Largest allocation a single decode may make.
const MAX_DECODE_BYTES: u64 = 512 * 1024 * 1024;

/// Where a thumbnail's pixels come from.
#[derive(Debug, Clone)]
pub enum ImageSource {
    /// Row-major 8-bit grey, `width * height` bytes.
    Gray8 {
        width: u32,
        height: u32,
        pixels: Arc<[u8]>,
    },
    /// Row-major interleaved 8-bit RGB, `width * height * 3` bytes.
    Rgb8 {
        width: u32,
        height: u32,
        pixels: Arc<[u8]>,
    },
    /// A whole image file (PNG, JPEG, WebP, BMP or GIF).
    Encoded(Arc<[u8]>),
}

/// Colour layout of a [`Raster`]; alpha is not kept (see [`Raster::decode`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channels {
    Gray = 1,
    Rgb = 3,
}

impl Channels {
    pub fn count(self) -> usize {
        self as usize
    }
}

/// An 8-bit grey or RGB image in memory, row-major, interleaved, no row padding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raster {
    pub width: u32,
    pub height: u32,
    pub channels: Channels,
    pub pixels: Arc<[u8]>,
}

impl Raster {
    /// Wraps pixels after checking that their length matches the shape.
    pub fn new(
        width: u32,
        height: u32,
        channels: Channels,
        pixels: Arc<[u8]>,
    ) -> Result<Raster, String> {
        let want = width as usize * height as usize * channels.count();
        if width == 0 || height == 0 {
            return Err(format!(
                "a {width}×{height} image has no pixels; both sides must be ≥ 1"
            ));
        }
        if pixels.len() != want {
            return Err(format!(
                "{width}×{height}×{} needs {want} bytes but {} were given",
                channels.count(),
                pixels.len()
            ));
        }
        Ok(Raster {
            width,
            height,
            channels,
            pixels,
        })
    }

    /// Turns any source into pixels. `key` only names the source in error messages.
    ///
    /// Alpha is dropped, not composited: training code reads images with `convert("RGB")`,
    /// so the thumbnail shows what the model sees.
    pub fn decode(key: &str, source: &ImageSource) -> Result<Raster, MediaError> {
        let bad = |reason: String| MediaError::Decode {
            key: key.to_string(),
            reason,
        };
        match source {
            ImageSource::Gray8 {
                width,
                height,
                pixels,
            } => Raster::new(*width, *height, Channels::Gray, pixels.clone()).map_err(bad),
            ImageSource::Rgb8 {
                width,
                height,
                pixels,
            } => Raster::new(*width, *height, Channels::Rgb, pixels.clone()).map_err(bad),
            ImageSource::Encoded(bytes) => decode_file(bytes).map_err(bad),
        }
    }
}

/// A source decoded for one thumbnail size: maybe smaller than the source, never smaller
/// than the thumbnail.
#[derive(Debug, Clone)]
pub struct SizedDecode {
    pub raster: Raster,
    /// The source's own size (before any decode-time scaling).
    pub source_width: u32,
    pub source_height: u32,
    /// The thumbnail size `size` asks for, for this source.
    pub width: u32,
    pub height: u32,
}

impl Raster {
    /// Decodes `source` for a thumbnail of `size`. A JPEG is decoded at the smallest of its
    /// 1/8, 1/4, 1/2 and full DCT scales that still covers the thumbnail, which skips most
    /// of the decoding work for a small thumbnail of a large photo; everything else (and a
    /// JPEG the scaled decoder cannot read) is decoded in full.
    pub fn decode_for(
        key: &str,
        source: &ImageSource,
        size: SizeSpec,
    ) -> Result<SizedDecode, MediaError> {
        if let ImageSource::Encoded(bytes) = source
            && bytes.starts_with(&[0xFF, 0xD8, 0xFF])
            && let Some(scaled) = decode_jpeg_scaled(bytes, size)?
        {
            return Ok(scaled);
        }
        let raster = Raster::decode(key, source)?;
        let (width, height) = size.output_dims(raster.width, raster.height)?;
        Ok(SizedDecode {
            source_width: raster.width,
            source_height: raster.height,
            raster,
            width,
            height,
        })
    }
}

/// The DCT-scaled JPEG decode, or `None` when this decoder cannot handle the file (CMYK,
/// 16-bit, damaged, unusual coding): the caller then decodes it the general way, which also
/// gives the error message a damaged file deserves.
fn decode_jpeg_scaled(bytes: &[u8], size: SizeSpec) -> Result<Option<SizedDecode>, MediaError> {
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    if decoder.read_info().is_err() {
        return Ok(None);
    }
    let Some(info) = decoder.info() else {
        return Ok(None);
    };
    let channels = match info.pixel_format {
        jpeg_decoder::PixelFormat::L8 => Channels::Gray,
        jpeg_decoder::PixelFormat::RGB24 => Channels::Rgb,
        _ => return Ok(None),
    };
    let (source_width, source_height) = (u32::from(info.width), u32::from(info.height));
    if source_width > MAX_DECODE_SIDE || source_height > MAX_DECODE_SIDE {
        return Ok(None);
    }
    let (width, height) = size.output_dims(source_width, source_height)?;
    let want = |side: u32| u16::try_from(side).unwrap_or(u16::MAX);
    let Ok((decoded_width, decoded_height)) = decoder.scale(want(width), want(height)) else {
        return Ok(None);
    };
    let Ok(pixels) = decoder.decode() else {
        return Ok(None);
    };
    let Ok(raster) = Raster::new(
        u32::from(decoded_width),
        u32::from(decoded_height),
        channels,
        pixels.into(),
    ) else {
        return Ok(None);
    };
    Ok(Some(SizedDecode {
        raster,
        source_width,
        source_height,
        width,
        height,
    }))
}

fn decode_file(bytes: &[u8]) -> Result<Raster, String> {
    if bytes.is_empty() {
        return Err("the file is empty; expected PNG, JPEG, WebP, BMP or GIF bytes".to_string());
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| format!("cannot read the header: {e}"))?;
    if reader.format().is_none() {
        return Err("unknown image format; expected PNG, JPEG, WebP, BMP or GIF bytes".to_string());
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DECODE_SIDE);
    limits.max_image_height = Some(MAX_DECODE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| e.to_string())?;
    let (width, height) = (img.width(), img.height());
    let (channels, pixels): (Channels, Vec<u8>) = if img.color().has_color() {
        (Channels::Rgb, into_rgb8(img))
    } else {
        (Channels::Gray, img.into_luma8().into_raw())
    };
    Raster::new(width, height, channels, pixels.into())
}

fn into_rgb8(img: DynamicImage) -> Vec<u8> {
    match img {
        DynamicImage::ImageRgb8(buf) => buf.into_raw(),
        other => other.into_rgb8().into_raw(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_sources_are_checked_against_their_shape() {
        let ok = ImageSource::Rgb8 {
            width: 2,
            height: 2,
            pixels: vec![0u8; 12].into(),
        };
        let r = Raster::decode("k", &ok).unwrap();
        assert_eq!((r.width, r.height, r.channels), (2, 2, Channels::Rgb));

        let short = ImageSource::Gray8 {
            width: 28,
            height: 28,
            pixels: vec![0u8; 700].into(),
        };
        let err = Raster::decode("train/7", &short).unwrap_err().to_string();
        assert!(err.contains("train/7") && err.contains("784"), "{err}");
    }

    #[test]
    fn garbage_bytes_are_a_decode_error() {
        for bytes in [&b""[..], b"not an image at all", b"\x89PNG\r\n\x1a\nbroken"] {
            let err = Raster::decode("x", &ImageSource::Encoded(bytes.into())).unwrap_err();
            assert!(matches!(err, MediaError::Decode { .. }), "{err}");
        }
    }

    #[test]
    fn png_round_trip_keeps_grey_and_drops_alpha() {
        let mut png = Vec::new();
        let grey =
            image::GrayAlphaImage::from_fn(3, 2, |x, y| image::LumaA([(x * 40 + y) as u8, 7]));
        DynamicImage::ImageLumaA8(grey)
            .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let r = Raster::decode("g", &ImageSource::Encoded(png.into())).unwrap();
        assert_eq!(r.channels, Channels::Gray);
        assert_eq!(&r.pixels[..], &[0, 40, 80, 1, 41, 81]);
    }

    fn jpeg(width: u32, height: u32, rgb: bool) -> Vec<u8> {
        let mut bytes = Vec::new();
        let img = if rgb {
            DynamicImage::ImageRgb8(image::RgbImage::from_fn(width, height, |x, y| {
                image::Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, 90])
            }))
        } else {
            DynamicImage::ImageLuma8(image::GrayImage::from_fn(width, height, |x, y| {
                image::Luma([((x + y) * 255 / (width + height)) as u8])
            }))
        };
        img.write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Jpeg)
            .unwrap();
        bytes
    }

    /// A large JPEG is decoded at a DCT scale between the thumbnail and the source, and the
    /// thumbnail made from it matches the one made from a full decode.
    #[test]
    fn large_jpeg_decodes_at_a_smaller_scale_for_a_small_thumbnail() {
        for rgb in [true, false] {
            let source = ImageSource::Encoded(jpeg(512, 384, rgb).into());
            let size = SizeSpec::Fit {
                width: 64,
                height: 64,
            };
            let scaled = Raster::decode_for("big", &source, size).unwrap();
            assert_eq!((scaled.source_width, scaled.source_height), (512, 384));
            assert_eq!((scaled.width, scaled.height), (64, 48));
            assert_eq!((scaled.raster.width, scaled.raster.height), (64, 48));
            let full = Raster::decode("big", &source).unwrap();
            assert_eq!((full.width, full.height), (512, 384));
            let a = crate::resize_cpu::resize_cpu(&scaled.raster, 64, 48).unwrap();
            let b = crate::resize_cpu::resize_cpu(&full, 64, 48).unwrap();
            let quality = crate::synthetic::psnr(&a, &b).expect("same size and channels");
            assert!(
                quality > 30.0,
                "scaled decode differs: PSNR {quality:.1} dB"
            );
        }
    }

    /// Upscaling keeps the full decode, and a percentage size is taken of the source's size.
    #[test]
    fn jpeg_sizes_refer_to_the_source() {
        let small = ImageSource::Encoded(jpeg(28, 28, false).into());
        let up = Raster::decode_for(
            "s",
            &small,
            SizeSpec::Fit {
                width: 64,
                height: 64,
            },
        )
        .unwrap();
        assert_eq!((up.raster.width, up.width), (28, 64));
        let big = ImageSource::Encoded(jpeg(400, 200, true).into());
        let half = Raster::decode_for("b", &big, SizeSpec::Percent(50)).unwrap();
        assert_eq!((half.width, half.height), (200, 100));
        assert_eq!((half.raster.width, half.raster.height), (200, 100));
    }

    /// A damaged JPEG falls back to the general decoder and gets its per-sample error.
    #[test]
    fn damaged_jpeg_is_a_decode_error() {
        let mut bytes = jpeg(64, 64, true);
        bytes.truncate(40);
        let err = Raster::decode_for(
            "bad",
            &ImageSource::Encoded(bytes.into()),
            SizeSpec::Default,
        )
        .unwrap_err();
        assert!(matches!(err, MediaError::Decode { .. }), "{err}");
    }
}
