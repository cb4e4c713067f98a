//! Fused 2×2 max-pool + ReLU as one candle custom op with a one-pass backward. candle's own
//! `max_pool2d` backward takes about eight full passes (upsample, compare, average, ...) over
//! the conv output, which dominated a CNN step.

use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Shape, Tensor};

use crate::TrainError;

/// `relu(max_pool2d(x, 2))` for `[B, C, H, W]` f32 input; odd trailing rows/columns are dropped
/// like `max_pool2d` does.
pub fn max_pool2_relu(x: &Tensor) -> Result<Tensor, TrainError> {
    if !x.device().is_cpu() {
        return Ok(x.max_pool2d(2)?.relu()?);
    }
    Ok(x.contiguous()?.apply_op1(PoolRelu)?)
}

struct PoolRelu;

/// Dims of a contiguous 4-d f32 tensor, and its values.
fn view<'a>(
    storage: &'a CpuStorage,
    layout: &Layout,
    op: &'static str,
) -> candle_core::Result<(&'a [f32], [usize; 4])> {
    let (b, c, h, w) = layout.shape().dims4()?;
    Ok((crate::conv::values(storage, layout, op)?, [b, c, h, w]))
}

/// Index (within one h×w plane) and value of the largest of the 2×2 window at (oy, ox);
/// the first one wins ties.
fn window_max(plane: &[f32], w: usize, oy: usize, ox: usize) -> (usize, f32) {
    let top = 2 * oy * w + 2 * ox;
    let mut best = (top, plane[top]);
    for pos in [top + 1, top + w, top + w + 1] {
        if plane[pos] > best.1 {
            best = (pos, plane[pos]);
        }
    }
    best
}

impl CustomOp1 for PoolRelu {
    fn name(&self) -> &'static str {
        "max-pool2-relu"
    }

    fn cpu_fwd(
        &self,
        storage: &CpuStorage,
        layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (x, [b, c, h, w]) = view(storage, layout, self.name())?;
        let (oh, ow) = (h / 2, w / 2);
        let mut out = Vec::with_capacity(b * c * oh * ow);
        for plane in x.chunks_exact(h * w) {
            for oy in 0..oh {
                for ox in 0..ow {
                    out.push(window_max(plane, w, oy, ox).1.max(0.0));
                }
            }
        }
        Ok((CpuStorage::F32(out), Shape::from((b, c, oh, ow))))
    }

    fn bwd(
        &self,
        arg: &Tensor,
        _res: &Tensor,
        grad_res: &Tensor,
    ) -> candle_core::Result<Option<Tensor>> {
        let grad = grad_res.contiguous()?;
        Ok(Some(arg.apply_op2_no_bwd(&grad, &PoolReluGrad)?))
    }
}

/// Routes each output gradient to the input that won its window, when that max was > 0.
struct PoolReluGrad;

impl CustomOp2 for PoolReluGrad {
    fn name(&self) -> &'static str {
        "max-pool2-relu-grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (x, [b, c, h, w]) = view(s1, l1, self.name())?;
        let (g, [_, _, oh, ow]) = view(s2, l2, self.name())?;
        let mut out = vec![0f32; b * c * h * w];
        for ((plane, grads), dst) in x
            .chunks_exact(h * w)
            .zip(g.chunks_exact(oh * ow))
            .zip(out.chunks_exact_mut(h * w))
        {
            for oy in 0..oh {
                for ox in 0..ow {
                    let (pos, max) = window_max(plane, w, oy, ox);
                    if max > 0.0 {
                        dst[pos] = grads[oy * ow + ox];
                    }
                }
            }
        }
        Ok((CpuStorage::F32(out), Shape::from((b, c, h, w))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    #[test]
    fn forward_matches_candle_pool_then_relu() {
        let dev = Device::Cpu;
        // Distinct values so there are no ties; odd width checks the dropped column.
        let vals: Vec<f32> = (0..2 * 3 * 6 * 5)
            .map(|i| ((i * 37 % 101) as f32 - 50.5) / 10.0)
            .collect();
        let x = Tensor::from_vec(vals, (2, 3, 6, 5), &dev).unwrap();
        let ours = max_pool2_relu(&x).unwrap();
        let theirs = x.max_pool2d(2).unwrap().relu().unwrap();
        assert_eq!(ours.dims(), &[2, 3, 3, 2]);
        assert_eq!(
            ours.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
            theirs.flatten_all().unwrap().to_vec1::<f32>().unwrap()
        );
    }

    /// The gradient goes, unscaled, to the element that won each window, and nowhere when
    /// the window's max was negative (PyTorch's rule; candle 0.11's own max-pool backward
    /// scales it by 1/4).
    #[test]
    fn backward_routes_to_the_window_winner() {
        let dev = Device::Cpu;
        #[rustfmt::skip]
        let vals = vec![
            1.0f32, 5.0, -1.0, -2.0, 9.0,
            2.0, 3.0, -3.0, -0.5, 9.0,
            0.0, 0.0, 4.0, 1.0, 9.0,
            7.0, 0.0, 2.0, 8.0, 9.0,
        ];
        let x = Var::from_vec(vals, (1, 1, 4, 5), &dev).unwrap();
        let y = max_pool2_relu(x.as_tensor()).unwrap();
        assert_eq!(
            y.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
            vec![5.0, 0.0, 7.0, 8.0]
        );
        let probe = Tensor::new(&[10f32, 20.0, 30.0, 40.0], &dev)
            .unwrap()
            .reshape((1, 1, 2, 2))
            .unwrap();
        let grads = (&y * &probe)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        let g = grads
            .get(x.as_tensor())
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        #[rustfmt::skip]
        let expected = vec![
            0.0f32, 10.0, 0.0, 0.0, 0.0,
            0.0, 0.0, 0.0, 0.0, 0.0,
            0.0, 0.0, 0.0, 0.0, 0.0,
            30.0, 0.0, 0.0, 40.0, 0.0,
        ];
        assert_eq!(g, expected);
    }
}
