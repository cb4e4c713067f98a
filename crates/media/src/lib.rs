//! Thumbnails for the Studio's data grid: decode → resize → encode → cache.
//!
//! A [`Thumbnailer`] takes a page of [`ThumbRequest`]s (a cache key, an [`ImageSource`], a
//! [`SizeSpec`] and a [`ThumbFormat`]) and answers each with a [`Thumbnail`] or a
//! [`MediaError`] of its own. Cache hits come straight from a byte-bounded LRU
//! ([`cache::ThumbCache`]); misses are decoded and encoded on a fixed [`pool::WorkerPool`] and
//! resized either on the CPU ([`resize_cpu`], fast_image_resize) or in one batched wgpu
//! compute dispatch ([`GpuResizer`], [`resize_gpu`]). Both resize paths use the same kernels:
//! area averaging when shrinking, bilinear when growing ([`ResizeFilter`]).

pub mod cache;
mod encode;
mod error;
mod gpu;
pub mod pool;
mod raster;
mod resize_cpu;
mod size;
pub mod synthetic;
mod thumbnailer;

pub use cache::CacheStats;
pub use encode::{JPEG_QUALITY, ThumbFormat, encode};
pub use error::MediaError;
pub use gpu::{AdapterPolicy, GpuResizer, ResizeJob, describe_adapter, is_hardware, resize_gpu};
pub use raster::{Channels, ImageSource, Raster, SizedDecode};
pub use resize_cpu::{ResizeFilter, resize_cpu};
pub use size::{DEFAULT_BOX, MAX_PERCENT, MAX_SIDE, SizeSpec};
pub use thumbnailer::{
    DEFAULT_CACHE_MB, DEFAULT_WORKERS, ResizeBackend, ThumbRequest, Thumbnail, Thumbnailer,
    ThumbnailerConfig,
};

#[cfg(test)]
mod send_sync {
    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn thumbnailer_is_send_and_sync() {
        assert_send_sync::<crate::Thumbnailer>();
    }
}
