//! GPU path tests: agreement with the CPU path on generated images, and batching.

use super::*;
use crate::synthetic::{Pattern, psnr};

/// Both paths use the same kernels with the same placement (the GPU reads host-computed f64
/// tap tables); what differs is f32 vs fixed-point arithmetic and the CPU path rounding to 8
/// bits between its horizontal and vertical passes: at most about one grey level, ≈ 48 dB if
/// it hit every pixel (measured worst case: 54 dB on lavapipe and on an H100). 45 dB still
/// catches a kernel edge resolved differently at non-integer ratios (37 dB on the H100 before
/// the tables moved to the host), a wrong kernel or a half-pixel shift (nearest-neighbour vs
/// area on noise is ≈ 15 dB; see the test below).
const MIN_PSNR_DB: f64 = 45.0;

/// The GPU resizer, or `None` (with a note) when this machine has no adapter at all. Any
/// other failure, including a software adapter that cannot open, fails the test.
fn gpu() -> Option<GpuResizer> {
    match GpuResizer::new(AdapterPolicy::AnyAdapter) {
        Ok(g) => Some(g),
        Err(MediaError::NoGpu(msg)) if msg.contains("no adapter at all") => {
            eprintln!("note: GPU test skipped, this machine has no wgpu adapter ({msg})");
            None
        }
        Err(e) => panic!("an adapter exists but the GPU path failed to start: {e}"),
    }
}

#[test]
fn gpu_agrees_with_cpu_on_generated_images() {
    let Some(gpu) = gpu() else { return };
    eprintln!("GPU adapter: {}", describe_adapter(gpu.adapter_info()));
    // (source side, source other side, target w, target h): integer and fractional downscales,
    // upscales (28 → 64 is the digit-grid case), one 1:1 copy.
    let cases = [
        (512, 512, 128, 128),
        (300, 200, 128, 85),
        (97, 61, 40, 25),
        (28, 28, 64, 64),
        (28, 28, 128, 128),
        (20, 30, 47, 70),
        (33, 17, 33, 17),
    ];
    let mut worst = f64::INFINITY;
    for channels in [Channels::Gray, Channels::Rgb] {
        let mut sources = Vec::new();
        for &(sw, sh, w, h) in &cases {
            for pattern in Pattern::ALL {
                sources.push((pattern, pattern.render(sw, sh, channels), w, h));
            }
        }
        let jobs: Vec<ResizeJob<'_>> = sources
            .iter()
            .map(|(_, src, w, h)| ResizeJob {
                src,
                width: *w,
                height: *h,
            })
            .collect();
        let gpu_out = gpu.resize_batch(&jobs).unwrap();
        for ((pattern, src, w, h), g) in sources.iter().zip(&gpu_out) {
            let c = resize_cpu(src, *w, *h).unwrap();
            let db = psnr(g, &c).unwrap();
            worst = worst.min(db);
            assert!(
                db >= MIN_PSNR_DB,
                "{pattern:?} {channels:?} {}×{} → {w}×{h}: GPU vs CPU only {db:.1} dB",
                src.width,
                src.height
            );
        }
    }
    eprintln!("worst GPU vs CPU PSNR: {worst:.1} dB");
}

#[test]
fn a_wrong_filter_would_be_caught() {
    // Guards the threshold: nearest-neighbour on noise must fall below it, or the agreement
    // test above could not fail for a broken kernel.
    let src = Pattern::Noise { seed: 3 }.render(300, 200, Channels::Gray);
    let area = resize_cpu(&src, 128, 85).unwrap();
    let nearest: Vec<u8> = (0..85u32)
        .flat_map(|y| {
            let src = &src;
            (0..128u32).map(move |x| {
                let sx = (x * 300 + 150) / 128;
                let sy = (y * 200 + 100) / 85;
                src.pixels[(sy * 300 + sx) as usize]
            })
        })
        .collect();
    let nearest = Raster::new(128, 85, Channels::Gray, nearest.into()).unwrap();
    assert!(psnr(&area, &nearest).unwrap() < MIN_PSNR_DB - 20.0);
}

#[test]
fn single_resize_and_identity() {
    let Some(gpu) = gpu() else { return };
    let src = Pattern::Digit.render(28, 28, Channels::Gray);
    let up = resize_gpu(&gpu, &src, 64, 64).unwrap();
    assert_eq!((up.width, up.height, up.channels), (64, 64, Channels::Gray));
    let same = resize_gpu(&gpu, &src, 28, 28).unwrap();
    assert_eq!(same, src);
}

#[test]
fn empty_batch_and_zero_size() {
    let Some(gpu) = gpu() else { return };
    assert!(gpu.resize_batch(&[]).unwrap().is_empty());
    let src = Pattern::Gradient.render(8, 8, Channels::Rgb);
    let err = resize_gpu(&gpu, &src, 0, 4).unwrap_err();
    assert!(matches!(err, MediaError::InvalidSize(_)), "{err}");
}

#[test]
fn unpack_reads_low_bytes_first() {
    let packed = [1u8, 2, 3, 0, 4, 5, 6, 0];
    let rgb = unpack(&packed, 2, 1, Channels::Rgb).unwrap();
    assert_eq!(&rgb.pixels[..], &[1, 2, 3, 4, 5, 6]);
    let grey = unpack(&packed, 2, 1, Channels::Gray).unwrap();
    assert_eq!(&grey.pixels[..], &[1, 4]);
    assert_eq!(padded_len(5), 8);
    assert_eq!(padded_len(8), 8);
}
