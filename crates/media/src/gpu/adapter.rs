//! Finding a GPU adapter that can run compute shaders, and ranking the ones found.

use wgpu::{Adapter, AdapterInfo, Backend, DeviceType, DownlevelFlags, Instance};

use crate::MediaError;

/// Whether a software rasteriser (lavapipe, llvmpipe) is acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdapterPolicy {
    /// Any adapter that runs compute shaders, software ones included.
    AnyAdapter,
    /// Only real hardware: a software adapter is slower than the CPU path for this work.
    HardwareOnly,
}

/// One line describing an adapter: "Vulkan, llvmpipe (LLVM 15.0.6, 256 bits), Cpu".
pub fn describe(info: &AdapterInfo) -> String {
    format!("{:?}, {}, {:?}", info.backend, info.name, info.device_type)
}

pub fn is_hardware(info: &AdapterInfo) -> bool {
    !matches!(info.device_type, DeviceType::Cpu)
}

/// Higher is better: discrete before integrated before virtual before software, and Vulkan
/// before GL for the same kind of device (the GL path goes through EGL and is slower).
fn rank(info: &AdapterInfo) -> (u8, u8) {
    let device = match info.device_type {
        DeviceType::DiscreteGpu => 4,
        DeviceType::IntegratedGpu => 3,
        DeviceType::VirtualGpu => 2,
        DeviceType::Other => 1,
        DeviceType::Cpu => 0,
    };
    let backend = match info.backend {
        Backend::Vulkan | Backend::Metal | Backend::Dx12 => 2,
        Backend::Gl => 1,
        _ => 0,
    };
    (device, backend)
}

/// The best adapter the policy allows, or `NoGpu` with what was found instead.
pub fn choose(instance: &Instance, policy: AdapterPolicy) -> Result<Adapter, MediaError> {
    let adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()));
    let mut seen = Vec::new();
    let mut best: Option<(Adapter, (u8, u8))> = None;
    for adapter in adapters {
        let info = adapter.get_info();
        let computes = adapter
            .get_downlevel_capabilities()
            .flags
            .contains(DownlevelFlags::COMPUTE_SHADERS);
        seen.push(format!(
            "{}{}",
            describe(&info),
            if computes { "" } else { " (no compute)" }
        ));
        if !computes || (policy == AdapterPolicy::HardwareOnly && !is_hardware(&info)) {
            continue;
        }
        let r = rank(&info);
        if best.as_ref().is_none_or(|(_, b)| r > *b) {
            best = Some((adapter, r));
        }
    }
    tracing::debug!(adapters = ?seen, "wgpu adapters");
    best.map(|(a, _)| a).ok_or_else(|| {
        let found = if seen.is_empty() {
            "no adapter at all".to_string()
        } else {
            format!("only {}", seen.join("; "))
        };
        let wanted = match policy {
            AdapterPolicy::AnyAdapter => "an adapter with compute shaders",
            AdapterPolicy::HardwareOnly => "a hardware adapter",
        };
        MediaError::NoGpu(format!("wanted {wanted}, found {found}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(device_type: DeviceType, backend: Backend) -> AdapterInfo {
        AdapterInfo::new(device_type, backend)
    }

    #[test]
    fn hardware_beats_software_and_vulkan_beats_gl() {
        let lavapipe = rank(&info(DeviceType::Cpu, Backend::Vulkan));
        let llvmpipe_gl = rank(&info(DeviceType::Cpu, Backend::Gl));
        let discrete_gl = rank(&info(DeviceType::DiscreteGpu, Backend::Gl));
        let integrated = rank(&info(DeviceType::IntegratedGpu, Backend::Vulkan));
        assert!(lavapipe > llvmpipe_gl);
        assert!(discrete_gl > integrated && integrated > lavapipe);
        assert!(!is_hardware(&info(DeviceType::Cpu, Backend::Vulkan)));
    }
}
