//! The wgpu compute resize path: one device and pipeline chosen at start-up, and batched
//! resizes that pack a whole page of sources into one buffer and one dispatch.

mod adapter;
mod taps;

use std::sync::Arc;
use std::sync::mpsc;

use wgpu::util::DeviceExt;
use wgpu::{AdapterInfo, BufferUsages, ErrorFilter};

pub use adapter::{AdapterPolicy, describe as describe_adapter, is_hardware};

use crate::resize_cpu::{ResizeFilter, resize_cpu};
use crate::{Channels, MediaError, Raster};

/// Output pixels per workgroup side; matches `@workgroup_size(8, 8, 1)` in the shader.
const WORKGROUP_SIDE: u32 = 8;
/// Words per job descriptor; matches `struct Job` in the shader.
const JOB_WORDS: usize = 12;
/// Cap on one batch's buffers even where the device allows more: keeps host staging memory
/// bounded and every offset inside a `u32`.
const MAX_BATCH_BYTES: u64 = 1 << 30;

/// One resize in a batch: `src` to exactly `width` × `height`.
#[derive(Debug, Clone, Copy)]
pub struct ResizeJob<'a> {
    pub src: &'a Raster,
    pub width: u32,
    pub height: u32,
}

/// A GPU device ready to resize batches of images. Send + Sync: wgpu serialises access.
pub struct GpuResizer {
    device: wgpu::Device,
    queue: wgpu::Queue,
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
    info: AdapterInfo,
    /// Largest buffer one batch may bind (sources, or packed outputs).
    max_buffer: u64,
    /// Most images in one dispatch (the z dimension).
    max_images: usize,
}

impl std::fmt::Debug for GpuResizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuResizer")
            .field("adapter", &describe_adapter(&self.info))
            .finish()
    }
}

fn storage_entry(binding: u32, read_only: bool) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Storage { read_only },
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

impl GpuResizer {
    /// Opens the best adapter `policy` allows and compiles the resize shader on it.
    pub fn new(policy: AdapterPolicy) -> Result<GpuResizer, MediaError> {
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let adapter = adapter::choose(&instance, policy)?;
        let info = adapter.get_info();
        let limits = adapter.limits();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("weightslab-media"),
            required_features: wgpu::Features::empty(),
            required_limits: limits.clone(),
            experimental_features: Default::default(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: Default::default(),
        }))
        .map_err(|e| {
            MediaError::NoGpu(format!(
                "{} was found but no device could be opened on it: {e}",
                describe_adapter(&info)
            ))
        })?;
        // The default handler panics; a bad batch must not take the server down.
        device.on_uncaptured_error(Arc::new(|e| {
            tracing::error!(error = %e, "wgpu error outside an error scope");
        }));

        let scope = device.push_error_scope(ErrorFilter::Validation);
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("resize.wgsl"),
            source: wgpu::ShaderSource::Wgsl(include_str!("resize.wgsl").into()),
        });
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("resize bindings"),
            entries: &[
                storage_entry(0, true),
                storage_entry(1, true),
                storage_entry(2, false),
                storage_entry(3, true),
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("resize layout"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("resize"),
            layout: Some(&pipeline_layout),
            module: &module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(MediaError::Gpu(format!(
                "the resize shader was rejected on {}: {e}",
                describe_adapter(&info)
            )));
        }
        let max_buffer = limits
            .max_storage_buffer_binding_size
            .min(limits.max_buffer_size)
            .min(MAX_BATCH_BYTES);
        Ok(GpuResizer {
            device,
            queue,
            pipeline,
            layout,
            max_buffer,
            max_images: limits.max_compute_workgroups_per_dimension as usize,
            info,
        })
    }

    pub fn adapter_info(&self) -> &AdapterInfo {
        &self.info
    }

    /// Resizes every job; results in job order. Jobs are split into as few dispatches as the
    /// device limits allow (one for a page of thumbnails); a source too large for any buffer
    /// the device offers is resized on the CPU instead.
    pub fn resize_batch(&self, jobs: &[ResizeJob<'_>]) -> Result<Vec<Raster>, MediaError> {
        let mut out: Vec<Option<Raster>> = vec![None; jobs.len()];
        let mut batch: Vec<usize> = Vec::new();
        let (mut src_bytes, mut dst_bytes) = (0u64, 0u64);
        for (i, job) in jobs.iter().enumerate() {
            if job.width == 0 || job.height == 0 {
                return Err(MediaError::InvalidSize(format!(
                    "cannot resize to {}×{}; both sides must be ≥ 1",
                    job.width, job.height
                )));
            }
            if (job.width, job.height) == (job.src.width, job.src.height) {
                out[i] = Some(job.src.clone());
                continue;
            }
            let s = padded_len(job.src.pixels.len());
            let d = u64::from(job.width) * u64::from(job.height) * 4;
            if s > self.max_buffer || d > self.max_buffer {
                tracing::debug!(
                    bytes = s,
                    limit = self.max_buffer,
                    "source too large for one GPU buffer, resizing on the CPU"
                );
                out[i] = Some(resize_cpu(job.src, job.width, job.height)?);
                continue;
            }
            let full = src_bytes + s > self.max_buffer
                || dst_bytes + d > self.max_buffer
                || batch.len() == self.max_images;
            if full && !batch.is_empty() {
                self.dispatch(jobs, &batch, &mut out)?;
                batch.clear();
                (src_bytes, dst_bytes) = (0, 0);
            }
            batch.push(i);
            src_bytes += s;
            dst_bytes += d;
        }
        if !batch.is_empty() {
            self.dispatch(jobs, &batch, &mut out)?;
        }
        out.into_iter()
            .map(|r| r.ok_or_else(|| MediaError::Gpu("a batch entry was never filled".into())))
            .collect()
    }

    /// Runs one dispatch for `jobs[batch]` and stores the results in `out`.
    fn dispatch(
        &self,
        jobs: &[ResizeJob<'_>],
        batch: &[usize],
        out: &mut [Option<Raster>],
    ) -> Result<(), MediaError> {
        let mut descriptors: Vec<u32> = Vec::with_capacity(batch.len() * JOB_WORDS);
        let mut tables: Vec<u32> = Vec::new();
        let (mut src_len, mut dst_words) = (0u64, 0u64);
        let (mut max_w, mut max_h) = (0u32, 0u32);
        for &i in batch {
            let job = &jobs[i];
            let filter =
                ResizeFilter::for_sizes(job.src.width, job.src.height, job.width, job.height);
            let x = taps::axis_taps(job.src.width, job.width, filter);
            let y = taps::axis_taps(job.src.height, job.height, filter);
            let x_table = tables.len() as u32;
            tables.extend_from_slice(&x.words);
            let y_table = tables.len() as u32;
            tables.extend_from_slice(&y.words);
            // Offsets fit in u32: every batch is at most MAX_BATCH_BYTES.
            descriptors.extend_from_slice(&[
                src_len as u32,
                job.src.width,
                job.src.height,
                job.src.channels.count() as u32,
                dst_words as u32,
                job.width,
                job.height,
                x_table,
                y_table,
                x.stride,
                y.stride,
                0,
            ]);
            src_len += padded_len(job.src.pixels.len());
            dst_words += u64::from(job.width) * u64::from(job.height);
            max_w = max_w.max(job.width);
            max_h = max_h.max(job.height);
        }
        let dst_len = dst_words * 4;

        let scope = self.device.push_error_scope(ErrorFilter::Validation);
        let oom_scope = self.device.push_error_scope(ErrorFilter::OutOfMemory);
        let job_buf = self
            .device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("resize jobs"),
                contents: bytemuck::cast_slice(&descriptors),
                usage: BufferUsages::STORAGE,
            });
        let taps_buf = self
            .device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("resize taps"),
                contents: bytemuck::cast_slice(&tables),
                usage: BufferUsages::STORAGE,
            });
        let src_buf = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("resize sources"),
            size: src_len.max(4),
            usage: BufferUsages::STORAGE,
            mapped_at_creation: true,
        });
        {
            let mut view = src_buf
                .get_mapped_range_mut(..)
                .map_err(|e| MediaError::Gpu(format!("cannot map the source buffer: {e}")))?;
            let mut offset = 0usize;
            for &i in batch {
                let px = &jobs[i].src.pixels;
                view.slice(offset..offset + px.len()).copy_from_slice(px);
                offset += padded_len(px.len()) as usize;
            }
        }
        src_buf.unmap();
        let dst_buf = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("resize outputs"),
            size: dst_len,
            usage: BufferUsages::STORAGE | BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let readback = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("resize readback"),
            size: dst_len,
            usage: BufferUsages::MAP_READ | BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("resize bind group"),
            layout: &self.layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: job_buf.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: src_buf.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: dst_buf.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 3,
                    resource: taps_buf.as_entire_binding(),
                },
            ],
        });
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("resize"),
            });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("resize"),
                timestamp_writes: None,
            });
            pass.set_pipeline(&self.pipeline);
            pass.set_bind_group(0, &bind_group, &[]);
            pass.dispatch_workgroups(
                max_w.div_ceil(WORKGROUP_SIDE),
                max_h.div_ceil(WORKGROUP_SIDE),
                batch.len() as u32,
            );
        }
        encoder.copy_buffer_to_buffer(&dst_buf, 0, &readback, 0, dst_len);
        self.queue.submit([encoder.finish()]);

        let (tx, rx) = mpsc::channel();
        readback.map_async(wgpu::MapMode::Read, .., move |r| {
            // The receiver only goes away if this function already returned an error.
            let _ = tx.send(r);
        });
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| MediaError::Gpu(format!("waiting for the resize failed: {e}")))?;
        if let Some(e) = pollster::block_on(oom_scope.pop()) {
            return Err(MediaError::Gpu(format!("out of GPU memory: {e}")));
        }
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(MediaError::Gpu(format!("the resize was rejected: {e}")));
        }
        match rx.try_recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(MediaError::Gpu(format!("cannot read results back: {e}"))),
            Err(_) => return Err(MediaError::Gpu("the readback never completed".into())),
        }
        let view = readback
            .get_mapped_range(..)
            .map_err(|e| MediaError::Gpu(format!("cannot view the results: {e}")))?;
        let mut word = 0usize;
        for &i in batch {
            let job = &jobs[i];
            let n = job.width as usize * job.height as usize;
            let packed = &view[word * 4..(word + n) * 4];
            out[i] = Some(unpack(packed, job.width, job.height, job.src.channels)?);
            word += n;
        }
        drop(view);
        readback.unmap();
        Ok(())
    }
}

/// Source bytes rounded up to whole 32-bit words, as the shader reads them.
fn padded_len(len: usize) -> u64 {
    (len as u64).div_ceil(4) * 4
}

/// One 0x00BBGGRR word per pixel back to grey or RGB bytes.
fn unpack(
    packed: &[u8],
    width: u32,
    height: u32,
    channels: Channels,
) -> Result<Raster, MediaError> {
    let pixels: Vec<u8> = match channels {
        Channels::Gray => packed.chunks_exact(4).map(|p| p[0]).collect(),
        Channels::Rgb => packed
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect(),
    };
    Raster::new(width, height, channels, pixels.into()).map_err(MediaError::Gpu)
}

/// Resizes one image on the GPU (a batch of one); for tests and the bench.
pub fn resize_gpu(
    gpu: &GpuResizer,
    src: &Raster,
    width: u32,
    height: u32,
) -> Result<Raster, MediaError> {
    let mut out = gpu.resize_batch(&[ResizeJob { src, width, height }])?;
    out.pop()
        .ok_or_else(|| MediaError::Gpu("the batch returned no image".into()))
}

#[cfg(test)]
mod tests;
