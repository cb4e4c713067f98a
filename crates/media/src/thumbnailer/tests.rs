//! Thumbnailer tests over whole pages: sizes, per-entry errors, caching, backends, config.

use super::*;
use crate::synthetic::Pattern;
use crate::{Channels, encode as encode_raster};

fn cpu(cache_bytes: usize) -> Thumbnailer {
    Thumbnailer::new(ThumbnailerConfig {
        backend: ResizeBackend::Cpu,
        cache_bytes,
        workers: 3,
    })
    .unwrap()
}

fn digit(key: &str) -> ThumbRequest {
    let r = Pattern::Digit.render(28, 28, Channels::Gray);
    ThumbRequest {
        key: key.to_string(),
        source: ImageSource::Gray8 {
            width: 28,
            height: 28,
            pixels: r.pixels,
        },
        size: SizeSpec::from_request(64, 64).unwrap(),
        format: ThumbFormat::Png,
    }
}

fn encoded_photo(key: &str, w: u32, h: u32, size: SizeSpec, format: ThumbFormat) -> ThumbRequest {
    let src = Pattern::Gradient.render(w, h, Channels::Rgb);
    ThumbRequest {
        key: key.to_string(),
        source: ImageSource::Encoded(encode_raster(&src, ThumbFormat::Png).unwrap().into()),
        size,
        format,
    }
}

fn decoded(t: &Thumbnail) -> Raster {
    Raster::decode("out", &ImageSource::Encoded(t.bytes.clone())).unwrap()
}

#[test]
fn small_digits_are_scaled_up_to_the_box() {
    let out = cpu(1 << 20).render(vec![digit("train/0")]);
    let t = out[0].as_ref().unwrap();
    assert_eq!((t.width, t.height, t.channels), (64, 64, 1));
    assert_eq!((t.source_width, t.source_height), (28, 28));
    let img = decoded(t);
    assert_eq!(
        (img.width, img.height, img.channels),
        (64, 64, Channels::Gray)
    );
}

#[test]
fn aspect_ratio_is_kept_and_formats_are_honoured() {
    let t = cpu(0);
    let out = t.render(vec![
        encoded_photo("a", 640, 480, SizeSpec::Default, ThumbFormat::Jpeg),
        encoded_photo(
            "b",
            480,
            640,
            SizeSpec::from_request(64, 64).unwrap(),
            ThumbFormat::Webp,
        ),
        encoded_photo(
            "c",
            300,
            100,
            SizeSpec::from_request(0, 50).unwrap(),
            ThumbFormat::Png,
        ),
    ]);
    let dims: Vec<(u32, u32)> = out
        .iter()
        .map(|r| {
            let t = r.as_ref().unwrap();
            let img = decoded(t);
            assert_eq!((img.width, img.height), (t.width, t.height));
            assert_eq!(img.channels, Channels::Rgb);
            (t.width, t.height)
        })
        .collect();
    assert_eq!(dims, vec![(128, 96), (48, 64), (150, 50)]);
    assert_eq!(&out[0].as_ref().unwrap().bytes[..2], &[0xFF, 0xD8]);
    assert_eq!(&out[1].as_ref().unwrap().bytes[8..12], b"WEBP");
}

#[test]
fn percent_sizes_follow_the_original() {
    let t = cpu(0);
    let full = encoded_photo(
        "p",
        101,
        60,
        SizeSpec::from_request(-100, -100).unwrap(),
        ThumbFormat::Png,
    );
    let half = encoded_photo(
        "p",
        101,
        60,
        SizeSpec::from_request(-50, -50).unwrap(),
        ThumbFormat::Png,
    );
    let out = t.render(vec![full.clone(), half]);
    let full_t = out[0].as_ref().unwrap();
    assert_eq!((full_t.width, full_t.height), (101, 60));
    // 100% is lossless with PNG: the original pixels come back.
    let original = Pattern::Gradient.render(101, 60, Channels::Rgb);
    assert_eq!(decoded(full_t).pixels, original.pixels);
    let half_t = out[1].as_ref().unwrap();
    assert_eq!((half_t.width, half_t.height), (51, 30));
}

#[test]
fn a_bad_source_fails_only_its_own_entry() {
    let t = cpu(1 << 20);
    let broken = ThumbRequest {
        key: "train/13".into(),
        source: ImageSource::Encoded(b"\xFF\xD8 truncated jpeg".to_vec().into()),
        size: SizeSpec::Default,
        format: ThumbFormat::Jpeg,
    };
    let bad_size = ThumbRequest {
        size: SizeSpec::Exact {
            width: 0,
            height: 5,
        },
        ..digit("train/14")
    };
    let out = t.render(vec![digit("train/12"), broken, bad_size, digit("train/15")]);
    assert!(out[0].is_ok() && out[3].is_ok());
    match &out[1] {
        Err(MediaError::Decode { key, .. }) => assert_eq!(key, "train/13"),
        other => panic!("expected a decode error, got {other:?}"),
    }
    assert!(matches!(out[2], Err(MediaError::InvalidSize(_))));
    // Failures are not cached: only the two good entries are.
    assert_eq!(t.cache_stats().entries, 2);
}

#[test]
fn second_render_is_a_cache_hit_with_identical_bytes() {
    let t = cpu(1 << 20);
    let page = vec![digit("train/1"), digit("train/2")];
    let first = t.render(page.clone());
    let s1 = t.cache_stats();
    assert_eq!((s1.hits, s1.misses, s1.entries), (0, 2, 2));
    let second = t.render(page);
    let s2 = t.cache_stats();
    assert_eq!((s2.hits, s2.misses), (2, 2));
    for (a, b) in first.iter().zip(&second) {
        assert_eq!(a.as_ref().unwrap(), b.as_ref().unwrap());
    }
    // Another format of the same source is a different entry.
    let png_then_jpeg = ThumbRequest {
        format: ThumbFormat::Jpeg,
        ..digit("train/1")
    };
    t.render(vec![png_then_jpeg]);
    assert_eq!(t.cache_stats().misses, 3);
}

#[test]
fn a_key_twice_in_one_page_is_made_once() {
    let t = cpu(1 << 20);
    let out = t.render(vec![digit("k"), digit("k"), digit("other")]);
    assert_eq!(out[0].as_ref().unwrap(), out[1].as_ref().unwrap());
    assert_eq!(t.cache_stats().misses, 2);
}

#[test]
fn cache_budget_evicts_old_pages() {
    // Room for about one 64×64 PNG digit thumbnail.
    let one = cpu(1 << 20).render(vec![digit("x")])[0]
        .as_ref()
        .unwrap()
        .bytes
        .len();
    let t = cpu(one + 200);
    t.render(vec![digit("a")]);
    t.render(vec![digit("b")]);
    let s = t.cache_stats();
    assert_eq!(s.entries, 1);
    assert!(s.bytes <= one + 200);
    t.render(vec![digit("a")]);
    assert_eq!(t.cache_stats().hits, 0, "a was evicted by b");
}

#[test]
fn empty_page() {
    assert!(cpu(0).render(Vec::new()).is_empty());
}

#[test]
fn backends_start_as_documented() {
    let auto = Thumbnailer::new(ThumbnailerConfig::default()).unwrap();
    let name = auto.backend_name();
    assert!(name.starts_with("cpu") || name.starts_with("gpu"), "{name}");
    assert_eq!(cpu(0).backend_name(), "cpu (fast_image_resize)");

    let gpu = Thumbnailer::new(ThumbnailerConfig {
        backend: ResizeBackend::Gpu,
        ..ThumbnailerConfig::default()
    });
    match gpu {
        Ok(gpu) => {
            assert!(
                gpu.backend_name().starts_with("gpu ("),
                "{}",
                gpu.backend_name()
            );
            // The GPU page and the CPU page agree in shape and stay visually identical.
            let page = vec![
                digit("d"),
                encoded_photo("e", 512, 384, SizeSpec::Default, ThumbFormat::Png),
                ThumbRequest {
                    source: ImageSource::Encoded(b"nope".to_vec().into()),
                    ..digit("f")
                },
            ];
            let g = gpu.render(page.clone());
            let c = cpu(0).render(page);
            for i in 0..2 {
                let (gt, ct) = (g[i].as_ref().unwrap(), c[i].as_ref().unwrap());
                assert_eq!(
                    (gt.width, gt.height, gt.channels),
                    (ct.width, ct.height, ct.channels)
                );
                let db = crate::synthetic::psnr(&decoded(gt), &decoded(ct)).unwrap();
                assert!(db >= 45.0, "entry {i}: {db:.1} dB");
            }
            assert!(matches!(g[2], Err(MediaError::Decode { .. })));
        }
        Err(MediaError::NoGpu(msg)) => {
            assert!(
                msg.contains("no adapter at all"),
                "an adapter exists but failed: {msg}"
            );
            eprintln!("note: no wgpu adapter, GPU thumbnailer not exercised ({msg})");
        }
        Err(e) => panic!("unexpected error starting the GPU backend: {e}"),
    }
}

#[test]
fn config_from_environment_values() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    };
    assert_eq!(
        ThumbnailerConfig::from_lookup(env(&[])).unwrap(),
        ThumbnailerConfig::default()
    );
    let c = ThumbnailerConfig::from_lookup(env(&[
        ("WL_THUMBNAILS", "GPU"),
        ("WL_THUMB_CACHE_MB", "16"),
    ]))
    .unwrap();
    assert_eq!((c.backend, c.cache_bytes), (ResizeBackend::Gpu, 16 << 20));
    let bad = ThumbnailerConfig::from_lookup(env(&[("WL_THUMBNAILS", "cuda")])).unwrap_err();
    assert!(bad.to_string().contains("gpu, cpu or auto"), "{bad}");
    assert!(ThumbnailerConfig::from_lookup(env(&[("WL_THUMB_CACHE_MB", "lots")])).is_err());
    assert!(matches!(
        Thumbnailer::new(ThumbnailerConfig {
            workers: 0,
            ..ThumbnailerConfig::default()
        }),
        Err(MediaError::Config(_))
    ));
}
