//! Test fixtures: a two-blob synthetic image dataset and an observer that records everything.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use weightslab_data::{DataError, Dataset, ImageSource, InputShape};
use weightslab_train::{EvalReport, StepReport, TrainingObserver};

/// Two classes of 1×8×8 images: class 0 is bright on the left half, class 1 on the right,
/// both under noise that is large next to the signal. Separable, but not from a single pixel.
/// Pixels are computed from a hash of (seed, index, pixel) on demand, so even 20,000 samples
/// cost nothing to build.
pub struct Blobs {
    ids: Vec<String>,
    n_train: usize,
    seed: u64,
    classes: Vec<String>,
}

pub const SIDE: usize = 8;
pub const PIXELS: usize = SIDE * SIDE;

/// splitmix64: a tiny, well-mixed hash for reproducible noise.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Blobs {
    pub fn new(n_train: usize, n_val: usize, seed: u64) -> Self {
        Self {
            ids: (0..n_train + n_val).map(|i| format!("s{i}")).collect(),
            n_train,
            seed,
            classes: vec!["left".into(), "right".into()],
        }
    }

    pub fn indices(&self, origin: &str) -> Vec<u32> {
        (0..self.ids.len() as u32)
            .filter(|&i| self.origin(i as usize) == origin)
            .collect()
    }

    fn pixel(&self, index: usize, p: usize) -> f32 {
        let h = mix(self.seed ^ mix(index as u64 * PIXELS as u64 + p as u64));
        // Triangular noise in [-1.5, 1.5], std ≈ 0.61, against a ±0.5 signal.
        let u1 = (h & 0xFFFF) as f32 / 65535.0 - 0.5;
        let u2 = ((h >> 16) & 0xFFFF) as f32 / 65535.0 - 0.5;
        let left = p % SIDE < SIDE / 2;
        let lit = (self.label(index) == 0) == left;
        (if lit { 0.5 } else { -0.5 }) + 1.5 * (u1 + u2)
    }
}

impl Dataset for Blobs {
    fn name(&self) -> &str {
        "blobs"
    }
    fn len(&self) -> usize {
        self.ids.len()
    }
    fn sample_id(&self, index: usize) -> &str {
        &self.ids[index]
    }
    fn origin(&self, index: usize) -> &str {
        if index < self.n_train { "train" } else { "val" }
    }
    fn label(&self, index: usize) -> i64 {
        (index % 2) as i64
    }
    fn num_classes(&self) -> usize {
        2
    }
    fn class_names(&self) -> &[String] {
        &self.classes
    }
    fn input_shape(&self) -> InputShape {
        InputShape::Image {
            channels: 1,
            height: SIDE,
            width: SIDE,
        }
    }
    fn write_features(&self, index: usize, out: &mut [f32]) {
        for (p, v) in out.iter_mut().enumerate() {
            *v = self.pixel(index, p);
        }
    }
    fn image(&self, index: usize) -> Result<ImageSource, DataError> {
        let px: Vec<u8> = (0..PIXELS)
            .map(|p| ((self.pixel(index, p) + 2.0) * 60.0).clamp(0.0, 255.0) as u8)
            .collect();
        Ok(ImageSource::Gray8 {
            width: SIDE as u32,
            height: SIDE as u32,
            pixels: px.into(),
        })
    }
    fn task_type(&self) -> &str {
        "classification"
    }
}

/// Records every callback; the in-loop sets can be replaced at any time.
#[derive(Default)]
pub struct Recorder {
    pub train: Mutex<Arc<[u32]>>,
    pub val: Mutex<Arc<[u32]>>,
    pub steps: Mutex<Vec<StepReport>>,
    pub evals: Mutex<Vec<EvalReport>>,
    pub checkpoints_due: Mutex<Vec<u64>>,
}

impl Recorder {
    pub fn for_dataset(ds: &Blobs) -> Arc<Self> {
        let r = Self::default();
        *r.train.lock() = ds.indices("train").into();
        *r.val.lock() = ds.indices("val").into();
        Arc::new(r)
    }

    pub fn set_train(&self, indices: Vec<u32>) {
        *self.train.lock() = indices.into();
    }

    pub fn step_count(&self) -> usize {
        self.steps.lock().len()
    }
}

impl TrainingObserver for Recorder {
    fn in_loop(&self, origin: &str) -> Arc<[u32]> {
        match origin {
            "train" => Arc::clone(&self.train.lock()),
            "val" => Arc::clone(&self.val.lock()),
            _ => Arc::from(Vec::new()),
        }
    }
    fn on_step(&self, report: &StepReport) {
        self.steps.lock().push(report.clone());
    }
    fn on_evaluation(&self, report: &EvalReport) {
        self.evals.lock().push(report.clone());
    }
    fn on_checkpoint_due(&self, model_age: u64) {
        self.checkpoints_due.lock().push(model_age);
    }
}

/// Polls `cond` every millisecond until it holds; panics after `secs` seconds.
pub fn wait_for(what: &str, secs: u64, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Every weight of every layer as raw bits, for bit-for-bit comparisons.
pub fn weight_bits(h: &weightslab_train::TrainerHandle) -> Vec<Vec<u32>> {
    h.layers()
        .iter()
        .map(|l| {
            h.weights(weightslab_train::LayerRef::Id(l.id))
                .unwrap()
                .data
                .iter()
                .map(|f| f.to_bits())
                .collect()
        })
        .collect()
}
