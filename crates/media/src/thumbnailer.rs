//! The thumbnail service: answers a page of requests from the cache, makes the misses on the
//! worker pool (CPU) or in one GPU batch, and caches what it made.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use crate::cache::{CacheKey, CacheStats, ThumbCache};
use crate::encode::encode;
use crate::gpu::{AdapterPolicy, GpuResizer, ResizeJob, describe_adapter};
use crate::pool::WorkerPool;
use crate::resize_cpu::resize_cpu;
use crate::{ImageSource, MediaError, Raster, SizeSpec, SizedDecode, ThumbFormat};

/// Default cache budget (WL_THUMB_CACHE_MB).
pub const DEFAULT_CACHE_MB: usize = 256;
/// Default worker count: the Python original's thread pool size.
pub const DEFAULT_WORKERS: usize = 8;

/// One thumbnail to make.
#[derive(Debug, Clone)]
pub struct ThumbRequest {
    /// Cache identity of the source, e.g. "train/123"; the same key must mean the same pixels.
    pub key: String,
    pub source: ImageSource,
    pub size: SizeSpec,
    pub format: ThumbFormat,
}

/// An encoded thumbnail and the shapes around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    pub bytes: Arc<[u8]>,
    pub width: u32,
    pub height: u32,
    /// 1 (grey) or 3 (RGB).
    pub channels: u8,
    pub format: ThumbFormat,
    pub source_width: u32,
    pub source_height: u32,
}

/// Where resizing runs (WL_THUMBNAILS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResizeBackend {
    /// The GPU if a hardware adapter exists, else the CPU: a software adapter (lavapipe) is
    /// slower than fast_image_resize for this work.
    #[default]
    Auto,
    /// The GPU, software adapters included; fails to start without one.
    Gpu,
    Cpu,
}

impl FromStr for ResizeBackend {
    type Err = MediaError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" | "" => Ok(ResizeBackend::Auto),
            "gpu" => Ok(ResizeBackend::Gpu),
            "cpu" => Ok(ResizeBackend::Cpu),
            other => Err(MediaError::Config(format!(
                "WL_THUMBNAILS={other:?} is not a backend; use gpu, cpu or auto"
            ))),
        }
    }
}

/// How to build a [`Thumbnailer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThumbnailerConfig {
    pub backend: ResizeBackend,
    /// Cache budget in bytes; 0 disables the cache.
    pub cache_bytes: usize,
    /// Worker threads for decode / CPU resize / encode.
    pub workers: usize,
}

impl Default for ThumbnailerConfig {
    fn default() -> Self {
        ThumbnailerConfig {
            backend: ResizeBackend::Auto,
            cache_bytes: DEFAULT_CACHE_MB * 1024 * 1024,
            workers: DEFAULT_WORKERS,
        }
    }
}

impl ThumbnailerConfig {
    /// Defaults overridden by WL_THUMBNAILS (gpu|cpu|auto) and WL_THUMB_CACHE_MB.
    pub fn from_env() -> Result<ThumbnailerConfig, MediaError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<ThumbnailerConfig, MediaError> {
        let mut config = ThumbnailerConfig::default();
        if let Some(v) = lookup("WL_THUMBNAILS") {
            config.backend = v.parse()?;
        }
        if let Some(v) = lookup("WL_THUMB_CACHE_MB") {
            let mb: usize = v.trim().parse().map_err(|_| {
                MediaError::Config(format!(
                    "WL_THUMB_CACHE_MB={v:?} is not a whole number of MiB; use e.g. 256 (0 = off)"
                ))
            })?;
            config.cache_bytes = mb.checked_mul(1024 * 1024).ok_or_else(|| {
                MediaError::Config(format!("WL_THUMB_CACHE_MB={mb} is too large"))
            })?;
        }
        Ok(config)
    }
}

/// Makes and caches thumbnails. Send + Sync; share it behind an `Arc`.
#[derive(Debug)]
pub struct Thumbnailer {
    pool: WorkerPool,
    cache: ThumbCache,
    gpu: Option<GpuResizer>,
}

/// A miss after decoding: the pixels and the size to make, and the format to encode.
struct Decoded {
    sized: SizedDecode,
    format: ThumbFormat,
}

impl Thumbnailer {
    pub fn new(config: ThumbnailerConfig) -> Result<Thumbnailer, MediaError> {
        let gpu = match config.backend {
            ResizeBackend::Cpu => None,
            ResizeBackend::Gpu => Some(GpuResizer::new(AdapterPolicy::AnyAdapter)?),
            ResizeBackend::Auto => match GpuResizer::new(AdapterPolicy::HardwareOnly) {
                Ok(gpu) => Some(gpu),
                Err(e) => {
                    tracing::info!(reason = %e, "thumbnails: no hardware GPU, using the CPU path");
                    None
                }
            },
        };
        match &gpu {
            Some(g) => {
                let info = g.adapter_info();
                tracing::info!(
                    adapter = %info.name,
                    backend = ?info.backend,
                    device_type = ?info.device_type,
                    requested = ?config.backend,
                    "thumbnails: resizing on the GPU"
                );
            }
            None => tracing::info!(requested = ?config.backend, "thumbnails: resizing on the CPU"),
        }
        Ok(Thumbnailer {
            pool: WorkerPool::new(config.workers)?,
            cache: ThumbCache::new(config.cache_bytes),
            gpu,
        })
    }

    /// The path in use, e.g. "cpu (fast_image_resize)" or "gpu (Vulkan, llvmpipe ..., Cpu)".
    pub fn backend_name(&self) -> String {
        match &self.gpu {
            Some(g) => format!("gpu ({})", describe_adapter(g.adapter_info())),
            None => "cpu (fast_image_resize)".to_string(),
        }
    }

    pub fn cache_stats(&self) -> CacheStats {
        self.cache.stats()
    }

    /// Forgets every cached thumbnail (e.g. after the dataset changed under the same keys).
    pub fn clear_cache(&self) {
        self.cache.clear();
    }

    /// Makes one page of thumbnails, results in request order. Each entry fails on its own
    /// (bad size, undecodable source); the page as a whole always answers.
    pub fn render(&self, requests: Vec<ThumbRequest>) -> Vec<Result<Thumbnail, MediaError>> {
        let mut results: Vec<Option<Result<Thumbnail, MediaError>>> =
            (0..requests.len()).map(|_| None).collect();
        // A key asked twice in one page is made once; `copies` lists the later asks.
        let mut first_ask: HashMap<CacheKey, usize> = HashMap::new();
        let mut copies: Vec<(usize, usize)> = Vec::new();
        let mut misses: Vec<(usize, CacheKey, ThumbRequest)> = Vec::new();
        for (i, request) in requests.into_iter().enumerate() {
            let key = CacheKey {
                key: request.key.clone(),
                size: request.size,
                format: request.format,
            };
            if let Some(&first) = first_ask.get(&key) {
                copies.push((i, first));
                continue;
            }
            match self.cache.get(&key) {
                Some(thumb) => results[i] = Some(Ok(thumb)),
                None => {
                    first_ask.insert(key.clone(), i);
                    misses.push((i, key, request));
                }
            }
        }
        if !misses.is_empty() {
            let (slots, keys, requests): (Vec<usize>, Vec<CacheKey>, Vec<ThumbRequest>) =
                misses.into_iter().fold(
                    (Vec::new(), Vec::new(), Vec::new()),
                    |(mut s, mut k, mut r), (i, key, req)| {
                        s.push(i);
                        k.push(key);
                        r.push(req);
                        (s, k, r)
                    },
                );
            let made = match &self.gpu {
                Some(gpu) => self.make_on_gpu(gpu, requests),
                None => self
                    .pool
                    .map(requests, |r| make_on_cpu(&r))
                    .into_iter()
                    .map(|r| r.and_then(|t| t))
                    .collect(),
            };
            for ((slot, key), result) in slots.into_iter().zip(keys).zip(made) {
                if let Ok(thumb) = &result {
                    self.cache.insert(key, thumb.clone());
                }
                results[slot] = Some(result);
            }
        }
        for (i, first) in copies {
            results[i] = Some(match &results[first] {
                Some(Ok(t)) => Ok(t.clone()),
                Some(Err(e)) => Err(MediaError::Worker(format!(
                    "same request as entry {first}: {e}"
                ))),
                None => Err(MediaError::Worker(
                    "duplicate of an unanswered entry".into(),
                )),
            });
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(MediaError::Worker("entry never answered".into()))))
            .collect()
    }

    /// Decode and encode on the pool, resize every image in one GPU batch between them. If
    /// the batch fails the page is resized on the CPU instead, so a GPU fault costs speed only.
    fn make_on_gpu(
        &self,
        gpu: &GpuResizer,
        requests: Vec<ThumbRequest>,
    ) -> Vec<Result<Thumbnail, MediaError>> {
        let decoded: Vec<Result<Decoded, MediaError>> = self
            .pool
            .map(requests, |r| decode_request(&r))
            .into_iter()
            .map(|r| r.and_then(|d| d))
            .collect();
        let ok: Vec<&Decoded> = decoded.iter().filter_map(|d| d.as_ref().ok()).collect();
        let jobs: Vec<ResizeJob<'_>> = ok
            .iter()
            .map(|d| ResizeJob {
                src: &d.sized.raster,
                width: d.sized.width,
                height: d.sized.height,
            })
            .collect();
        let resized: Vec<Result<Raster, MediaError>> = match gpu.resize_batch(&jobs) {
            Ok(r) => r.into_iter().map(Ok).collect(),
            Err(e) => {
                tracing::warn!(error = %e, images = jobs.len(), "GPU batch failed, resizing this page on the CPU");
                jobs.iter()
                    .map(|j| resize_cpu(j.src, j.width, j.height))
                    .collect()
            }
        };
        let mut resized = resized.into_iter();
        let to_encode: Vec<Result<(Raster, ThumbFormat, u32, u32), MediaError>> = decoded
            .into_iter()
            .map(|d| {
                let d = d?;
                let small = resized
                    .next()
                    .ok_or_else(|| MediaError::Gpu("the batch returned too few images".into()))??;
                Ok((small, d.format, d.sized.source_width, d.sized.source_height))
            })
            .collect();
        self.pool
            .map(to_encode, |item| {
                let (small, format, sw, sh) = item?;
                finish(&small, format, sw, sh)
            })
            .into_iter()
            .map(|r| r.and_then(|t| t))
            .collect()
    }
}

fn decode_request(request: &ThumbRequest) -> Result<Decoded, MediaError> {
    Ok(Decoded {
        sized: Raster::decode_for(&request.key, &request.source, request.size)?,
        format: request.format,
    })
}

fn make_on_cpu(request: &ThumbRequest) -> Result<Thumbnail, MediaError> {
    let Decoded { sized, format } = decode_request(request)?;
    let small = resize_cpu(&sized.raster, sized.width, sized.height)?;
    finish(&small, format, sized.source_width, sized.source_height)
}

fn finish(
    small: &Raster,
    format: ThumbFormat,
    source_width: u32,
    source_height: u32,
) -> Result<Thumbnail, MediaError> {
    Ok(Thumbnail {
        bytes: encode(small, format)?.into(),
        width: small.width,
        height: small.height,
        channels: small.channels.count() as u8,
        format,
        source_width,
        source_height,
    })
}

#[cfg(test)]
mod tests;
