//! The two built-in networks (MLP and small CNN): their layer tables, seeded initialisation,
//! forward passes with optional taps on layer outputs, and the architecture signature.

use candle_core::{Device, Module, Tensor, Var};
use candle_nn::{Linear, VarMap};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use weightslab_data::InputShape;

use crate::TrainError;
use crate::conv::Conv2d;
use crate::pool::max_pool2_relu;

/// Which network to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// in → 128 → 64 → classes, ReLU between layers. Works for images and vectors.
    Mlp,
    /// conv 8@3×3 + ReLU + pool2, conv 16@3×3 + ReLU + pool2, linear → 64 → classes.
    /// Needs image input at least 4×4.
    Cnn,
}

impl ModelKind {
    /// Lower-case name used in files and signatures.
    pub fn as_str(self) -> &'static str {
        match self {
            ModelKind::Mlp => "mlp",
            ModelKind::Cnn => "cnn",
        }
    }
}

/// The shape-defining part of one parameterised layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerKind {
    Conv2d {
        in_channels: usize,
        out_channels: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
    },
    Linear {
        in_features: usize,
        out_features: usize,
    },
}

/// One parameterised layer of a model and what the forward pass does around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerSpec {
    pub id: usize,
    pub name: String,
    pub kind: LayerKind,
    /// Output dims of one sample (`[C, H, W]` or `[features]`).
    pub output_dims: Vec<usize>,
    /// ReLU applied to the layer output before the next layer.
    pub relu: bool,
    /// 2×2 max-pool after the ReLU.
    pub pool: bool,
    /// Input is flattened to `[batch, features]` before this layer.
    pub flatten_before: bool,
}

impl LayerSpec {
    /// "Conv2d" or "Linear", the names the Studio shows.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            LayerKind::Conv2d { .. } => "Conv2d",
            LayerKind::Linear { .. } => "Linear",
        }
    }

    /// Number of output neurons (channels or features).
    pub fn neurons(&self) -> usize {
        match self.kind {
            LayerKind::Conv2d { out_channels, .. } => out_channels,
            LayerKind::Linear { out_features, .. } => out_features,
        }
    }

    /// Number of incoming neurons (channels or features).
    pub fn incoming(&self) -> usize {
        match self.kind {
            LayerKind::Conv2d { in_channels, .. } => in_channels,
            LayerKind::Linear { in_features, .. } => in_features,
        }
    }

    /// Shape of the weight tensor, PyTorch layout.
    pub fn weight_dims(&self) -> Vec<usize> {
        match self.kind {
            LayerKind::Conv2d {
                in_channels,
                out_channels,
                kernel,
                ..
            } => vec![out_channels, in_channels, kernel, kernel],
            LayerKind::Linear {
                in_features,
                out_features,
            } => vec![out_features, in_features],
        }
    }

    /// Weight elements feeding one output neuron.
    pub fn fan_in(&self) -> usize {
        self.weight_dims().iter().skip(1).product()
    }

    /// Weights plus biases.
    pub fn parameter_count(&self) -> usize {
        self.weight_dims().iter().product::<usize>() + self.neurons()
    }

    pub fn kernel_size(&self) -> Option<usize> {
        match self.kind {
            LayerKind::Conv2d { kernel, .. } => Some(kernel),
            LayerKind::Linear { .. } => None,
        }
    }

    pub fn stride(&self) -> Option<usize> {
        match self.kind {
            LayerKind::Conv2d { stride, .. } => Some(stride),
            LayerKind::Linear { .. } => None,
        }
    }

    pub fn weight_name(&self) -> String {
        format!("{}.weight", self.name)
    }

    pub fn bias_name(&self) -> String {
        format!("{}.bias", self.name)
    }

    fn signature(&self) -> String {
        let out = dims_text(&self.output_dims);
        match self.kind {
            LayerKind::Conv2d {
                in_channels,
                out_channels,
                kernel,
                stride,
                padding,
            } => format!(
                "{}:Conv2d({in_channels}->{out_channels},k{kernel},s{stride},p{padding})->{out}",
                self.name
            ),
            LayerKind::Linear {
                in_features,
                out_features,
            } => format!("{}:Linear({in_features}->{out_features})->{out}", self.name),
        }
    }
}

fn dims_text(dims: &[usize]) -> String {
    dims.iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join("x")
}

/// Lays out the layers of `kind` for the given input and class count.
pub fn layer_specs(
    kind: ModelKind,
    input: InputShape,
    num_classes: usize,
) -> Result<Vec<LayerSpec>, TrainError> {
    if num_classes < 2 {
        return Err(TrainError::InvalidArgument(format!(
            "the dataset has {num_classes} classes; classification needs at least 2"
        )));
    }
    if input.is_empty() {
        return Err(TrainError::InvalidArgument(
            "the dataset's input shape has no values; every sample needs at least one feature"
                .into(),
        ));
    }
    let linear = |id: usize, name: &str, i: usize, o: usize, last: bool, flatten: bool| LayerSpec {
        id,
        name: name.to_owned(),
        kind: LayerKind::Linear {
            in_features: i,
            out_features: o,
        },
        output_dims: vec![o],
        relu: !last,
        pool: false,
        flatten_before: flatten,
    };
    match kind {
        ModelKind::Mlp => {
            let flatten = matches!(input, InputShape::Image { .. });
            Ok(vec![
                linear(0, "fc1", input.len(), 128, false, flatten),
                linear(1, "fc2", 128, 64, false, false),
                linear(2, "fc3", 64, num_classes, true, false),
            ])
        }
        ModelKind::Cnn => {
            let InputShape::Image {
                channels,
                height,
                width,
            } = input
            else {
                return Err(TrainError::InvalidArgument(
                    "the CNN needs image input but this dataset has feature vectors; use the MLP"
                        .into(),
                ));
            };
            if height < 4 || width < 4 {
                return Err(TrainError::InvalidArgument(format!(
                    "the CNN needs images of at least 4x4 pixels (two 2x2 poolings); got {height}x{width}"
                )));
            }
            let conv = |id: usize, name: &str, i: usize, o: usize, h: usize, w: usize| LayerSpec {
                id,
                name: name.to_owned(),
                kind: LayerKind::Conv2d {
                    in_channels: i,
                    out_channels: o,
                    kernel: 3,
                    stride: 1,
                    padding: 1,
                },
                output_dims: vec![o, h, w],
                relu: true,
                pool: true,
                flatten_before: false,
            };
            let (h1, w1) = (height / 2, width / 2);
            let (h2, w2) = (h1 / 2, w1 / 2);
            Ok(vec![
                conv(0, "conv1", channels, 8, height, width),
                conv(1, "conv2", 8, 16, h1, w1),
                linear(2, "fc1", 16 * h2 * w2, 64, false, true),
                linear(3, "fc2", 64, num_classes, true, false),
            ])
        }
    }
}

/// Spatial size of the input a conv layer sees: the image, or the previous layer's output
/// after its pooling.
fn conv_input_hw(specs: &[LayerSpec], id: usize, input: InputShape) -> (usize, usize) {
    match id.checked_sub(1).and_then(|p| specs.get(p)) {
        Some(prev) => {
            let (h, w) = (
                prev.output_dims.get(1).copied().unwrap_or(1),
                prev.output_dims.get(2).copied().unwrap_or(1),
            );
            if prev.pool { (h / 2, w / 2) } else { (h, w) }
        }
        None => match input {
            InputShape::Image { height, width, .. } => (height, width),
            InputShape::Vector { .. } => (1, 1),
        },
    }
}

/// A parameterised layer with its live tensors (sharing storage with the `VarMap` vars).
#[derive(Debug, Clone)]
enum Op {
    Conv(Conv2d),
    Linear(Linear),
}

/// Which layer outputs a forward pass should hand back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tap {
    /// None: only the logits.
    None,
    /// Every layer's raw output (before its ReLU).
    All,
    /// Stop after this layer and return its raw output.
    Layer(usize),
}

/// A built model: layer table, weights in a `VarMap`, device. Clones share the weights.
#[derive(Clone)]
pub struct Model {
    kind: ModelKind,
    input: InputShape,
    num_classes: usize,
    specs: Vec<LayerSpec>,
    ops: Vec<Op>,
    vars: Vec<(String, Var)>,
    varmap: VarMap,
    device: Device,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("signature", &self.architecture_signature())
            .field("device", &self.device)
            .finish_non_exhaustive()
    }
}

impl Model {
    /// Builds `kind` for `input` and `num_classes` with weights drawn from `seed`
    /// (uniform ±1/√fan_in, PyTorch's default), so a seed reproduces the same start.
    pub fn new(
        kind: ModelKind,
        input: InputShape,
        num_classes: usize,
        seed: u64,
        device: &Device,
    ) -> Result<Self, TrainError> {
        let specs = layer_specs(kind, input, num_classes)?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let varmap = VarMap::new();
        let mut ops = Vec::with_capacity(specs.len());
        let mut vars = Vec::with_capacity(specs.len() * 2);
        for spec in &specs {
            let bound = 1.0 / (spec.fan_in() as f32).sqrt();
            let wdims = spec.weight_dims();
            let wlen: usize = wdims.iter().product();
            let wdata: Vec<f32> = (0..wlen).map(|_| rng.random_range(-bound..bound)).collect();
            let bdata: Vec<f32> = (0..spec.neurons())
                .map(|_| rng.random_range(-bound..bound))
                .collect();
            let weight = Var::from_vec(wdata, wdims, device)?;
            let bias = Var::from_vec(bdata, spec.neurons(), device)?;
            {
                let mut data = varmap.data().lock().map_err(|_| {
                    TrainError::InvalidArgument("the weight map lock is poisoned".into())
                })?;
                data.insert(spec.weight_name(), weight.clone());
                data.insert(spec.bias_name(), bias.clone());
            }
            let op = match spec.kind {
                LayerKind::Conv2d {
                    stride, padding, ..
                } => {
                    let in_hw = conv_input_hw(&specs, spec.id, input);
                    Op::Conv(Conv2d::new(
                        weight.as_tensor().clone(),
                        bias.as_tensor().clone(),
                        in_hw,
                        stride,
                        padding,
                    )?)
                }
                LayerKind::Linear { .. } => Op::Linear(Linear::new(
                    weight.as_tensor().clone(),
                    Some(bias.as_tensor().clone()),
                )),
            };
            ops.push(op);
            vars.push((spec.weight_name(), weight));
            vars.push((spec.bias_name(), bias));
        }
        Ok(Self {
            kind,
            input,
            num_classes,
            specs,
            ops,
            vars,
            varmap,
            device: device.clone(),
        })
    }

    pub fn kind(&self) -> ModelKind {
        self.kind
    }

    pub fn input_shape(&self) -> InputShape {
        self.input
    }

    pub fn num_classes(&self) -> usize {
        self.num_classes
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    pub fn layers(&self) -> &[LayerSpec] {
        &self.specs
    }

    /// The weights as a candle `VarMap` (names like `conv1.weight`).
    pub fn varmap(&self) -> &VarMap {
        &self.varmap
    }

    /// Named trainable variables in layer order (weight, bias, weight, bias, ...).
    pub fn named_vars(&self) -> &[(String, Var)] {
        &self.vars
    }

    /// The weight and bias vars of layer `id`.
    pub fn layer_vars(&self, id: usize) -> Option<(&Var, &Var)> {
        let w = self.vars.get(id * 2)?;
        let b = self.vars.get(id * 2 + 1)?;
        Some((&w.1, &b.1))
    }

    /// Total number of trainable values.
    pub fn parameter_count(&self) -> usize {
        self.specs.iter().map(LayerSpec::parameter_count).sum()
    }

    /// A stable description of the layers and shapes, e.g. for an experiment hash.
    pub fn architecture_signature(&self) -> String {
        let mut parts = vec![
            self.kind.as_str().to_owned(),
            format!("in={}", dims_text(&self.input.dims())),
            format!("classes={}", self.num_classes),
        ];
        parts.extend(self.specs.iter().map(LayerSpec::signature));
        parts.join("|")
    }

    /// Runs `x` (`[batch, *input dims]`) through the network. Returns the logits (unless the
    /// tap stops early, then the tapped output stands in for them) and the tapped outputs.
    pub fn forward(&self, x: &Tensor, tap: Tap) -> Result<(Tensor, Vec<Tensor>), TrainError> {
        let mut x = x.clone();
        let mut taps = Vec::new();
        for (spec, op) in self.specs.iter().zip(&self.ops) {
            if spec.flatten_before {
                x = x.flatten_from(1)?;
            }
            let out = match op {
                Op::Conv(c) => c.forward(&x)?,
                Op::Linear(l) => l.forward(&x)?,
            };
            match tap {
                Tap::All => taps.push(out.clone()),
                Tap::Layer(id) if id == spec.id => {
                    taps.push(out.clone());
                    return Ok((out, taps));
                }
                _ => {}
            }
            x = match (spec.pool, spec.relu) {
                (true, true) => max_pool2_relu(&out)?,
                (true, false) => out.max_pool2d(2)?,
                (false, true) => out.relu()?,
                (false, false) => out,
            };
        }
        Ok((x, taps))
    }

    /// Builds the input tensor for a batch of flat feature rows.
    pub fn batch_tensor(&self, features: Vec<f32>, batch: usize) -> Result<Tensor, TrainError> {
        let mut dims = vec![batch];
        dims.extend(self.input.dims());
        Ok(Tensor::from_vec(features, dims, &self.device)?)
    }

    /// Per-neuron fraction of outputs > 0 in a tapped layer output (`[B, C, ...]`).
    pub fn trigger_rates(output: &Tensor) -> Result<Vec<f32>, TrainError> {
        let dims = output.dims().to_vec();
        if dims.len() != 2 && dims.len() != 4 {
            return Err(TrainError::InvalidArgument(format!(
                "trigger rates need a 2-d or 4-d layer output, got {} dims",
                dims.len()
            )));
        }
        let channels = dims[1];
        let plane: usize = dims[2..].iter().product();
        // One pass on the host: a strided reduction over (0, 2, 3) in candle costs several
        // passes over the whole output, and this runs while training.
        let values = output.flatten_all()?.to_vec1::<f32>()?;
        let mut positive = vec![0usize; channels];
        if channels > 0 && plane > 0 {
            for sample in values.chunks_exact(channels * plane) {
                for (count, plane) in positive.iter_mut().zip(sample.chunks_exact(plane)) {
                    *count += plane.iter().filter(|v| **v > 0.0).count();
                }
            }
        }
        let count = (dims[0] * plane).max(1) as f32;
        Ok(positive.into_iter().map(|p| p as f32 / count).collect())
    }

    /// L2 norm of each output neuron's incoming weights (bias excluded).
    pub fn weight_norms(&self, id: usize) -> Result<Vec<f32>, TrainError> {
        let (w, _) = self.layer_vars(id).ok_or_else(|| TrainError::NotFound {
            what: format!("layer id {id}"),
            available: self.specs.iter().map(|s| s.id.to_string()).collect(),
        })?;
        let norms = w.as_tensor().flatten_from(1)?.sqr()?.sum(1)?.sqrt()?;
        Ok(norms.to_vec1::<f32>()?)
    }
}

/// The device models run on: CPU, or the first CUDA GPU when built with `cuda` and one exists.
pub fn default_device() -> Device {
    #[cfg(feature = "cuda")]
    {
        match Device::cuda_if_available(0) {
            Ok(d) => return d,
            Err(e) => tracing::warn!("CUDA device unavailable ({e}); training on the CPU"),
        }
    }
    Device::Cpu
}

#[cfg(test)]
mod tests {
    use super::*;

    fn img(c: usize, h: usize, w: usize) -> InputShape {
        InputShape::Image {
            channels: c,
            height: h,
            width: w,
        }
    }

    #[test]
    fn cnn_on_digits_has_the_documented_layers() {
        let specs = layer_specs(ModelKind::Cnn, img(1, 28, 28), 10).unwrap();
        let names: Vec<_> = specs.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["conv1", "conv2", "fc1", "fc2"]);
        assert_eq!(specs[0].parameter_count(), 8 * 9 + 8);
        assert_eq!(specs[1].parameter_count(), 16 * 8 * 9 + 16);
        assert_eq!(specs[2].incoming(), 16 * 7 * 7);
        assert_eq!(specs[3].neurons(), 10);
        assert_eq!(specs[1].output_dims, vec![16, 14, 14]);
    }

    #[test]
    fn cnn_rejects_vectors_and_tiny_images() {
        let v = layer_specs(ModelKind::Cnn, InputShape::Vector { features: 4 }, 2);
        assert!(matches!(v, Err(TrainError::InvalidArgument(_))));
        let small = layer_specs(ModelKind::Cnn, img(1, 3, 8), 2);
        assert!(matches!(small, Err(TrainError::InvalidArgument(_))));
        let one_class = layer_specs(ModelKind::Mlp, img(1, 8, 8), 1);
        assert!(matches!(one_class, Err(TrainError::InvalidArgument(_))));
    }

    #[test]
    fn same_seed_same_weights_and_shapes_match_specs() {
        let a = Model::new(ModelKind::Cnn, img(1, 8, 8), 3, 7, &Device::Cpu).unwrap();
        let b = Model::new(ModelKind::Cnn, img(1, 8, 8), 3, 7, &Device::Cpu).unwrap();
        let c = Model::new(ModelKind::Cnn, img(1, 8, 8), 3, 8, &Device::Cpu).unwrap();
        for ((name, va), ((_, vb), (_, vc))) in a
            .named_vars()
            .iter()
            .zip(b.named_vars().iter().zip(c.named_vars()))
        {
            let ta = va.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            let tb = vb.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            let tc = vc.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            assert_eq!(ta, tb, "{name}");
            assert_ne!(ta, tc, "{name}");
        }
        assert_eq!(a.varmap().all_vars().len(), 8);
    }

    #[test]
    fn forward_shapes_and_taps() {
        for kind in [ModelKind::Mlp, ModelKind::Cnn] {
            let m = Model::new(kind, img(1, 28, 28), 10, 1, &Device::Cpu).unwrap();
            let x = m.batch_tensor(vec![0.5; 5 * 784], 5).unwrap();
            let (logits, taps) = m.forward(&x, Tap::All).unwrap();
            assert_eq!(logits.dims(), &[5, 10]);
            assert_eq!(taps.len(), m.layers().len());
            for (t, spec) in taps.iter().zip(m.layers()) {
                assert_eq!(&t.dims()[1..], spec.output_dims.as_slice(), "{}", spec.name);
            }
            let (first, _) = m.forward(&x, Tap::Layer(0)).unwrap();
            assert_eq!(&first.dims()[1..], m.layers()[0].output_dims.as_slice());
        }
    }

    #[test]
    fn signature_is_stable_and_describes_shapes() {
        let m = Model::new(ModelKind::Cnn, img(1, 28, 28), 10, 1, &Device::Cpu).unwrap();
        assert_eq!(
            m.architecture_signature(),
            "cnn|in=1x28x28|classes=10|conv1:Conv2d(1->8,k3,s1,p1)->8x28x28|\
             conv2:Conv2d(8->16,k3,s1,p1)->16x14x14|fc1:Linear(784->64)->64|fc2:Linear(64->10)->10"
        );
    }

    #[test]
    fn trigger_rates_count_positive_outputs() {
        let t = Tensor::new(&[[1f32, -1.0], [2.0, 0.0]], &Device::Cpu).unwrap();
        assert_eq!(Model::trigger_rates(&t).unwrap(), vec![1.0, 0.0]);
        let t4 = Tensor::new(&[[[[1f32, -1.0]], [[0.0, 0.0]]]], &Device::Cpu).unwrap();
        assert_eq!(Model::trigger_rates(&t4).unwrap(), vec![0.5, 0.0]);
    }
}
