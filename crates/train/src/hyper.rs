//! Hyperparameters: the values the Studio can edit mid-run, their defaults and their validation.

use serde::{Deserialize, Serialize};

use crate::TrainError;

/// Largest batch the trainer accepts; bigger batches would stall the trainer thread for seconds
/// per step and make pause replies sluggish.
pub const MAX_BATCH_SIZE: usize = 8192;

/// Step budget a new trainer starts with when none is given.
pub const DEFAULT_STEP_BUDGET: u64 = 100_000;

/// The live hyperparameters of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HyperParams {
    /// Run label shown in the Studio.
    pub experiment_name: String,
    /// Optimizer learning rate (>= 0; 0 freezes the weights).
    pub learning_rate: f64,
    /// Training batch size (1..=`MAX_BATCH_SIZE`).
    pub batch_size: usize,
    /// SGD momentum in [0, 1); AdamW ignores it.
    pub momentum: f64,
    /// L2 penalty (SGD) or decoupled weight decay (AdamW), >= 0.
    pub weight_decay: f64,
    /// Remaining optimizer-step budget; training pauses itself when it reaches 0.
    pub training_steps_to_do: u64,
    /// Run an evaluation of the validation split every this many optimizer steps; 0 = never.
    pub eval_frequency: u64,
    /// Ask the observer for a checkpoint every this many optimizer steps; 0 = never.
    pub checkpoint_frequency: u64,
    /// Batch size of evaluation passes (1..=`MAX_BATCH_SIZE`).
    pub eval_batch_size: usize,
}

impl Default for HyperParams {
    fn default() -> Self {
        Self {
            experiment_name: "experiment".to_owned(),
            learning_rate: 0.01,
            batch_size: 64,
            momentum: 0.9,
            weight_decay: 0.0,
            training_steps_to_do: DEFAULT_STEP_BUDGET,
            eval_frequency: 0,
            checkpoint_frequency: 0,
            eval_batch_size: 256,
        }
    }
}

/// A partial edit of [`HyperParams`]: `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HyperChanges {
    pub experiment_name: Option<String>,
    pub learning_rate: Option<f64>,
    pub batch_size: Option<usize>,
    pub momentum: Option<f64>,
    pub weight_decay: Option<f64>,
    pub training_steps_to_do: Option<u64>,
    pub eval_frequency: Option<u64>,
    pub checkpoint_frequency: Option<u64>,
    pub eval_batch_size: Option<usize>,
}

impl HyperParams {
    /// Checks every field; the message names the field, the bad value and the valid range.
    pub fn validate(&self) -> Result<(), TrainError> {
        let bad = |msg: String| Err(TrainError::InvalidArgument(msg));
        if !self.learning_rate.is_finite() || self.learning_rate < 0.0 {
            return bad(format!(
                "learning_rate = {} must be a finite number >= 0",
                self.learning_rate
            ));
        }
        if !(1..=MAX_BATCH_SIZE).contains(&self.batch_size) {
            return bad(format!(
                "batch_size = {} must be between 1 and {MAX_BATCH_SIZE}",
                self.batch_size
            ));
        }
        if !(1..=MAX_BATCH_SIZE).contains(&self.eval_batch_size) {
            return bad(format!(
                "eval_batch_size = {} must be between 1 and {MAX_BATCH_SIZE}",
                self.eval_batch_size
            ));
        }
        if !self.momentum.is_finite() || !(0.0..1.0).contains(&self.momentum) {
            return bad(format!("momentum = {} must be in [0, 1)", self.momentum));
        }
        if !self.weight_decay.is_finite() || self.weight_decay < 0.0 {
            return bad(format!(
                "weight_decay = {} must be a finite number >= 0",
                self.weight_decay
            ));
        }
        Ok(())
    }

    /// Returns these parameters with `changes` applied, or an error (and no change) when the
    /// result would be invalid.
    pub fn with_changes(&self, changes: &HyperChanges) -> Result<Self, TrainError> {
        let mut next = self.clone();
        if let Some(name) = &changes.experiment_name {
            next.experiment_name.clone_from(name);
        }
        if let Some(v) = changes.learning_rate {
            next.learning_rate = v;
        }
        if let Some(v) = changes.batch_size {
            next.batch_size = v;
        }
        if let Some(v) = changes.momentum {
            next.momentum = v;
        }
        if let Some(v) = changes.weight_decay {
            next.weight_decay = v;
        }
        if let Some(v) = changes.training_steps_to_do {
            next.training_steps_to_do = v;
        }
        if let Some(v) = changes.eval_frequency {
            next.eval_frequency = v;
        }
        if let Some(v) = changes.checkpoint_frequency {
            next.checkpoint_frequency = v;
        }
        if let Some(v) = changes.eval_batch_size {
            next.eval_batch_size = v;
        }
        next.validate()?;
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn defaults_are_valid() {
        HyperParams::default().validate().unwrap();
    }

    #[test]
    fn bad_values_are_rejected_with_the_field_name() {
        let base = HyperParams::default();
        let cases = [
            (
                HyperChanges {
                    learning_rate: Some(-1.0),
                    ..Default::default()
                },
                "learning_rate",
            ),
            (
                HyperChanges {
                    learning_rate: Some(f64::NAN),
                    ..Default::default()
                },
                "learning_rate",
            ),
            (
                HyperChanges {
                    batch_size: Some(0),
                    ..Default::default()
                },
                "batch_size",
            ),
            (
                HyperChanges {
                    momentum: Some(1.0),
                    ..Default::default()
                },
                "momentum",
            ),
            (
                HyperChanges {
                    weight_decay: Some(-0.1),
                    ..Default::default()
                },
                "weight_decay",
            ),
            (
                HyperChanges {
                    eval_batch_size: Some(MAX_BATCH_SIZE + 1),
                    ..Default::default()
                },
                "eval_batch_size",
            ),
        ];
        for (change, field) in cases {
            let err = base.with_changes(&change).unwrap_err().to_string();
            assert!(err.contains(field), "{err} should name {field}");
        }
    }

    #[test]
    fn changes_touch_only_the_given_fields() {
        let base = HyperParams::default();
        let next = base
            .with_changes(&HyperChanges {
                learning_rate: Some(0.5),
                experiment_name: Some("run-2".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(next.learning_rate, 0.5);
        assert_eq!(next.experiment_name, "run-2");
        assert_eq!(
            HyperParams {
                learning_rate: base.learning_rate,
                experiment_name: base.experiment_name.clone(),
                ..next
            },
            base
        );
    }

    proptest! {
        #[test]
        fn accepted_changes_always_validate(
            lr in -1.0f64..10.0,
            bs in 0usize..10_000,
            m in -0.5f64..1.5,
            wd in -1.0f64..1.0,
        ) {
            let change = HyperChanges {
                learning_rate: Some(lr),
                batch_size: Some(bs),
                momentum: Some(m),
                weight_decay: Some(wd),
                ..Default::default()
            };
            if let Ok(next) = HyperParams::default().with_changes(&change) {
                prop_assert!(next.validate().is_ok());
                prop_assert_eq!(next.learning_rate, lr);
            }
        }
    }
}
