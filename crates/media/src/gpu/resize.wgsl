// Batched resize: one invocation per output pixel, one z-slice of the dispatch per image.
// Kernels and their placement follow fast_image_resize's convolution (box of radius 0.5 or tent
// of radius 1, both widened by the scale factor when shrinking, clipped at the border and
// renormalised) so the GPU and CPU paths agree to within rounding.

struct Job {
    src_offset: u32, // byte offset of the first source pixel in `src`
    src_w: u32,
    src_h: u32,
    channels: u32,   // 1 (grey) or 3 (RGB)
    dst_offset: u32, // word offset of the first output pixel in `dst`
    dst_w: u32,
    dst_h: u32,
    mode: u32,     // 0 = area (box), 1 = bilinear (tent)
}

@group(0) @binding(0) var<storage, read> jobs: array<Job>;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;

fn src_byte(index: u32) -> f32 {
    let word = src[index >> 2u];
    return f32((word >> ((index & 3u) * 8u)) & 0xffu);
}

fn kernel(mode: u32, x: f32) -> f32 {
    if mode == 0u {
        return select(0.0, 1.0, x > -0.5 && x <= 0.5);
    }
    return max(0.0, 1.0 - abs(x));
}

// The source span [first, last) that can touch output pixel `o`, and the values needed to
// weight each source pixel in it.
struct Axis {
    first: u32,
    last: u32,
    center: f32,     // source coordinate of the output pixel centre, minus 0.5
    inv_scale: f32,  // 1 / kernel widening factor
    norm: f32,       // 1 / sum of weights over the span
}

fn axis(mode: u32, o: u32, src_len: u32, dst_len: u32) -> Axis {
    let scale = f32(src_len) / f32(dst_len);
    let widen = max(scale, 1.0);
    let radius = select(0.5, 1.0, mode == 1u) * widen;
    let in_center = (f32(o) + 0.5) * scale;
    var a: Axis;
    a.first = u32(max(floor(in_center - radius), 0.0));
    a.last = u32(min(ceil(in_center + radius), f32(src_len)));
    a.center = in_center - 0.5;
    a.inv_scale = 1.0 / widen;
    var sum = 0.0;
    for (var i = a.first; i < a.last; i++) {
        sum += kernel(mode, (f32(i) - a.center) * a.inv_scale);
    }
    a.norm = select(0.0, 1.0 / sum, sum > 0.0);
    return a;
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let job = jobs[gid.z];
    if gid.x >= job.dst_w || gid.y >= job.dst_h {
        return;
    }
    let ax = axis(job.mode, gid.x, job.src_w, job.dst_w);
    let ay = axis(job.mode, gid.y, job.src_h, job.dst_h);
    let row_stride = job.src_w * job.channels;

    var acc = vec3<f32>(0.0);
    for (var y = ay.first; y < ay.last; y++) {
        let wy = kernel(job.mode, (f32(y) - ay.center) * ay.inv_scale);
        if wy == 0.0 {
            continue;
        }
        var row = vec3<f32>(0.0);
        let row_start = job.src_offset + y * row_stride;
        for (var x = ax.first; x < ax.last; x++) {
            let wx = kernel(job.mode, (f32(x) - ax.center) * ax.inv_scale);
            if wx == 0.0 {
                continue;
            }
            let p = row_start + x * job.channels;
            if job.channels == 1u {
                row.x += wx * src_byte(p);
            } else {
                row += wx * vec3<f32>(src_byte(p), src_byte(p + 1u), src_byte(p + 2u));
            }
        }
        acc += wy * row;
    }
    let v = clamp(floor(acc * (ax.norm * ay.norm) + 0.5), vec3<f32>(0.0), vec3<f32>(255.0));
    let packed = u32(v.x) | (u32(v.y) << 8u) | (u32(v.z) << 16u);
    dst[job.dst_offset + gid.y * job.dst_w + gid.x] = packed;
}
