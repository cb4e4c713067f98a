//! 2-d convolution for the CNN. On CPU it is one candle custom op with hand-written forward
//! and backward kernels (im2col by row copies, then multiply-adds over contiguous rows, the
//! batch split over candle's own worker pool, the inner loops compiled for the widest SIMD
//! the CPU has).
//! candle 0.11's own `conv2d` computes its input gradient with a direct `conv_transpose2d`
//! that made a CNN step many times slower than its FLOPs, and a gather + batched-matmul
//! formulation spends most of its time on per-sample tiny matmuls and index bookkeeping.
//! Other devices use candle's `conv2d`, whose GPU kernels are fine.

use candle_core::{CpuStorage, CustomOp2, CustomOp3, Device, Layout, Shape, Tensor};
use parking_lot::Mutex;

use crate::TrainError;

/// Shapes of one convolution: square kernel, one fixed input size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Geometry {
    in_channels: usize,
    out_channels: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
    in_hw: (usize, usize),
    out_hw: (usize, usize),
}

impl Geometry {
    /// Rows of the unfolded input: one per (input channel, ky, kx).
    fn patch(&self) -> usize {
        self.in_channels * self.kernel * self.kernel
    }

    /// Output positions per channel.
    fn spatial(&self) -> usize {
        self.out_hw.0 * self.out_hw.1
    }

    fn in_len(&self) -> usize {
        self.in_channels * self.in_hw.0 * self.in_hw.1
    }

    fn out_len(&self) -> usize {
        self.out_channels * self.spatial()
    }

    /// For kernel offset `k` along an axis: the output range whose input coordinate
    /// `o * stride + k - padding` lies inside `0..size`.
    fn valid_outputs(&self, k: usize, size: usize, out: usize) -> std::ops::Range<usize> {
        let (s, p) = (self.stride, self.padding);
        // First o with o*s + k >= p.
        let lo = p.saturating_sub(k).div_ceil(s);
        // Last o with o*s + k - p <= size - 1, i.e. o*s <= size - 1 + p - k.
        let hi = match (size + p).checked_sub(k + 1) {
            Some(top) => (top / s + 1).min(out),
            None => 0,
        };
        lo.min(hi)..hi
    }

    /// Unfolds one sample `[C, H, W]` into `cols` `[patch, spatial]`, zero where the window
    /// reads padding.
    #[inline(always)]
    fn unfold(&self, x: &[f32], cols: &mut [f32]) {
        let (h, w) = self.in_hw;
        let (oh, ow) = self.out_hw;
        let mut rows = cols.chunks_exact_mut(oh * ow);
        for plane in x.chunks_exact(h * w) {
            for ky in 0..self.kernel {
                let ys = self.valid_outputs(ky, h, oh);
                for kx in 0..self.kernel {
                    let xs = self.valid_outputs(kx, w, ow);
                    let Some(row) = rows.next() else { return };
                    for (oy, dst) in row.chunks_exact_mut(ow).enumerate() {
                        if !ys.contains(&oy) || xs.is_empty() {
                            dst.fill(0.0);
                            continue;
                        }
                        let y = oy * self.stride + ky - self.padding;
                        let src = &plane[y * w..(y + 1) * w];
                        dst[..xs.start].fill(0.0);
                        dst[xs.end..].fill(0.0);
                        let first = xs.start * self.stride + kx - self.padding;
                        if self.stride == 1 {
                            dst[xs.clone()].copy_from_slice(&src[first..first + xs.len()]);
                        } else {
                            for (i, d) in dst[xs.clone()].iter_mut().enumerate() {
                                *d = src[first + i * self.stride];
                            }
                        }
                    }
                }
            }
        }
    }

    /// The adjoint of `unfold`: adds `cols` `[patch, spatial]` back into one sample's
    /// `[C, H, W]` gradient.
    #[inline(always)]
    fn fold_add(&self, cols: &[f32], dx: &mut [f32]) {
        let (h, w) = self.in_hw;
        let (oh, ow) = self.out_hw;
        let mut rows = cols.chunks_exact(oh * ow);
        for plane in dx.chunks_exact_mut(h * w) {
            for ky in 0..self.kernel {
                let ys = self.valid_outputs(ky, h, oh);
                for kx in 0..self.kernel {
                    let xs = self.valid_outputs(kx, w, ow);
                    let Some(row) = rows.next() else { return };
                    if xs.is_empty() {
                        continue;
                    }
                    for oy in ys.clone() {
                        let y = oy * self.stride + ky - self.padding;
                        let src = &row[oy * ow + xs.start..oy * ow + xs.end];
                        let dst = &mut plane[y * w..(y + 1) * w];
                        let first = xs.start * self.stride + kx - self.padding;
                        if self.stride == 1 {
                            add(&mut dst[first..first + src.len()], src);
                        } else {
                            for (i, v) in src.iter().enumerate() {
                                dst[first + i * self.stride] += v;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `dst += src`.
#[inline(always)]
fn add(dst: &mut [f32], src: &[f32]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d += s;
    }
}

/// `dst += a * src`.
#[inline(always)]
fn axpy(dst: &mut [f32], a: f32, src: &[f32]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d += a * s;
    }
}

/// Dot product with eight independent partial sums, so it vectorises without reassociating
/// one running sum.
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a8
        .remainder()
        .iter()
        .zip(b8.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a8.zip(b8) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Runs a kernel compiled for the best instruction set the CPU offers (AVX2 / AVX-512 / NEON
/// when present): its `with_simd` and the helpers above are `inline(always)`, so the loops
/// vectorise at that width.
#[inline(always)]
fn widest<K: pulp::WithSimd>(kernel: K) -> K::Output {
    pulp::Arch::new().dispatch(kernel)
}

/// Fills `out` (`len` values per sample) sample by sample on candle's own worker pool (the
/// one its matmuls use, so no second set of threads competes with it): `work(b, scratch,
/// out_b)` gets sample `b`'s slice and a per-thread scratch buffer of `scratch` values.
fn for_each_sample(
    out: &mut [f32],
    len: usize,
    scratch: usize,
    work: impl Fn(usize, &mut [f32], &mut [f32]) + Sync,
) {
    let batch = out.len() / len.max(1);
    let slots: Vec<Mutex<&mut [f32]>> = out.chunks_exact_mut(len).map(Mutex::new).collect();
    candle_core::utils::barrier_pool().execute_chunked(batch, |samples| {
        let mut buffer = vec![0f32; scratch];
        for b in samples {
            work(b, &mut buffer, &mut slots[b].lock());
        }
    });
}

/// The values of a contiguous f32 tensor argument.
pub(crate) fn values<'a>(
    storage: &'a CpuStorage,
    layout: &Layout,
    op: &'static str,
) -> candle_core::Result<&'a [f32]> {
    let data = storage.as_slice::<f32>()?;
    let (start, end) = layout
        .contiguous_offsets()
        .ok_or(candle_core::Error::RequiresContiguous { op })?;
    Ok(&data[start..end])
}

/// `out = weight · unfold(x) + bias` for one sample.
struct ForwardSample<'a> {
    g: Geometry,
    x: &'a [f32],
    weight: &'a [f32],
    bias: &'a [f32],
    cols: &'a mut [f32],
    out: &'a mut [f32],
}

impl pulp::WithSimd for ForwardSample<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        let (patch, spatial) = (self.g.patch(), self.g.spatial());
        self.g.unfold(self.x, self.cols);
        for ((row, w), b) in self
            .out
            .chunks_exact_mut(spatial)
            .zip(self.weight.chunks_exact(patch))
            .zip(self.bias)
        {
            row.fill(*b);
            for (&a, src) in w.iter().zip(self.cols.chunks_exact(spatial)) {
                axpy(row, a, src);
            }
        }
    }
}

/// Adds one sample's weight gradient `grad · unfold(x)ᵀ` and bias gradient to `acc`.
struct ParamGradSample<'a> {
    g: Geometry,
    x: &'a [f32],
    grad: &'a [f32],
    cols: &'a mut [f32],
    acc: &'a mut [f32],
}

impl pulp::WithSimd for ParamGradSample<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        let (patch, spatial) = (self.g.patch(), self.g.spatial());
        self.g.unfold(self.x, self.cols);
        let (dw, db) = self.acc.split_at_mut(self.g.out_channels * patch);
        for ((dw, db), go) in dw
            .chunks_exact_mut(patch)
            .zip(db.iter_mut())
            .zip(self.grad.chunks_exact(spatial))
        {
            for (d, col) in dw.iter_mut().zip(self.cols.chunks_exact(spatial)) {
                *d += dot(go, col);
            }
            *db += go.iter().sum::<f32>();
        }
    }
}

/// One sample's input gradient: `fold(weightᵀ · grad)`.
struct InputGradSample<'a> {
    g: Geometry,
    weight: &'a [f32],
    grad: &'a [f32],
    cols: &'a mut [f32],
    dx: &'a mut [f32],
}

impl pulp::WithSimd for InputGradSample<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        let (patch, spatial) = (self.g.patch(), self.g.spatial());
        self.cols.fill(0.0);
        for (w, go) in self
            .weight
            .chunks_exact(patch)
            .zip(self.grad.chunks_exact(spatial))
        {
            for (&a, col) in w.iter().zip(self.cols.chunks_exact_mut(spatial)) {
                axpy(col, a, go);
            }
        }
        self.g.fold_add(self.cols, self.dx);
    }
}

/// Forward: `(x [B, C, H, W], weight [O, C, k, k], bias [O]) → [B, O, OH, OW]`.
struct ConvForward(Geometry);

impl CustomOp3 for ConvForward {
    fn name(&self) -> &'static str {
        "conv2d-cpu"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let g = self.0;
        let x = values(s1, l1, self.name())?;
        let weight = values(s2, l2, self.name())?;
        let bias = values(s3, l3, self.name())?;
        let batch = x.len() / g.in_len();
        let mut out = vec![0f32; batch * g.out_len()];
        for_each_sample(
            &mut out,
            g.out_len(),
            g.patch() * g.spatial(),
            |b, cols, out| {
                widest(ForwardSample {
                    g,
                    x: &x[b * g.in_len()..(b + 1) * g.in_len()],
                    weight,
                    bias,
                    cols,
                    out,
                })
            },
        );
        let (oh, ow) = g.out_hw;
        Ok((
            CpuStorage::F32(out),
            Shape::from((batch, g.out_channels, oh, ow)),
        ))
    }

    fn bwd(
        &self,
        x: &Tensor,
        weight: &Tensor,
        _bias: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let g = self.0;
        let grad = grad.contiguous()?;
        let params = x.apply_op2_no_bwd(&grad, &ConvParamGrad(g))?;
        let weight_len = g.out_channels * g.patch();
        let dw = params.narrow(0, 0, weight_len)?.reshape(weight.shape())?;
        let db = params.narrow(0, weight_len, g.out_channels)?;
        // The input gradient costs as much as the forward pass; skip it for the data.
        let dx = if x.track_op() {
            Some(weight.apply_op2_no_bwd(&grad, &ConvInputGrad(g))?)
        } else {
            None
        };
        Ok((dx, Some(dw), Some(db)))
    }
}

/// `(x, grad [B, O, OH, OW]) → [weight grad (O·patch values) ‖ bias grad (O values)]`.
struct ConvParamGrad(Geometry);

impl CustomOp2 for ConvParamGrad {
    fn name(&self) -> &'static str {
        "conv2d-cpu-param-grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let g = self.0;
        let x = values(s1, l1, self.name())?;
        let grad = values(s2, l2, self.name())?;
        let batch = x.len() / g.in_len();
        let len = g.out_channels * (g.patch() + 1);
        // One partial sum per sample, added up in sample order afterwards: the result does
        // not depend on how the pool split the batch, so a restored run repeats bit for bit.
        let mut partials = vec![0f32; batch * len];
        for_each_sample(
            &mut partials,
            len,
            g.patch() * g.spatial(),
            |b, cols, acc| {
                widest(ParamGradSample {
                    g,
                    x: &x[b * g.in_len()..(b + 1) * g.in_len()],
                    grad: &grad[b * g.out_len()..(b + 1) * g.out_len()],
                    cols,
                    acc,
                })
            },
        );
        let mut total = vec![0f32; len];
        for partial in partials.chunks_exact(len) {
            add(&mut total, partial);
        }
        Ok((CpuStorage::F32(total), Shape::from(len)))
    }
}

/// `(weight, grad [B, O, OH, OW]) → input grad [B, C, H, W]`.
struct ConvInputGrad(Geometry);

impl CustomOp2 for ConvInputGrad {
    fn name(&self) -> &'static str {
        "conv2d-cpu-input-grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let g = self.0;
        let weight = values(s1, l1, self.name())?;
        let grad = values(s2, l2, self.name())?;
        let batch = grad.len() / g.out_len();
        let mut dx = vec![0f32; batch * g.in_len()];
        for_each_sample(
            &mut dx,
            g.in_len(),
            g.patch() * g.spatial(),
            |b, cols, dx| {
                widest(InputGradSample {
                    g,
                    weight,
                    grad: &grad[b * g.out_len()..(b + 1) * g.out_len()],
                    cols,
                    dx,
                })
            },
        );
        let (h, w) = g.in_hw;
        Ok((
            CpuStorage::F32(dx),
            Shape::from((batch, g.in_channels, h, w)),
        ))
    }
}

/// A square-kernel convolution over inputs of one fixed spatial size.
#[derive(Debug, Clone)]
pub struct Conv2d {
    weight: Tensor,
    bias: Tensor,
    geometry: Geometry,
}

impl Conv2d {
    /// `weight` is `[out, in, k, k]`, `bias` `[out]`; inputs must be `[batch, in, h, w]`.
    pub fn new(
        weight: Tensor,
        bias: Tensor,
        in_hw: (usize, usize),
        stride: usize,
        padding: usize,
    ) -> Result<Self, TrainError> {
        let (out_channels, in_channels, kernel, kernel_w) = weight.dims4()?;
        if kernel != kernel_w || stride == 0 {
            return Err(TrainError::InvalidArgument(format!(
                "convolution needs a square kernel and stride >= 1, got {kernel}x{kernel_w} stride {stride}"
            )));
        }
        let (h, w) = in_hw;
        let (hp, wp) = (h + 2 * padding, w + 2 * padding);
        if hp < kernel || wp < kernel {
            return Err(TrainError::InvalidArgument(format!(
                "a {kernel}x{kernel} kernel does not fit a {h}x{w} input with padding {padding}"
            )));
        }
        let out_hw = ((hp - kernel) / stride + 1, (wp - kernel) / stride + 1);
        Ok(Self {
            weight,
            bias,
            geometry: Geometry {
                in_channels,
                out_channels,
                kernel,
                stride,
                padding,
                in_hw,
                out_hw,
            },
        })
    }

    /// `[batch, in, h, w]` → `[batch, out, out_h, out_w]`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor, TrainError> {
        let g = self.geometry;
        let (_, c, h, w) = x.dims4()?;
        if c != g.in_channels || (h, w) != g.in_hw {
            return Err(TrainError::InvalidArgument(format!(
                "convolution built for [{}, {}, {}] inputs got [{c}, {h}, {w}]",
                g.in_channels, g.in_hw.0, g.in_hw.1
            )));
        }
        if matches!(x.device(), Device::Cpu) {
            let x = x.contiguous()?;
            return Ok(x.apply_op3(&self.weight, &self.bias, ConvForward(g))?);
        }
        let out = x.conv2d(&self.weight, g.padding, g.stride, 1, 1)?;
        Ok(out.broadcast_add(&self.bias.reshape((1, g.out_channels, 1, 1))?)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Var};

    fn rand(dims: &[usize], seed: u64) -> Vec<f32> {
        let n: usize = dims.iter().product();
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s % 2000) as f32 / 1000.0 - 1.0
            })
            .collect()
    }

    fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
        let a = a.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let b = b.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(a.len(), b.len());
        a.iter()
            .zip(&b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max)
    }

    /// Direct loops: forward output, and the weight, bias and input gradients of
    /// `sum(out * probe)`. The reference the op is checked against.
    #[allow(clippy::too_many_arguments)]
    fn reference(
        x: &[f32],
        w: &[f32],
        bias: &[f32],
        probe: &[f32],
        (batch, c, h, wd): (usize, usize, usize, usize),
        (o, k): (usize, usize),
        (stride, padding): (usize, usize),
        (oh, ow): (usize, usize),
    ) -> [Vec<f32>; 4] {
        let mut out = vec![0f32; batch * o * oh * ow];
        let mut dw = vec![0f32; w.len()];
        let mut db = vec![0f32; o];
        let mut dx = vec![0f32; x.len()];
        for b in 0..batch {
            for oc in 0..o {
                for oy in 0..oh {
                    for ox in 0..ow {
                        let oi = ((b * o + oc) * oh + oy) * ow + ox;
                        let mut acc = bias[oc];
                        db[oc] += probe[oi];
                        for ic in 0..c {
                            for ky in 0..k {
                                for kx in 0..k {
                                    let y = (oy * stride + ky) as isize - padding as isize;
                                    let xx = (ox * stride + kx) as isize - padding as isize;
                                    if y < 0 || xx < 0 || y >= h as isize || xx >= wd as isize {
                                        continue;
                                    }
                                    let xi = ((b * c + ic) * h + y as usize) * wd + xx as usize;
                                    let wi = ((oc * c + ic) * k + ky) * k + kx;
                                    acc += w[wi] * x[xi];
                                    dw[wi] += probe[oi] * x[xi];
                                    dx[xi] += probe[oi] * w[wi];
                                }
                            }
                        }
                        out[oi] = acc;
                    }
                }
            }
        }
        [out, dw, db, dx]
    }

    fn max_diff_vec(a: &Tensor, b: &[f32]) -> f32 {
        let a = a.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(a.len(), b.len());
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max)
    }

    /// Forward values match candle's own conv2d, and forward and weight/bias/input gradients
    /// match direct loops, over strides, paddings wider than the kernel reach, odd sizes and
    /// batches the pool threads split. (candle's own conv2d backward gets the input gradient's
    /// shape wrong for strided convolutions of some sizes, so it cannot be the reference.)
    #[test]
    fn matches_direct_loops_forward_and_backward() {
        let dev = Device::Cpu;
        for (batch, c, o, h, w, k, stride, padding) in [
            (2, 1, 4, 6, 5, 3, 1, 1),
            (3, 3, 2, 7, 7, 3, 2, 0),
            (2, 2, 3, 4, 4, 3, 1, 2),
            (5, 2, 3, 9, 8, 3, 2, 1),
            (4, 3, 5, 5, 6, 1, 1, 0),
            (1, 1, 2, 4, 4, 3, 3, 2),
            (7, 8, 16, 14, 14, 3, 1, 1),
        ] {
            let case = (batch, c, o, h, w, k, stride, padding);
            let wdims = [o, c, k, k];
            let (wv, bv, xv) = (rand(&wdims, 1), rand(&[o], 2), rand(&[batch, c, h, w], 3));
            let weight = Var::from_vec(wv.clone(), wdims.to_vec(), &dev).unwrap();
            let bias = Var::from_vec(bv.clone(), o, &dev).unwrap();
            let x = Var::from_vec(xv.clone(), (batch, c, h, w), &dev).unwrap();
            let ours = Conv2d::new(
                weight.as_tensor().clone(),
                bias.as_tensor().clone(),
                (h, w),
                stride,
                padding,
            )
            .unwrap();
            let a = ours.forward(x.as_tensor()).unwrap();
            let theirs = x
                .as_tensor()
                .conv2d(weight.as_tensor(), padding, stride, 1, 1)
                .unwrap()
                .broadcast_add(&bias.as_tensor().reshape((1, o, 1, 1)).unwrap())
                .unwrap();
            assert_eq!(a.dims(), theirs.dims());
            assert!(max_diff(&a, &theirs) < 1e-4, "forward mismatch {case:?}");
            let (_, _, oh, ow) = a.dims4().unwrap();
            let probe = rand(a.dims(), 4);
            let [out, dw, db, dx] = reference(
                &xv,
                &wv,
                &bv,
                &probe,
                (batch, c, h, w),
                (o, k),
                (stride, padding),
                (oh, ow),
            );
            assert!(max_diff_vec(&a, &out) < 1e-4, "forward mismatch {case:?}");
            let probe = Tensor::from_vec(probe, a.dims(), &dev).unwrap();
            let grads = (&a * &probe)
                .unwrap()
                .sum_all()
                .unwrap()
                .backward()
                .unwrap();
            for (v, expected) in [(&weight, &dw), (&bias, &db), (&x, &dx)] {
                let got = grads.get(v.as_tensor()).unwrap();
                assert_eq!(got.dims(), v.as_tensor().dims());
                assert!(
                    max_diff_vec(got, expected) < 1e-3,
                    "gradient mismatch for case {case:?}"
                );
            }
        }
    }

    /// Data inputs (not variables) get no gradient computed.
    #[test]
    fn no_input_gradient_for_data() {
        let dev = Device::Cpu;
        let weight = Var::from_vec(rand(&[2, 1, 3, 3], 1), (2, 1, 3, 3), &dev).unwrap();
        let bias = Var::from_vec(rand(&[2], 2), 2, &dev).unwrap();
        let x = Tensor::from_vec(rand(&[2, 1, 5, 5], 3), (2, 1, 5, 5), &dev).unwrap();
        let conv = Conv2d::new(
            weight.as_tensor().clone(),
            bias.as_tensor().clone(),
            (5, 5),
            1,
            1,
        )
        .unwrap();
        let grads = conv
            .forward(&x)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        assert!(grads.get(&x).is_none());
        assert!(grads.get(weight.as_tensor()).is_some());
        assert!(grads.get(bias.as_tensor()).is_some());
    }

    #[test]
    fn wrong_input_size_is_rejected() {
        let dev = Device::Cpu;
        let conv = Conv2d::new(
            Tensor::zeros((2, 1, 3, 3), DType::F32, &dev).unwrap(),
            Tensor::zeros(2, DType::F32, &dev).unwrap(),
            (8, 8),
            1,
            1,
        )
        .unwrap();
        assert_eq!(conv.geometry.out_hw, (8, 8));
        let x = Tensor::zeros((1, 1, 9, 8), DType::F32, &dev).unwrap();
        assert!(matches!(
            conv.forward(&x),
            Err(TrainError::InvalidArgument(_))
        ));
    }

    #[test]
    fn valid_output_ranges() {
        let g = Geometry {
            in_channels: 1,
            out_channels: 1,
            kernel: 3,
            stride: 1,
            padding: 1,
            in_hw: (5, 5),
            out_hw: (5, 5),
        };
        assert_eq!(g.valid_outputs(0, 5, 5), 1..5);
        assert_eq!(g.valid_outputs(1, 5, 5), 0..5);
        assert_eq!(g.valid_outputs(2, 5, 5), 0..4);
    }
}
