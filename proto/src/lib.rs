//! The ExperimentService wire contract: prost messages and the tonic client and server
//! generated from `experiment_service.proto` (WeightsLab 2.x field numbers, no package),
//! plus our Studio's own `StudioService` in `studio`.

#![allow(clippy::all, missing_docs)]

// The proto has no package, so prost names the generated file `_.rs`.
include!(concat!(env!("OUT_DIR"), "/_.rs"));

/// The encoded `FileDescriptorSet` of the contract, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(
    env!("OUT_DIR"),
    "/experiment_service_descriptor.bin"
));

/// Fully qualified service name (no package), as it appears in every method path.
pub const SERVICE_NAME: &str = "ExperimentService";

pub use experiment_service_client::ExperimentServiceClient;
pub use experiment_service_server::{ExperimentService, ExperimentServiceServer};

/// Our Studio's extras beyond the 2.x contract (`studio_service.proto`).
pub mod studio {
    include!(concat!(env!("OUT_DIR"), "/weightslab.studio.rs"));

    /// Fully qualified service name, as it appears in every method path.
    pub const SERVICE_NAME: &str = "weightslab.studio.StudioService";
}

#[cfg(test)]
mod wire_vectors;
