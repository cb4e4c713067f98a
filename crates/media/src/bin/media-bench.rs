//! Thumbnail throughput and page latency, CPU path vs GPU path, cold and cached.
//!
//! `cargo run --release -p weightslab-media --bin media-bench -- [ITERS]`
//! Pages are 64 thumbnails at the default 128 px box, JPEG q85, from 28 px grey digits,
//! 512 px raw RGB and 512 px JPEG files. "cold" clears the cache before each page; "cached"
//! renders a page already in the cache. A pure-resize row times the resize step alone, and a
//! stage table splits one thread's work per thumbnail into decode, resize and encode.

use std::time::{Duration, Instant};

use image::ImageEncoder;

use weightslab_media::synthetic::{Pattern, psnr};
use weightslab_media::{
    AdapterPolicy, Channels, GpuResizer, ImageSource, Raster, ResizeBackend, ResizeJob, SizeSpec,
    ThumbFormat, ThumbRequest, Thumbnailer, ThumbnailerConfig, describe_adapter, encode,
    resize_cpu, resize_gpu,
};

const PAGE: usize = 64;

fn source(kind: &str, i: usize) -> ImageSource {
    let patterns = Pattern::ALL;
    let p = match patterns[i % patterns.len()] {
        Pattern::Noise { .. } => Pattern::Noise { seed: i as u64 },
        other => other,
    };
    match kind {
        "28px grey" => {
            let r = p.render(28, 28, Channels::Gray);
            ImageSource::Gray8 {
                width: 28,
                height: 28,
                pixels: r.pixels,
            }
        }
        "512px RGB" => {
            let r = p.render(512, 512, Channels::Rgb);
            ImageSource::Rgb8 {
                width: 512,
                height: 512,
                pixels: r.pixels,
            }
        }
        _ => {
            // The sources are made by the `image` crate's encoder (q85, chroma at full
            // resolution, ~205 KB each with the noise patterns), not by our thumbnail encoder,
            // so the decode work stays the same whatever encoder the thumbnails use.
            let r = p.render(512, 512, Channels::Rgb);
            let mut bytes = Vec::new();
            let encoded = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 85)
                .write_image(&r.pixels, 512, 512, image::ExtendedColorType::Rgb8);
            match encoded {
                Ok(()) => ImageSource::Encoded(bytes.into()),
                Err(e) => panic!("cannot make the JPEG source: {e}"),
            }
        }
    }
}

fn page(kind: &str) -> Vec<ThumbRequest> {
    (0..PAGE)
        .map(|i| ThumbRequest {
            key: format!("{kind}/{i}"),
            source: source(kind, i),
            size: SizeSpec::Default,
            format: ThumbFormat::Jpeg,
        })
        .collect()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn row(backend: &str, kind: &str, mode: &str, d: Duration) {
    let ms = d.as_secs_f64() * 1e3;
    println!(
        "| {backend:<30} | {kind:<11} | {mode:<11} | {ms:>9.2} | {:>10.0} |",
        PAGE as f64 / d.as_secs_f64()
    );
}

fn bench_thumbnailer(t: &Thumbnailer, iters: usize) {
    let name = t.backend_name();
    for kind in ["28px grey", "512px RGB", "512px JPEG"] {
        let requests = page(kind);
        // One warm-up page so shader compilation and allocator growth are not counted.
        t.clear_cache();
        check(&t.render(requests.clone()));
        let cold: Vec<Duration> = (0..iters)
            .map(|_| {
                t.clear_cache();
                let r = requests.clone();
                let start = Instant::now();
                let out = t.render(r);
                let d = start.elapsed();
                check(&out);
                d
            })
            .collect();
        row(&name, kind, "cold page", median(cold));
        let cached: Vec<Duration> = (0..iters * 4)
            .map(|_| {
                let r = requests.clone();
                let start = Instant::now();
                let out = t.render(r);
                let d = start.elapsed();
                check(&out);
                d
            })
            .collect();
        row(&name, kind, "cached page", median(cached));
    }
}

fn check(out: &[Result<weightslab_media::Thumbnail, weightslab_media::MediaError>]) {
    for r in out {
        if let Err(e) = r {
            panic!("bench page failed: {e}");
        }
    }
}

fn bench_resize_only(gpu: Option<&GpuResizer>, iters: usize) {
    for (kind, side, channels) in [
        ("28px grey", 28, Channels::Gray),
        ("512px RGB", 512, Channels::Rgb),
    ] {
        let srcs: Vec<Raster> = (0..PAGE)
            .map(|i| Pattern::ALL[i % Pattern::ALL.len()].render(side, side, channels))
            .collect();
        let cpu: Vec<Duration> = (0..iters)
            .map(|_| {
                let start = Instant::now();
                for s in &srcs {
                    if let Err(e) = resize_cpu(s, 128, 128) {
                        panic!("{e}");
                    }
                }
                start.elapsed()
            })
            .collect();
        row("resize only, cpu 1 thread", kind, "64 images", median(cpu));
        if let Some(gpu) = gpu {
            let jobs: Vec<ResizeJob<'_>> = srcs
                .iter()
                .map(|src| ResizeJob {
                    src,
                    width: 128,
                    height: 128,
                })
                .collect();
            let _ = gpu.resize_batch(&jobs);
            let times: Vec<Duration> = (0..iters)
                .map(|_| {
                    let start = Instant::now();
                    if let Err(e) = gpu.resize_batch(&jobs) {
                        panic!("{e}");
                    }
                    start.elapsed()
                })
                .collect();
            row("resize only, gpu 1 batch", kind, "64 images", median(times));
        }
    }
}

/// Where a cold thumbnail's time goes, on one thread: mean microseconds per image for the
/// size-aware decode, the CPU resize and the JPEG encode, per source kind.
fn bench_stages(iters: usize) {
    println!(
        "| stage, 1 thread, mean us/image | source      | decode | resize | encode | source KB |"
    );
    for kind in ["28px grey", "512px RGB", "512px JPEG"] {
        let requests = page(kind);
        let source_kb = requests
            .iter()
            .map(|r| match &r.source {
                ImageSource::Encoded(bytes) => bytes.len(),
                ImageSource::Gray8 { pixels, .. } | ImageSource::Rgb8 { pixels, .. } => {
                    pixels.len()
                }
            })
            .sum::<usize>() as f64
            / PAGE as f64
            / 1024.0;
        let (mut decode_t, mut resize_t, mut encode_t) =
            (Duration::ZERO, Duration::ZERO, Duration::ZERO);
        for _ in 0..iters {
            for r in &requests {
                let start = Instant::now();
                let sized =
                    Raster::decode_for(&r.key, &r.source, r.size).unwrap_or_else(|e| panic!("{e}"));
                let decoded = Instant::now();
                let small = resize_cpu(&sized.raster, sized.width, sized.height)
                    .unwrap_or_else(|e| panic!("{e}"));
                let resized = Instant::now();
                let bytes = encode(&small, ThumbFormat::Jpeg).unwrap_or_else(|e| panic!("{e}"));
                let encoded = Instant::now();
                assert!(!bytes.is_empty());
                decode_t += decoded - start;
                resize_t += resized - decoded;
                encode_t += encoded - resized;
            }
        }
        let us = |d: Duration| d.as_secs_f64() * 1e6 / (iters * PAGE) as f64;
        println!(
            "| {:<30} | {kind:<11} | {:>6.0} | {:>6.0} | {:>6.0} | {source_kb:>9.1} |",
            "",
            us(decode_t),
            us(resize_t),
            us(encode_t)
        );
    }
}

/// Worst GPU-vs-CPU PSNR over the generated patterns, down- and upscaling, grey and RGB: the
/// tests' agreement check, repeated on whatever adapter this machine has.
fn agreement(gpu: &GpuResizer) {
    let cases = [
        (512, 512, 128, 128),
        (300, 200, 128, 85),
        (28, 28, 64, 64),
        (20, 30, 47, 70),
    ];
    let mut worst = f64::INFINITY;
    for channels in [Channels::Gray, Channels::Rgb] {
        for (sw, sh, w, h) in cases {
            for p in Pattern::ALL {
                let src = p.render(sw, sh, channels);
                let (g, c) = match (resize_gpu(gpu, &src, w, h), resize_cpu(&src, w, h)) {
                    (Ok(g), Ok(c)) => (g, c),
                    (g, c) => panic!("agreement case failed: gpu {:?} cpu {:?}", g.err(), c.err()),
                };
                worst = worst.min(psnr(&g, &c).unwrap_or(0.0));
            }
        }
    }
    println!(
        "GPU vs CPU agreement on {}: worst PSNR {worst:.1} dB",
        describe_adapter(gpu.adapter_info())
    );
}

fn main() {
    let iters: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10)
        .max(1);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "media-bench: page of {PAGE} thumbnails, 128 px box, JPEG q85, {iters} iterations (median), {cores} cores"
    );
    println!(
        "| {:<30} | {:<11} | {:<11} | {:>9} | {:>10} |",
        "backend", "source", "mode", "ms/page", "thumbs/s"
    );
    println!(
        "|{:-<32}|{:-<13}|{:-<13}|{:-<11}|{:-<12}|",
        "", "", "", "", ""
    );

    match Thumbnailer::new(ThumbnailerConfig::default()) {
        Ok(t) => println!("WL_THUMBNAILS=auto picks: {}", t.backend_name()),
        Err(e) => println!("WL_THUMBNAILS=auto failed: {e}"),
    }
    let cpu = Thumbnailer::new(ThumbnailerConfig {
        backend: ResizeBackend::Cpu,
        ..ThumbnailerConfig::default()
    });
    match cpu {
        Ok(t) => bench_thumbnailer(&t, iters),
        Err(e) => eprintln!("CPU thumbnailer failed to start: {e}"),
    }
    let gpu_thumbs = Thumbnailer::new(ThumbnailerConfig {
        backend: ResizeBackend::Gpu,
        ..ThumbnailerConfig::default()
    });
    match gpu_thumbs {
        Ok(t) => bench_thumbnailer(&t, iters.div_ceil(2)),
        Err(e) => println!("(GPU path skipped: {e})"),
    }
    bench_stages(iters);
    let gpu = GpuResizer::new(AdapterPolicy::AnyAdapter).ok();
    bench_resize_only(gpu.as_ref(), iters);
    if let Some(gpu) = &gpu {
        agreement(gpu);
    }
}
