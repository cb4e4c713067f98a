//! Decoded 8-bit pixels (grey or RGB) and the conversion of every `ImageSource` into them.

use std::io::Cursor;
use std::sync::Arc;

use image::{DynamicImage, ImageReader, Limits};

use crate::MediaError;

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
}
