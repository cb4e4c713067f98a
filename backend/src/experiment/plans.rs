//! Requests decoded into validated plans before anything runs: hyperparameter changes, edits,
//! restore targets and layer keys. Pure, so every rule is unit-tested here.

use serde_json::{Value, json};
use weightslab_proto::{
    ActivationRequest, DataEditsRequest, HyperParameters, SampleEditType, WeightsRequest,
};

use crate::error::{ServiceError, ServiceResult};

/// A validated hyperparameter change. `None` leaves a value as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HyperPlan {
    pub experiment_name: Option<String>,
    pub training_steps_to_do: Option<u64>,
    pub learning_rate: Option<f64>,
    pub batch_size: Option<usize>,
    pub eval_batch_size: Option<usize>,
    pub eval_frequency: Option<u64>,
    pub checkpoint_frequency: Option<u64>,
    /// Set when the same request resumes (then the change does not pause first).
    pub resume: Option<bool>,
}

fn positive(name: &str, value: i32, max: i64) -> ServiceResult<i64> {
    let value = i64::from(value);
    if value <= 0 || value > max {
        return Err(ServiceError::invalid(format!(
            "{name} must be between 1 and {max}, got {value}"
        )));
    }
    Ok(value)
}

fn non_negative(name: &str, value: i32) -> ServiceResult<u64> {
    u64::try_from(value)
        .map_err(|_| ServiceError::invalid(format!("{name} must be 0 or more, got {value}")))
}

impl HyperPlan {
    pub fn from_request(hyper: &HyperParameters) -> ServiceResult<Self> {
        let mut plan = Self {
            resume: hyper.is_training.filter(|resume| *resume),
            ..Self::default()
        };
        if let Some(name) = &hyper.experiment_name {
            let name = name.trim();
            if name.is_empty() || name.len() > 200 {
                return Err(ServiceError::invalid(
                    "experiment_name must be 1 to 200 characters",
                ));
            }
            plan.experiment_name = Some(name.to_string());
        }
        if let Some(steps) = hyper.training_steps_to_do {
            plan.training_steps_to_do = Some(non_negative("training_steps_to_do", steps)?);
        }
        if let Some(rate) = hyper.learning_rate {
            if !rate.is_finite() || !(0.0..=10.0).contains(&rate) {
                return Err(ServiceError::invalid(format!(
                    "learning_rate must be a finite number between 0 and 10, got {rate}"
                )));
            }
            plan.learning_rate = Some(f64::from(rate));
        }
        let batch = hyper.batch_size.or(hyper.train_batch_size);
        if let Some(batch) = batch {
            plan.batch_size = Some(positive("batch_size", batch, 65_536)? as usize);
        }
        if let Some(batch) = hyper.val_batch_size.or(hyper.test_batch_size) {
            plan.eval_batch_size = Some(positive("val_batch_size", batch, 65_536)? as usize);
        }
        if let Some(frequency) = hyper.full_eval_frequency {
            plan.eval_frequency = Some(non_negative("full_eval_frequency", frequency)?);
        }
        if let Some(frequency) = hyper.checkpont_frequency {
            plan.checkpoint_frequency = Some(non_negative("checkpoint_frequency", frequency)?);
        }
        Ok(plan)
    }

    /// True when the request changes a value (not just pause/resume/mode).
    pub fn has_value_changes(&self) -> bool {
        self.experiment_name.is_some()
            || self.training_steps_to_do.is_some()
            || self.learning_rate.is_some()
            || self.batch_size.is_some()
            || self.eval_batch_size.is_some()
            || self.eval_frequency.is_some()
            || self.checkpoint_frequency.is_some()
    }

    pub fn describe(&self) -> Value {
        json!({
            "experiment_name": self.experiment_name,
            "training_steps_to_do": self.training_steps_to_do,
            "learning_rate": self.learning_rate,
            "batch_size": self.batch_size,
            "eval_batch_size": self.eval_batch_size,
            "eval_frequency": self.eval_frequency,
            "checkpoint_frequency": self.checkpoint_frequency,
        })
    }
}

/// Which samples an edit names: ids with their origins ("" = look the id up).
#[derive(Debug, Clone, PartialEq)]
pub struct Targets {
    pub ids: Vec<String>,
    pub origins: Vec<String>,
}

/// A validated EditDataSample request.
#[derive(Debug, Clone, PartialEq)]
pub enum EditPlan {
    Discard {
        targets: Targets,
        discarded: bool,
    },
    TagAdd {
        targets: Targets,
        tag: String,
    },
    TagRemove {
        targets: Targets,
        tag: String,
    },
    TagSet {
        targets: Targets,
        tag: String,
        value: bool,
    },
    DeleteTag {
        tag: String,
    },
    RegisterTag {
        tag: String,
    },
    DiscardByTag {
        tag: String,
        discarded: bool,
    },
    CopyColumn {
        from: String,
    },
    DeleteColumn {
        name: String,
    },
    SetValues {
        column: String,
        targets: Targets,
        values: Vec<f32>,
    },
    SaveDataState,
}

fn valid_tag(tag: &str) -> ServiceResult<String> {
    let tag = tag.trim();
    if tag.is_empty() {
        return Err(ServiceError::invalid(
            "a tag name is required in string_value",
        ));
    }
    if tag.len() > 100 || tag.contains([';', ',', '\n', '`']) {
        return Err(ServiceError::invalid(format!(
            "tag {tag:?} is not valid: use at most 100 characters and no ; , ` or newlines"
        )));
    }
    Ok(tag.to_string())
}

fn targets_of(request: &DataEditsRequest) -> ServiceResult<Targets> {
    if request.samples_ids.is_empty() {
        return Err(ServiceError::invalid(format!(
            "{} needs at least one sample id in samples_ids",
            request.stat_name
        )));
    }
    if !request.sample_origins.is_empty()
        && request.sample_origins.len() != request.samples_ids.len()
    {
        return Err(ServiceError::invalid(format!(
            "sample_origins has {} entries but samples_ids has {}; send one origin per id or none",
            request.sample_origins.len(),
            request.samples_ids.len()
        )));
    }
    let origins = if request.sample_origins.is_empty() {
        vec![String::new(); request.samples_ids.len()]
    } else {
        request.sample_origins.clone()
    };
    Ok(Targets {
        ids: request.samples_ids.clone(),
        origins,
    })
}

impl EditPlan {
    pub fn from_request(request: &DataEditsRequest) -> ServiceResult<Self> {
        let kind = SampleEditType::try_from(request.r#type).map_err(|_| {
            ServiceError::invalid(format!(
                "type {} is not a SampleEditType (0 = override, 1 = accumulate, 2 = remove)",
                request.r#type
            ))
        })?;
        let stat = request.stat_name.trim();
        let plan = match stat {
            "discarded" | "deny_listed" => Self::Discard {
                targets: targets_of(request)?,
                discarded: request.bool_value,
            },
            "tags" => {
                let tag = valid_tag(&request.string_value)?;
                let targets = targets_of(request)?;
                match kind {
                    SampleEditType::EditAccumulate => Self::TagAdd { targets, tag },
                    SampleEditType::EditRemove => Self::TagRemove { targets, tag },
                    SampleEditType::EditOverride => Self::TagSet {
                        targets,
                        tag,
                        value: true,
                    },
                }
            }
            "__register_tag__" => Self::RegisterTag {
                tag: valid_tag(&request.string_value)?,
            },
            "__discard_by_tag__" => Self::DiscardByTag {
                tag: valid_tag(&request.string_value)?,
                discarded: true,
            },
            "__copy_metadata__" => Self::CopyColumn {
                from: required_column(&request.string_value)?,
            },
            "__delete_metadata__" => Self::DeleteColumn {
                name: required_column(&request.string_value)?,
            },
            "__save_data_state__" | "__force_h5_write_and_save__" => Self::SaveDataState,
            "__save_step_signal_snapshot__" => {
                let signal = required_column(&request.string_value)?;
                let targets = targets_of(request)?;
                if request.sample_values.len() != targets.ids.len() {
                    return Err(ServiceError::invalid(format!(
                        "sample_values has {} entries for {} ids; send one value per id",
                        request.sample_values.len(),
                        targets.ids.len()
                    )));
                }
                Self::SetValues {
                    column: format!("{signal}@{}", request.float_value as i64),
                    targets,
                    values: request.sample_values.clone(),
                }
            }
            other => {
                if let Some(tag) = other
                    .strip_prefix("tag:")
                    .or_else(|| other.strip_prefix("tags:"))
                {
                    let tag = valid_tag(tag)?;
                    match kind {
                        SampleEditType::EditRemove if request.samples_ids.len() <= 1 => {
                            Self::DeleteTag { tag }
                        }
                        SampleEditType::EditRemove => Self::TagRemove {
                            targets: targets_of(request)?,
                            tag,
                        },
                        SampleEditType::EditAccumulate => Self::TagAdd {
                            targets: targets_of(request)?,
                            tag,
                        },
                        SampleEditType::EditOverride => Self::TagSet {
                            targets: targets_of(request)?,
                            tag,
                            value: request.bool_value || request.float_value > 0.0,
                        },
                    }
                } else if !other.is_empty()
                    && !other.starts_with("__")
                    && !request.sample_values.is_empty()
                {
                    let targets = targets_of(request)?;
                    if request.sample_values.len() != targets.ids.len() {
                        return Err(ServiceError::invalid(format!(
                            "sample_values has {} entries for {} ids",
                            request.sample_values.len(),
                            targets.ids.len()
                        )));
                    }
                    Self::SetValues {
                        column: other.to_string(),
                        targets,
                        values: request.sample_values.clone(),
                    }
                } else {
                    return Err(ServiceError::invalid(format!(
                        "stat_name {other:?} is not an edit this server knows; use one of: discarded, deny_listed, tags, tag:<name>, __register_tag__, __discard_by_tag__, __copy_metadata__, __delete_metadata__, __save_data_state__, __save_step_signal_snapshot__"
                    )));
                }
            }
        };
        Ok(plan)
    }

    /// The audit action the spec names for this edit.
    pub fn audit_action(&self) -> &'static str {
        match self {
            Self::Discard {
                discarded: true, ..
            }
            | Self::DiscardByTag {
                discarded: true, ..
            } => "sample_discard",
            Self::Discard { .. } | Self::DiscardByTag { .. } => "sample_restore",
            Self::TagAdd { .. } | Self::RegisterTag { .. } => "tag_add",
            Self::TagSet { value: true, .. } => "tag_add",
            Self::TagRemove { .. } | Self::DeleteTag { .. } | Self::TagSet { .. } => "tag_remove",
            Self::CopyColumn { .. } | Self::DeleteColumn { .. } | Self::SetValues { .. } => {
                "metadata_edit"
            }
            Self::SaveDataState => "data_state_save",
        }
    }

    pub fn describe(&self) -> Value {
        let count = |targets: &Targets| targets.ids.len();
        let preview = |targets: &Targets| targets.ids.iter().take(20).cloned().collect::<Vec<_>>();
        match self {
            Self::Discard { targets, discarded } => {
                json!({"count": count(targets), "ids": preview(targets), "discarded": discarded})
            }
            Self::TagAdd { targets, tag } | Self::TagRemove { targets, tag } => {
                json!({"count": count(targets), "ids": preview(targets), "tag": tag})
            }
            Self::TagSet {
                targets,
                tag,
                value,
            } => {
                json!({"count": count(targets), "ids": preview(targets), "tag": tag, "value": value})
            }
            Self::DeleteTag { tag } | Self::RegisterTag { tag } => json!({"tag": tag}),
            Self::DiscardByTag { tag, discarded } => json!({"tag": tag, "discarded": discarded}),
            Self::CopyColumn { from } => json!({"from": from}),
            Self::DeleteColumn { name } => json!({"column": name}),
            Self::SetValues {
                column, targets, ..
            } => json!({"column": column, "count": count(targets)}),
            Self::SaveDataState => json!({}),
        }
    }
}

fn required_column(name: &str) -> ServiceResult<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ServiceError::invalid(
            "a column name is required in string_value",
        ));
    }
    Ok(name.to_string())
}

/// What RestoreCheckpoint should load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreSpec {
    pub experiment_hash: String,
    /// `Some(step)`: weights only, from the saved step nearest to `step` (ties to the higher).
    pub weights_step: Option<u64>,
}

impl RestoreSpec {
    pub fn parse(text: &str) -> ServiceResult<Self> {
        let text = text.trim();
        let (hash, step) = match text.split_once("@@") {
            None => (text, None),
            Some((hash, suffix)) => {
                let step = suffix.strip_prefix("weights_step=").ok_or_else(|| {
                    ServiceError::invalid(format!(
                        "{text:?} is malformed: the only suffix accepted is @@weights_step=<N>, e.g. 0123abcd0123abcd0123abcd@@weights_step=500"
                    ))
                })?;
                let step: u64 = step.trim().parse().map_err(|_| {
                    ServiceError::invalid(format!(
                        "weights_step must be a non-negative integer, got {step:?}"
                    ))
                })?;
                (hash, Some(step))
            }
        };
        if hash.len() != 24 || !hash.chars().all(|character| character.is_ascii_hexdigit()) {
            return Err(ServiceError::invalid(format!(
                "experiment hash {hash:?} is malformed: expected 24 hex characters (see ListExperimentRuns)"
            )));
        }
        Ok(Self {
            experiment_hash: hash.to_ascii_lowercase(),
            weights_step: step,
        })
    }
}

/// A layer named by id or by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerKey {
    Id(i32),
    Name(String),
}

impl LayerKey {
    fn from_text(text: &str) -> Self {
        match text.trim().parse::<i32>() {
            Ok(id) => Self::Id(id),
            Err(_) => Self::Name(text.trim().to_string()),
        }
    }

    pub fn from_weights_request(request: &WeightsRequest) -> ServiceResult<Self> {
        if !request.layer_key.trim().is_empty() {
            return Ok(Self::from_text(&request.layer_key));
        }
        match &request.neuron_id {
            Some(neuron) => Ok(Self::Id(neuron.layer_id)),
            None => Err(ServiceError::invalid(
                "name the layer with neuron_id.layer_id or layer_key (see get_interactive_layers)",
            )),
        }
    }

    pub fn from_activation_request(request: &ActivationRequest) -> Self {
        if request.layer_key.trim().is_empty() {
            Self::Id(request.layer_id)
        } else {
            Self::from_text(&request.layer_key)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pause_alone_changes_no_value() {
        let plan = HyperPlan::from_request(&HyperParameters {
            is_training: Some(false),
            ..Default::default()
        })
        .unwrap();
        assert!(!plan.has_value_changes());
        assert_eq!(plan.resume, None);
    }

    #[test]
    fn values_are_validated() {
        let bad = [
            HyperParameters {
                learning_rate: Some(f32::NAN),
                ..Default::default()
            },
            HyperParameters {
                learning_rate: Some(-1.0),
                ..Default::default()
            },
            HyperParameters {
                batch_size: Some(0),
                ..Default::default()
            },
            HyperParameters {
                training_steps_to_do: Some(-5),
                ..Default::default()
            },
            HyperParameters {
                experiment_name: Some("  ".into()),
                ..Default::default()
            },
        ];
        for hyper in bad {
            let error = HyperPlan::from_request(&hyper).unwrap_err();
            assert_eq!(error.code(), tonic::Code::InvalidArgument, "{hyper:?}");
        }
        let plan = HyperPlan::from_request(&HyperParameters {
            learning_rate: Some(0.01),
            train_batch_size: Some(32),
            is_training: Some(true),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(plan.batch_size, Some(32));
        assert!((plan.learning_rate.unwrap() - 0.01).abs() < 1e-6);
        assert_eq!(plan.resume, Some(true));
    }

    fn edit(stat: &str, kind: SampleEditType, ids: &[&str]) -> DataEditsRequest {
        DataEditsRequest {
            stat_name: stat.into(),
            r#type: kind as i32,
            samples_ids: ids.iter().map(|id| id.to_string()).collect(),
            string_value: "hard".into(),
            ..Default::default()
        }
    }

    #[test]
    fn edit_kinds() {
        use SampleEditType::*;
        let cases = [
            (edit("tags", EditAccumulate, &["1"]), "tag_add"),
            (edit("tags", EditRemove, &["1"]), "tag_remove"),
            (edit("discarded", EditOverride, &["1"]), "sample_restore"),
            (edit("deny_listed", EditOverride, &["1"]), "sample_restore"),
            (edit("tag:hard", EditRemove, &["1"]), "tag_remove"),
            (edit("tags:hard", EditRemove, &[]), "tag_remove"),
            (edit("__register_tag__", EditOverride, &[]), "tag_add"),
            (
                edit("__discard_by_tag__", EditOverride, &[]),
                "sample_discard",
            ),
        ];
        for (request, action) in cases {
            let plan = EditPlan::from_request(&request).unwrap();
            assert_eq!(plan.audit_action(), action, "{request:?}");
        }
        assert!(matches!(
            EditPlan::from_request(&edit("tag:hard", EditRemove, &["7"])).unwrap(),
            EditPlan::DeleteTag { .. }
        ));
    }

    #[test]
    fn bad_edits_are_refused() {
        use SampleEditType::*;
        let mut no_tag = edit("tags", EditAccumulate, &["1"]);
        no_tag.string_value.clear();
        let mut mismatched = edit("tags", EditAccumulate, &["1", "2"]);
        mismatched.sample_origins = vec!["train".into()];
        let mut bad_type = edit("tags", EditAccumulate, &["1"]);
        bad_type.r#type = 9;
        for request in [
            no_tag,
            mismatched,
            bad_type,
            edit("tags", EditAccumulate, &[]),
            edit("discarded", EditOverride, &[]),
            edit("frobnicate", EditOverride, &["1"]),
        ] {
            let error = EditPlan::from_request(&request).unwrap_err();
            assert_eq!(error.code(), tonic::Code::InvalidArgument, "{request:?}");
        }
    }

    #[test]
    fn restore_specs() {
        let hash = "0123456789abcdef01234567";
        assert_eq!(RestoreSpec::parse(hash).unwrap().weights_step, None);
        let spec = RestoreSpec::parse(&format!("{hash}@@weights_step=500")).unwrap();
        assert_eq!(spec.weights_step, Some(500));
        for bad in [
            "",
            "xyz",
            &format!("{hash}@@step=5"),
            &format!("{hash}@@weights_step=-1"),
            "0123456789abcdef0123456g",
        ] {
            assert_eq!(
                RestoreSpec::parse(bad).unwrap_err().code(),
                tonic::Code::InvalidArgument,
                "{bad}"
            );
        }
    }

    #[test]
    fn layer_keys() {
        let request = WeightsRequest {
            layer_key: "conv1".into(),
            ..Default::default()
        };
        assert_eq!(
            LayerKey::from_weights_request(&request).unwrap(),
            LayerKey::Name("conv1".into())
        );
        let request = WeightsRequest {
            layer_key: "2".into(),
            ..Default::default()
        };
        assert_eq!(
            LayerKey::from_weights_request(&request).unwrap(),
            LayerKey::Id(2)
        );
        assert!(LayerKey::from_weights_request(&WeightsRequest::default()).is_err());
    }
}
