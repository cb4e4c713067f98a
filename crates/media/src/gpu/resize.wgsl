// Batched resize: one invocation per output pixel, one z-slice of the dispatch per image.
// Where each output pixel reads and with what weight comes from per-axis tables computed on
// the host (see taps.rs): the shader only does the separable weighted sum, so the GPU's own
// float rounding cannot move a kernel edge.

struct Job {
    src_offset: u32, // byte offset of the first source pixel in `src`
    src_w: u32,
    src_h: u32,
    channels: u32,   // 1 (grey) or 3 (RGB)
    dst_offset: u32, // word offset of the first output pixel in `dst`
    dst_w: u32,
    dst_h: u32,
    x_table: u32,    // word offset of the x-axis table in `taps`
    y_table: u32,    // word offset of the y-axis table in `taps`
    x_stride: u32,   // words per output column: [first, count, weights…]
    y_stride: u32,   // words per output row
    pad: u32,
}

@group(0) @binding(0) var<storage, read> jobs: array<Job>;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;
@group(0) @binding(3) var<storage, read> taps: array<u32>;

fn src_byte(index: u32) -> f32 {
    let word = src[index >> 2u];
    return f32((word >> ((index & 3u) * 8u)) & 0xffu);
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let job = jobs[gid.z];
    if gid.x >= job.dst_w || gid.y >= job.dst_h {
        return;
    }
    let xt = job.x_table + gid.x * job.x_stride;
    let yt = job.y_table + gid.y * job.y_stride;
    let x0 = taps[xt];
    let xn = taps[xt + 1u];
    let y0 = taps[yt];
    let yn = taps[yt + 1u];
    let row_stride = job.src_w * job.channels;

    var acc = vec3<f32>(0.0);
    for (var j = 0u; j < yn; j++) {
        let wy = bitcast<f32>(taps[yt + 2u + j]);
        let row_start = job.src_offset + (y0 + j) * row_stride + x0 * job.channels;
        var row = vec3<f32>(0.0);
        for (var i = 0u; i < xn; i++) {
            let wx = bitcast<f32>(taps[xt + 2u + i]);
            let p = row_start + i * job.channels;
            if job.channels == 1u {
                row.x += wx * src_byte(p);
            } else {
                row += wx * vec3<f32>(src_byte(p), src_byte(p + 1u), src_byte(p + 2u));
            }
        }
        acc += wy * row;
    }
    let v = clamp(floor(acc + 0.5), vec3<f32>(0.0), vec3<f32>(255.0));
    let packed = u32(v.x) | (u32(v.y) << 8u) | (u32(v.z) << 16u);
    dst[job.dst_offset + gid.y * job.dst_w + gid.x] = packed;
}
