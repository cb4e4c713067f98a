//! The crate's one error type: every failure a caller of the thumbnail pipeline can see.

/// What went wrong while making a thumbnail, phrased for the person reading the log or the
/// Studio's error toast.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// The requested size cannot be honoured (bad combination, out of range).
    #[error("invalid thumbnail size: {0}")]
    InvalidSize(String),

    /// The source bytes are not an image we can read, or raw pixels do not match their shape.
    #[error("cannot decode image '{key}': {reason}")]
    Decode { key: String, reason: String },

    /// The resized pixels could not be written in the requested format.
    #[error("cannot encode thumbnail as {format}: {reason}")]
    Encode {
        format: &'static str,
        reason: String,
    },

    /// `ResizeBackend::Gpu` was asked for but this machine exposes no usable adapter.
    #[error(
        "no GPU adapter found ({0}); install a Vulkan or GL driver (e.g. mesa-vulkan-drivers) \
         or set WL_THUMBNAILS=cpu or auto"
    )]
    NoGpu(String),

    /// The GPU accepted the work but failed to run it.
    #[error("GPU resize failed: {0}")]
    Gpu(String),

    /// A configuration value (environment variable or field) is out of range.
    #[error("invalid media configuration: {0}")]
    Config(String),

    /// A worker thread died while making this entry; the pool keeps serving others.
    #[error("thumbnail worker failed: {0}")]
    Worker(String),
}
