//! The CPU resize path (fast_image_resize) and the filter choice both paths share.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use crate::{Channels, MediaError, Raster};

/// Resampling filter; the GPU path builds its tap tables from the same kernels and support
/// so the two paths agree to within rounding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResizeFilter {
    /// Box kernel widened by the scale factor: every source pixel whose centre falls in the
    /// output pixel's footprint counts once (area averaging).
    Area,
    /// Tent kernel of radius 1 source pixel: bilinear interpolation.
    Bilinear,
}

impl ResizeFilter {
    /// Area averaging when no side grows, bilinear as soon as one does (a box kernel would
    /// turn an upscale into nearest-neighbour blocks).
    pub fn for_sizes(src_w: u32, src_h: u32, dst_w: u32, dst_h: u32) -> ResizeFilter {
        if dst_w <= src_w && dst_h <= src_h {
            ResizeFilter::Area
        } else {
            ResizeFilter::Bilinear
        }
    }
}

fn pixel_type(channels: Channels) -> PixelType {
    match channels {
        Channels::Gray => PixelType::U8,
        Channels::Rgb => PixelType::U8x3,
    }
}

/// Resizes on the calling thread to exactly `width` × `height`.
pub fn resize_cpu(src: &Raster, width: u32, height: u32) -> Result<Raster, MediaError> {
    if width == 0 || height == 0 {
        return Err(MediaError::InvalidSize(format!(
            "cannot resize to {width}×{height}; both sides must be ≥ 1"
        )));
    }
    if (width, height) == (src.width, src.height) {
        return Ok(src.clone());
    }
    let kind = pixel_type(src.channels);
    let internal = |e: String| MediaError::InvalidSize(format!("fast_image_resize refused: {e}"));
    let src_view = ImageRef::new(src.width, src.height, &src.pixels, kind)
        .map_err(|e| internal(e.to_string()))?;
    let mut dst = Image::new(width, height, kind);
    let filter = match ResizeFilter::for_sizes(src.width, src.height, width, height) {
        ResizeFilter::Area => FilterType::Box,
        ResizeFilter::Bilinear => FilterType::Bilinear,
    };
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(filter));
    Resizer::new()
        .resize(&src_view, &mut dst, &options)
        .map_err(|e| internal(e.to_string()))?;
    Raster::new(width, height, src.channels, dst.into_vec().into()).map_err(internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_average_of_a_2x2_block() {
        let src = Raster::new(
            4,
            2,
            Channels::Gray,
            vec![0, 100, 10, 10, 200, 100, 30, 30].into(),
        )
        .unwrap();
        let out = resize_cpu(&src, 2, 1).unwrap();
        assert_eq!(&out.pixels[..], &[100, 20]);
    }

    #[test]
    fn upscale_is_smooth_not_blocky() {
        let src = Raster::new(2, 1, Channels::Gray, vec![0, 200].into()).unwrap();
        let out = resize_cpu(&src, 8, 1).unwrap();
        // Edges clamp, the middle ramps: nearest-neighbour would give only 0 and 200.
        assert_eq!(out.pixels[0], 0);
        assert_eq!(out.pixels[7], 200);
        assert!(out.pixels[3] > 0 && out.pixels[3] < 200, "{:?}", out.pixels);
        assert!(
            out.pixels.windows(2).all(|w| w[0] <= w[1]),
            "{:?}",
            out.pixels
        );
    }

    #[test]
    fn rgb_channels_stay_separate() {
        let px: Vec<u8> = [255u8, 0, 0].repeat(16 * 16);
        let src = Raster::new(16, 16, Channels::Rgb, px.into()).unwrap();
        let out = resize_cpu(&src, 5, 3).unwrap();
        assert_eq!(out.pixels.len(), 5 * 3 * 3);
        assert!(out.pixels.chunks(3).all(|p| p == [255, 0, 0]));
    }

    #[test]
    fn filter_choice() {
        assert_eq!(
            ResizeFilter::for_sizes(512, 512, 128, 128),
            ResizeFilter::Area
        );
        assert_eq!(
            ResizeFilter::for_sizes(28, 28, 64, 64),
            ResizeFilter::Bilinear
        );
        assert_eq!(
            ResizeFilter::for_sizes(100, 10, 50, 20),
            ResizeFilter::Bilinear
        );
    }
}
