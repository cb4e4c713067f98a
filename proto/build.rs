//! Compiles `experiment_service.proto` (the 2.x contract) and `studio_service.proto` (our
//! Studio's extras) with protox (pure Rust, no system `protoc`) and generates the prost
//! messages plus the tonic clients and servers. The encoded descriptor set is written beside
//! the generated code for gRPC server reflection.

use prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = ["experiment_service.proto", "studio_service.proto"];
    for file in files {
        println!("cargo:rerun-if-changed={file}");
    }
    let descriptors = protox::compile(files, ["."])?;
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
