//! Optimizers behind one trait: SGD with momentum and AdamW, with live learning-rate edits and
//! state export/import for checkpoints.

use std::collections::HashMap;

use candle_core::backprop::GradStore;
use candle_core::{DType, Device, Tensor, Var};
use serde::{Deserialize, Serialize};

use crate::{HyperParams, TrainError};

/// Which optimizer a trainer uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    /// SGD with (PyTorch-style, undampened) momentum and coupled L2 weight decay.
    Sgd,
    /// AdamW (β = 0.9, 0.999; ε = 1e-8) with decoupled weight decay.
    AdamW,
}

impl OptimizerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OptimizerKind::Sgd => "sgd",
            OptimizerKind::AdamW => "adamw",
        }
    }
}

/// What the trainer needs from an optimizer.
pub trait Optimizer: Send {
    fn kind(&self) -> OptimizerKind;
    /// Applies one update from `grads` to the variables.
    fn step(&mut self, grads: &GradStore) -> Result<(), TrainError>;
    fn learning_rate(&self) -> f64;
    fn set_learning_rate(&mut self, lr: f64);
    /// Returns false when the optimizer has no momentum term (the value is ignored).
    fn set_momentum(&mut self, momentum: f64) -> bool;
    fn set_weight_decay(&mut self, weight_decay: f64);
    /// Copies of every state tensor, named for an `optimizer.safetensors` file.
    fn export_state(&self) -> Result<Vec<(String, Tensor)>, TrainError>;
    /// Checks that `state` has exactly the tensors `export_state` writes, with the right
    /// shapes and finite values. The message says what is wrong.
    fn check_state(&self, state: &HashMap<String, Tensor>) -> Result<(), String>;
    /// Replaces the state with `state`, all or nothing: nothing changes when the check fails.
    fn import_state(&mut self, state: &HashMap<String, Tensor>) -> Result<(), TrainError>;
}

/// Builds an optimizer of `kind` over `vars` with the learning rate, momentum and weight decay
/// of `hyper`.
pub fn build_optimizer(
    kind: OptimizerKind,
    vars: &[(String, Var)],
    hyper: &HyperParams,
) -> Result<Box<dyn Optimizer>, TrainError> {
    Ok(match kind {
        OptimizerKind::Sgd => Box::new(Sgd::new(
            vars,
            hyper.learning_rate,
            hyper.momentum,
            hyper.weight_decay,
        )?),
        OptimizerKind::AdamW => {
            Box::new(AdamW::new(vars, hyper.learning_rate, hyper.weight_decay)?)
        }
    })
}

/// One variable and a state buffer of the same shape.
struct Slot {
    name: String,
    var: Var,
    buffers: Vec<Var>,
}

fn slots(vars: &[(String, Var)], buffers: usize) -> Result<Vec<Slot>, TrainError> {
    vars.iter()
        .map(|(name, var)| {
            let buffers = (0..buffers)
                .map(|_| Var::zeros(var.shape(), var.dtype(), var.device()))
                .collect::<candle_core::Result<Vec<_>>>()?;
            Ok(Slot {
                name: name.clone(),
                var: var.clone(),
                buffers,
            })
        })
        .collect()
}

/// Checks one tensor of a state file against what the optimizer holds.
fn check_tensor(name: &str, found: &Tensor, want: &Var) -> Result<(), String> {
    if found.dtype() != DType::F32 {
        return Err(format!(
            "tensor {name} has dtype {:?}, expected F32",
            found.dtype()
        ));
    }
    if found.dims() != want.dims() {
        return Err(format!(
            "tensor {name} has shape {:?}, expected {:?}",
            found.dims(),
            want.dims()
        ));
    }
    let values = found
        .flatten_all()
        .and_then(|t| t.to_vec1::<f32>())
        .map_err(|e| format!("tensor {name} cannot be read: {e}"))?;
    if let Some(pos) = values.iter().position(|v| !v.is_finite()) {
        return Err(format!(
            "tensor {name} holds a non-finite value at element {pos}"
        ));
    }
    Ok(())
}

/// Checks that `state` holds exactly `expected` names (plus `extra` scalar names).
fn check_names<'a>(
    state: &HashMap<String, Tensor>,
    expected: impl Iterator<Item = &'a String>,
    extra: &[&str],
) -> Result<(), String> {
    let mut want: Vec<&str> = expected.map(String::as_str).collect();
    want.extend_from_slice(extra);
    if let Some(missing) = want.iter().find(|n| !state.contains_key(**n)) {
        return Err(format!("tensor {missing} is missing"));
    }
    let mut unknown: Vec<&String> = state
        .keys()
        .filter(|k| !want.contains(&k.as_str()))
        .collect();
    unknown.sort();
    if let Some(first) = unknown.first() {
        return Err(format!(
            "unexpected tensor {first}; this optimizer stores only: {}",
            want.join(", ")
        ));
    }
    Ok(())
}

fn set_all(pairs: &[(&Var, &Tensor)]) -> Result<(), TrainError> {
    for (var, value) in pairs {
        var.set(value)?;
    }
    Ok(())
}

/// SGD with momentum: `b = μ·b + (g + λ·θ)`, `θ -= lr·b` (PyTorch's rule with dampening 0;
/// a zero buffer makes the first step equal plain SGD, as there).
pub struct Sgd {
    slots: Vec<Slot>,
    lr: f64,
    momentum: f64,
    weight_decay: f64,
    names: Vec<String>,
}

impl Sgd {
    pub fn new(
        vars: &[(String, Var)],
        lr: f64,
        momentum: f64,
        weight_decay: f64,
    ) -> Result<Self, TrainError> {
        let slots = slots(vars, 1)?;
        let names = slots
            .iter()
            .map(|s| format!("momentum.{}", s.name))
            .collect();
        Ok(Self {
            slots,
            lr,
            momentum,
            weight_decay,
            names,
        })
    }

    pub fn momentum(&self) -> f64 {
        self.momentum
    }
}

impl Optimizer for Sgd {
    fn kind(&self) -> OptimizerKind {
        OptimizerKind::Sgd
    }

    fn step(&mut self, grads: &GradStore) -> Result<(), TrainError> {
        for slot in &self.slots {
            let Some(grad) = grads.get(slot.var.as_tensor()) else {
                continue;
            };
            let theta = slot.var.as_tensor();
            let grad = if self.weight_decay > 0.0 {
                (grad + (theta * self.weight_decay)?)?
            } else {
                grad.clone()
            };
            let update = match slot.buffers.first() {
                Some(buf) if self.momentum > 0.0 => {
                    let next = ((buf.as_tensor() * self.momentum)? + grad)?;
                    buf.set(&next)?;
                    next
                }
                _ => grad,
            };
            slot.var.set(&(theta - (update * self.lr)?)?)?;
        }
        Ok(())
    }

    fn learning_rate(&self) -> f64 {
        self.lr
    }

    fn set_learning_rate(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn set_momentum(&mut self, momentum: f64) -> bool {
        self.momentum = momentum;
        true
    }

    fn set_weight_decay(&mut self, weight_decay: f64) {
        self.weight_decay = weight_decay;
    }

    fn export_state(&self) -> Result<Vec<(String, Tensor)>, TrainError> {
        self.slots
            .iter()
            .zip(&self.names)
            .filter_map(|(slot, name)| slot.buffers.first().map(|b| (name, b)))
            .map(|(name, buf)| Ok((name.clone(), buf.as_tensor().copy()?)))
            .collect()
    }

    fn check_state(&self, state: &HashMap<String, Tensor>) -> Result<(), String> {
        check_names(state, self.names.iter(), &[])?;
        for (slot, name) in self.slots.iter().zip(&self.names) {
            let found = state
                .get(name)
                .ok_or_else(|| format!("tensor {name} is missing"))?;
            check_tensor(name, found, &slot.var)?;
        }
        Ok(())
    }

    fn import_state(&mut self, state: &HashMap<String, Tensor>) -> Result<(), TrainError> {
        self.check_state(state)
            .map_err(TrainError::InvalidArgument)?;
        let mut pairs = Vec::new();
        for (slot, name) in self.slots.iter().zip(&self.names) {
            if let (Some(buf), Some(value)) = (slot.buffers.first(), state.get(name)) {
                pairs.push((buf, value));
            }
        }
        set_all(&pairs)
    }
}

const ADAM_BETA1: f64 = 0.9;
const ADAM_BETA2: f64 = 0.999;
const ADAM_EPS: f64 = 1e-8;
const ADAM_STEP: &str = "step";

/// AdamW (Loshchilov & Hutter), the update candle-nn's `AdamW` performs, re-implemented
/// because candle-nn keeps its moment buffers private and checkpoints need them.
pub struct AdamW {
    slots: Vec<Slot>,
    lr: f64,
    weight_decay: f64,
    step_t: u64,
    m_names: Vec<String>,
    v_names: Vec<String>,
}

impl AdamW {
    pub fn new(vars: &[(String, Var)], lr: f64, weight_decay: f64) -> Result<Self, TrainError> {
        let slots = slots(vars, 2)?;
        let m_names = slots.iter().map(|s| format!("m.{}", s.name)).collect();
        let v_names = slots.iter().map(|s| format!("v.{}", s.name)).collect();
        Ok(Self {
            slots,
            lr,
            weight_decay,
            step_t: 0,
            m_names,
            v_names,
        })
    }

    /// Number of updates applied so far (drives the bias correction).
    pub fn step_count(&self) -> u64 {
        self.step_t
    }
}

impl Optimizer for AdamW {
    fn kind(&self) -> OptimizerKind {
        OptimizerKind::AdamW
    }

    fn step(&mut self, grads: &GradStore) -> Result<(), TrainError> {
        self.step_t += 1;
        let t = i32::try_from(self.step_t).unwrap_or(i32::MAX);
        let scale_m = 1.0 / (1.0 - ADAM_BETA1.powi(t));
        let scale_v = 1.0 / (1.0 - ADAM_BETA2.powi(t));
        let decay = 1.0 - self.lr * self.weight_decay;
        for slot in &self.slots {
            let Some(g) = grads.get(slot.var.as_tensor()) else {
                continue;
            };
            let (Some(m), Some(v)) = (slot.buffers.first(), slot.buffers.get(1)) else {
                continue;
            };
            let next_m = ((m.as_tensor() * ADAM_BETA1)? + (g * (1.0 - ADAM_BETA1))?)?;
            let next_v = ((v.as_tensor() * ADAM_BETA2)? + (g.sqr()? * (1.0 - ADAM_BETA2))?)?;
            let m_hat = (&next_m * scale_m)?;
            let v_hat = (&next_v * scale_v)?;
            let adjusted = (m_hat / (v_hat.sqrt()? + ADAM_EPS)?)?;
            let theta = ((slot.var.as_tensor() * decay)? - (adjusted * self.lr)?)?;
            m.set(&next_m)?;
            v.set(&next_v)?;
            slot.var.set(&theta)?;
        }
        Ok(())
    }

    fn learning_rate(&self) -> f64 {
        self.lr
    }

    fn set_learning_rate(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn set_momentum(&mut self, _momentum: f64) -> bool {
        false
    }

    fn set_weight_decay(&mut self, weight_decay: f64) {
        self.weight_decay = weight_decay;
    }

    fn export_state(&self) -> Result<Vec<(String, Tensor)>, TrainError> {
        let mut out = Vec::with_capacity(self.slots.len() * 2 + 1);
        for ((slot, m_name), v_name) in self.slots.iter().zip(&self.m_names).zip(&self.v_names) {
            if let (Some(m), Some(v)) = (slot.buffers.first(), slot.buffers.get(1)) {
                out.push((m_name.clone(), m.as_tensor().copy()?));
                out.push((v_name.clone(), v.as_tensor().copy()?));
            }
        }
        let step = i64::try_from(self.step_t).unwrap_or(i64::MAX);
        out.push((ADAM_STEP.to_owned(), Tensor::new(&[step], &Device::Cpu)?));
        Ok(out)
    }

    fn check_state(&self, state: &HashMap<String, Tensor>) -> Result<(), String> {
        check_names(
            state,
            self.m_names.iter().chain(&self.v_names),
            &[ADAM_STEP],
        )?;
        for ((slot, m_name), v_name) in self.slots.iter().zip(&self.m_names).zip(&self.v_names) {
            for name in [m_name, v_name] {
                let found = state
                    .get(name)
                    .ok_or_else(|| format!("tensor {name} is missing"))?;
                check_tensor(name, found, &slot.var)?;
            }
        }
        read_step(state).map(|_| ())
    }

    fn import_state(&mut self, state: &HashMap<String, Tensor>) -> Result<(), TrainError> {
        self.check_state(state)
            .map_err(TrainError::InvalidArgument)?;
        let step = read_step(state).map_err(TrainError::InvalidArgument)?;
        let mut pairs = Vec::new();
        for ((slot, m_name), v_name) in self.slots.iter().zip(&self.m_names).zip(&self.v_names) {
            if let (Some(m), Some(v), Some(mv), Some(vv)) = (
                slot.buffers.first(),
                slot.buffers.get(1),
                state.get(m_name),
                state.get(v_name),
            ) {
                pairs.push((m, mv));
                pairs.push((v, vv));
            }
        }
        set_all(&pairs)?;
        self.step_t = step;
        Ok(())
    }
}

fn read_step(state: &HashMap<String, Tensor>) -> Result<u64, String> {
    let t = state
        .get(ADAM_STEP)
        .ok_or_else(|| format!("tensor {ADAM_STEP} is missing"))?;
    if t.dtype() != DType::I64 || t.elem_count() != 1 {
        return Err(format!(
            "tensor {ADAM_STEP} must be one I64 value, found {:?} of shape {:?}",
            t.dtype(),
            t.dims()
        ));
    }
    let v = t
        .flatten_all()
        .and_then(|t| t.to_vec1::<i64>())
        .map_err(|e| format!("tensor {ADAM_STEP} cannot be read: {e}"))?;
    let step = v.first().copied().unwrap_or(-1);
    u64::try_from(step).map_err(|_| format!("tensor {ADAM_STEP} is negative ({step})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quadratic_vars() -> Vec<(String, Var)> {
        vec![(
            "w".to_owned(),
            Var::from_vec(vec![3f32, -2.0], 2, &Device::Cpu).unwrap(),
        )]
    }

    /// Loss = Σ w², minimum at 0.
    fn run(opt: &mut dyn Optimizer, vars: &[(String, Var)], steps: usize) -> f32 {
        for _ in 0..steps {
            let loss = vars[0].1.as_tensor().sqr().unwrap().sum_all().unwrap();
            let grads = loss.backward().unwrap();
            opt.step(&grads).unwrap();
        }
        vars[0]
            .1
            .as_tensor()
            .sqr()
            .unwrap()
            .sum_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap()
    }

    #[test]
    fn sgd_momentum_matches_the_hand_computed_rule() {
        let vars = quadratic_vars();
        let mut opt = Sgd::new(&vars, 0.1, 0.5, 0.0).unwrap();
        run(&mut opt, &vars, 2);
        // w0 = 3: g = 6, b = 6, w = 2.4; g = 4.8, b = 0.5*6 + 4.8 = 7.8, w = 2.4 - 0.78 = 1.62
        let w = vars[0].1.as_tensor().to_vec1::<f32>().unwrap();
        assert!((w[0] - 1.62).abs() < 1e-5, "{w:?}");
    }

    #[test]
    fn both_optimizers_minimise_a_quadratic() {
        for kind in [OptimizerKind::Sgd, OptimizerKind::AdamW] {
            let vars = quadratic_vars();
            let hyper = HyperParams {
                learning_rate: 0.05,
                ..HyperParams::default()
            };
            let mut opt = build_optimizer(kind, &vars, &hyper).unwrap();
            let end = run(opt.as_mut(), &vars, 300);
            assert!(end < 0.05, "{kind:?} ended at {end}");
        }
    }

    #[test]
    fn zero_learning_rate_freezes_the_weights() {
        for kind in [OptimizerKind::Sgd, OptimizerKind::AdamW] {
            let vars = quadratic_vars();
            let mut opt = build_optimizer(kind, &vars, &HyperParams::default()).unwrap();
            run(opt.as_mut(), &vars, 3);
            opt.set_learning_rate(0.0);
            let before = vars[0].1.as_tensor().to_vec1::<f32>().unwrap();
            run(opt.as_mut(), &vars, 3);
            let after = vars[0].1.as_tensor().to_vec1::<f32>().unwrap();
            assert_eq!(before, after, "{kind:?}");
        }
    }

    #[test]
    fn state_round_trips_and_resumes_identically() {
        for kind in [OptimizerKind::Sgd, OptimizerKind::AdamW] {
            let vars = quadratic_vars();
            let mut opt = build_optimizer(kind, &vars, &HyperParams::default()).unwrap();
            run(opt.as_mut(), &vars, 5);
            let state: HashMap<String, Tensor> = opt.export_state().unwrap().into_iter().collect();
            let saved_w = vars[0].1.as_tensor().copy().unwrap();
            run(opt.as_mut(), &vars, 3);
            let expected = vars[0].1.as_tensor().to_vec1::<f32>().unwrap();

            let vars2 = vec![("w".to_owned(), Var::from_tensor(&saved_w).unwrap())];
            let mut opt2 = build_optimizer(kind, &vars2, &HyperParams::default()).unwrap();
            opt2.import_state(&state).unwrap();
            run(opt2.as_mut(), &vars2, 3);
            let got = vars2[0].1.as_tensor().to_vec1::<f32>().unwrap();
            assert_eq!(expected, got, "{kind:?}");
        }
    }

    #[test]
    fn bad_state_is_rejected_without_change() {
        let vars = quadratic_vars();
        let mut opt = Sgd::new(&vars, 0.1, 0.9, 0.0).unwrap();
        run(&mut opt, &vars, 2);
        let before = opt.export_state().unwrap();
        let mut wrong_shape = HashMap::new();
        wrong_shape.insert(
            "momentum.w".to_owned(),
            Tensor::new(&[1f32, 2.0, 3.0], &Device::Cpu).unwrap(),
        );
        let err = opt.import_state(&wrong_shape).unwrap_err().to_string();
        assert!(err.contains("shape"), "{err}");
        let mut nan = HashMap::new();
        nan.insert(
            "momentum.w".to_owned(),
            Tensor::new(&[f32::NAN, 0.0], &Device::Cpu).unwrap(),
        );
        assert!(opt.import_state(&nan).is_err());
        let mut extra: HashMap<String, Tensor> = before.iter().cloned().collect();
        extra.insert(
            "m.w".to_owned(),
            Tensor::new(&[0f32, 0.0], &Device::Cpu).unwrap(),
        );
        assert!(opt.check_state(&extra).unwrap_err().contains("unexpected"));
        let after = opt.export_state().unwrap();
        assert_eq!(
            before[0].1.to_vec1::<f32>().unwrap(),
            after[0].1.to_vec1::<f32>().unwrap()
        );
    }
}
