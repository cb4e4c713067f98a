//! 2-d convolution as gather (im2col) + batched matmul. candle 0.11 computes the input
//! gradient of its own `conv2d` with a direct `conv_transpose2d` whose AVX helpers are not
//! inlined, which made a CNN step ~50x slower than its FLOPs; gather, matmul and their
//! backward passes (index-add, matmul) are all fast kernels.

use candle_core::{Device, Tensor};

use crate::TrainError;

/// A square-kernel convolution over inputs of one fixed spatial size.
#[derive(Debug, Clone)]
pub struct GatherConv2d {
    weight: Tensor,
    bias: Tensor,
    /// For each (input channel, ky, kx, output y, output x), the flat input position it reads,
    /// or `in_len` (a zero appended to every row) for padding; then one row of `in_len + 1`
    /// (a one appended to every row) that multiplies the bias column, so the bias add and its
    /// gradient ride along in the matmul instead of costing two passes over the output.
    index: Tensor,
    in_channels: usize,
    out_channels: usize,
    in_hw: (usize, usize),
    out_hw: (usize, usize),
    kernel: usize,
}

impl GatherConv2d {
    /// `weight` is `[out, in, k, k]`, `bias` `[out]`; inputs must be `[batch, in, h, w]`.
    pub fn new(
        weight: Tensor,
        bias: Tensor,
        in_hw: (usize, usize),
        stride: usize,
        padding: usize,
        device: &Device,
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
        let in_len = in_channels * h * w;
        let zero_slot = u32::try_from(in_len).map_err(|_| {
            TrainError::InvalidArgument(format!("input of {in_len} values is too large"))
        })?;
        let mut index = Vec::with_capacity(in_channels * kernel * kernel * out_hw.0 * out_hw.1);
        for c in 0..in_channels {
            for ky in 0..kernel {
                for kx in 0..kernel {
                    for oy in 0..out_hw.0 {
                        for ox in 0..out_hw.1 {
                            // Position in padded coordinates, shifted back to the input.
                            let y = (oy * stride + ky).checked_sub(padding).filter(|&y| y < h);
                            let x = (ox * stride + kx).checked_sub(padding).filter(|&x| x < w);
                            let src = match (y, x) {
                                (Some(y), Some(x)) => ((c * h + y) * w + x) as u32,
                                _ => zero_slot,
                            };
                            index.push(src);
                        }
                    }
                }
            }
        }
        index.extend(std::iter::repeat_n(zero_slot + 1, out_hw.0 * out_hw.1));
        let len = index.len();
        Ok(Self {
            weight,
            bias,
            index: Tensor::from_vec(index, len, device)?,
            in_channels,
            out_channels,
            in_hw,
            out_hw,
            kernel,
        })
    }

    /// `[batch, in, h, w]` → `[batch, out, out_h, out_w]`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor, TrainError> {
        let (b, c, h, w) = x.dims4()?;
        if c != self.in_channels || (h, w) != self.in_hw {
            return Err(TrainError::InvalidArgument(format!(
                "convolution built for [{}, {}, {}] inputs got [{c}, {h}, {w}]",
                self.in_channels, self.in_hw.0, self.in_hw.1
            )));
        }
        let flat = x.flatten_from(1)?;
        let zero_one = Tensor::new(&[0f32, 1.0], x.device())?.broadcast_as((b, 2))?;
        let flat = Tensor::cat(&[&flat, &zero_one], 1)?;
        let rows = self.in_channels * self.kernel * self.kernel + 1;
        let spatial = self.out_hw.0 * self.out_hw.1;
        let cols = flat
            .index_select(&self.index, 1)?
            .reshape((b, rows, spatial))?;
        let w = self.weight.reshape((self.out_channels, rows - 1))?;
        let wb = Tensor::cat(&[&w, &self.bias.reshape((self.out_channels, 1))?], 1)?;
        let out = wb.broadcast_left(b)?.matmul(&cols)?;
        Ok(out.reshape((b, self.out_channels, self.out_hw.0, self.out_hw.1))?)
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

    /// Forward values and weight/bias/input gradients match candle's own conv2d.
    #[test]
    fn matches_candle_conv2d_forward_and_backward() {
        let dev = Device::Cpu;
        for (c, o, h, w, stride, padding) in
            [(1, 4, 6, 5, 1, 1), (3, 2, 7, 7, 2, 0), (2, 3, 4, 4, 1, 2)]
        {
            let wdims = [o, c, 3, 3];
            let weight = Var::from_vec(rand(&wdims, 1), wdims.to_vec(), &dev).unwrap();
            let bias = Var::from_vec(rand(&[o], 2), o, &dev).unwrap();
            let x = Var::from_vec(rand(&[2, c, h, w], 3), (2, c, h, w), &dev).unwrap();
            let ours = GatherConv2d::new(
                weight.as_tensor().clone(),
                bias.as_tensor().clone(),
                (h, w),
                stride,
                padding,
                &dev,
            )
            .unwrap();
            let a = ours.forward(x.as_tensor()).unwrap();
            let b = x
                .as_tensor()
                .conv2d(weight.as_tensor(), padding, stride, 1, 1)
                .unwrap()
                .broadcast_add(&bias.as_tensor().reshape((1, o, 1, 1)).unwrap())
                .unwrap();
            assert_eq!(a.dims(), b.dims());
            assert!(max_diff(&a, &b) < 1e-4);
            // Weighted sums make every output position matter to the gradient.
            let probe = Tensor::from_vec(rand(a.dims(), 4), a.dims(), &dev).unwrap();
            let ga = (&a * &probe)
                .unwrap()
                .sum_all()
                .unwrap()
                .backward()
                .unwrap();
            let gb = (&b * &probe)
                .unwrap()
                .sum_all()
                .unwrap()
                .backward()
                .unwrap();
            for v in [&weight, &bias, &x] {
                let da = ga.get(v.as_tensor()).unwrap();
                let db = gb.get(v.as_tensor()).unwrap();
                assert!(max_diff(da, db) < 1e-3, "gradient mismatch");
            }
        }
    }

    #[test]
    fn wrong_input_size_is_rejected() {
        let dev = Device::Cpu;
        let conv = GatherConv2d::new(
            Tensor::zeros((2, 1, 3, 3), DType::F32, &dev).unwrap(),
            Tensor::zeros(2, DType::F32, &dev).unwrap(),
            (8, 8),
            1,
            1,
            &dev,
        )
        .unwrap();
        assert_eq!(conv.out_hw, (8, 8));
        let x = Tensor::zeros((1, 1, 9, 8), DType::F32, &dev).unwrap();
        assert!(matches!(
            conv.forward(&x),
            Err(TrainError::InvalidArgument(_))
        ));
    }
}
