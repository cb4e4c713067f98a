//! Compiles `experiment_service.proto` with protox (pure Rust, no system `protoc`) and
//! generates the prost messages plus the tonic client and server. The encoded descriptor
//! set is written beside the generated code for gRPC server reflection.

use prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=experiment_service.proto");
    let descriptors = protox::compile(["experiment_service.proto"], ["."])?;
    let out_dir = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("experiment_service_descriptor.bin"),
        descriptors.encode_to_vec(),
    )?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)?;
    Ok(())
}
