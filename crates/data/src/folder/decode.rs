//! Decodes image files into fixed-size planar (C, H, W) 8-bit pixels, on all cores.

use std::path::Path;

use image::DynamicImage;
use image::imageops::FilterType;

/// Colour layout of the model input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorMode {
    /// One grey channel.
    #[default]
    Gray,
    /// Three channels, red, green, blue.
    Rgb,
}

impl ColorMode {
    pub fn channels(self) -> usize {
        match self {
            ColorMode::Gray => 1,
            ColorMode::Rgb => 3,
        }
    }
}

/// Reads and decodes one file; the error is a human-readable reason for the skip list.
pub(crate) fn decode_file(path: &Path) -> Result<DynamicImage, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    image::load_from_memory(&bytes).map_err(|e| format!("cannot decode: {e}"))
}

/// Resizes (when needed) and lays the image out as planar C×H×W bytes.
pub(crate) fn to_planar(
    image: &DynamicImage,
    width: u32,
    height: u32,
    color: ColorMode,
) -> Vec<u8> {
    let resized;
    let image = if image.width() == width && image.height() == height {
        image
    } else {
        resized = image.resize_exact(width, height, FilterType::Triangle);
        &resized
    };
    match color {
        ColorMode::Gray => image.to_luma8().into_raw(),
        ColorMode::Rgb => {
            let rgb = image.to_rgb8();
            let plane = (width * height) as usize;
            let mut planar = vec![0u8; plane * 3];
            for (i, px) in rgb.pixels().enumerate() {
                for c in 0..3 {
                    planar[c * plane + i] = px.0[c];
                }
            }
            planar
        }
    }
}

/// Decodes every path with `decode`, spreading the work over the available cores while
/// keeping results in input order.
pub(crate) fn decode_all<T: Send>(
    paths: &[&Path],
    decode: impl Fn(&Path) -> Result<T, String> + Sync,
) -> Vec<Result<T, String>> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    if workers == 1 || paths.len() < 16 {
        return paths.iter().map(|p| decode(p)).collect();
    }
    let chunk = paths.len().div_ceil(workers);
    std::thread::scope(|scope| {
        let handles: Vec<_> = paths
            .chunks(chunk)
            .map(|part| {
                let decode = &decode;
                let handle =
                    scope.spawn(move || part.iter().map(|p| decode(p)).collect::<Vec<_>>());
                (part.len(), handle)
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|(len, handle)| {
                // A decoder panic (a bug in an image codec) skips that chunk's files
                // instead of taking the whole process down.
                handle.join().unwrap_or_else(|_| {
                    (0..len)
                        .map(|_| Err("decoder thread panicked".to_owned()))
                        .collect()
                })
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    #[test]
    fn rgb_is_planar_and_gray_is_single_plane() {
        let mut img = RgbImage::new(2, 1);
        img.put_pixel(0, 0, Rgb([10, 20, 30]));
        img.put_pixel(1, 0, Rgb([40, 50, 60]));
        let img = DynamicImage::ImageRgb8(img);
        assert_eq!(
            to_planar(&img, 2, 1, ColorMode::Rgb),
            vec![10, 40, 20, 50, 30, 60]
        );
        assert_eq!(to_planar(&img, 2, 1, ColorMode::Gray).len(), 2);
        assert_eq!(to_planar(&img, 4, 3, ColorMode::Rgb).len(), 36);
    }

    #[test]
    fn decode_all_keeps_order_across_threads() {
        let names: Vec<String> = (0..50).map(|i| i.to_string()).collect();
        let paths: Vec<&Path> = names.iter().map(Path::new).collect();
        let out = decode_all(&paths, |p| {
            let n: usize = p.to_string_lossy().parse().map_err(|_| "nan".to_owned())?;
            if n % 7 == 3 {
                Err(format!("bad {n}"))
            } else {
                Ok(n)
            }
        });
        for (i, r) in out.iter().enumerate() {
            match r {
                Ok(n) => assert_eq!(*n, i),
                Err(e) => assert_eq!(e, &format!("bad {i}")),
            }
        }
    }
}
