//! Training under live control, over real sockets: exact step counts, pause, learning-rate
//! edits that reach the optimizer, discards that leave the sampler, audit mode, evaluation,
//! checkpoints and restore.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;

use weightslab_e2e::proto::*;
use weightslab_e2e::*;

async fn server() -> TestServer {
    TestServer::start_with(TestOptions {
        run: Some(paused_mlp()),
        ..Default::default()
    })
    .await
}

async fn weights_of(
    client: &mut ExperimentServiceClient<tonic::transport::Channel>,
    layer: i32,
) -> Vec<f32> {
    client
        .get_weights(WeightsRequest {
            neuron_id: Some(NeuronId {
                layer_id: layer,
                neuron_id: -1,
            }),
            layer_key: String::new(),
        })
        .await
        .expect("weights")
        .into_inner()
        .weights
}

#[tokio::test]
async fn nb_steps_trains_exactly_that_many_and_pause_holds_model_age() {
    let server = server().await;
    let mut client = server.client().await;
    assert_eq!(hyper_values(&mut client).await["model_age"], 0.0);
    assert_eq!(train_steps(&mut client, 4).await, 4.0);
    let paused = client
        .experiment_command(hyper_command(HyperParameters {
            is_training: Some(false),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(paused.success, "{paused:?}");
    let age = hyper_values(&mut client).await["model_age"];
    assert_eq!(age, 4.0);
    assert_eq!(
        hyper_values(&mut client).await["model_age"],
        age,
        "no step while paused"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_learning_rate_edit_reaches_the_optimizer_and_the_lr_curve() {
    let server = server().await;
    let mut client = server.client().await;
    train_steps(&mut client, 2).await;
    let reply = client
        .experiment_command(hyper_command(HyperParameters {
            learning_rate: Some(0.0125),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(reply.success, "{reply:?}");
    assert!((hyper_values(&mut client).await["learning_rate"] - 0.0125).abs() < 1e-6);
    train_steps(&mut client, 2).await;
    let history = client
        .get_latest_logger_data(GetLatestLoggerDataRequest {
            request_full_history: true,
            metric_names: vec!["train/lr".into()],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let last = history
        .points
        .iter()
        .max_by_key(|point| point.model_age)
        .expect("lr points");
    assert!((last.metric_value - 0.0125).abs() < 1e-6, "{last:?}");
    let first = history
        .points
        .iter()
        .min_by_key(|point| point.model_age)
        .unwrap();
    assert!((first.metric_value - 0.05).abs() < 1e-6, "{first:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn discarded_samples_never_appear_in_later_batches() {
    let server = server().await;
    let mut client = server.client().await;
    // Discard every train sample whose id ends in 0..4: half of the training set.
    let ids: Vec<String> = (0..10_000)
        .filter(|id| id % 10 < 5)
        .map(|id| id.to_string())
        .collect();
    let reply = client
        .edit_data_sample(DataEditsRequest {
            stat_name: "discarded".into(),
            bool_value: true,
            samples_ids: ids.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(reply.success, "{reply:?}");
    let discarded: HashSet<String> = ids.into_iter().collect();
    let hash = current_hash(&mut client).await;
    let last = train_steps(&mut client, 6).await as i32;
    let mut seen = 0;
    for step in 1..=last {
        let samples = client
            .get_step_samples(StepSamplesRequest {
                metric_name: "train/loss".into(),
                experiment_hash: hash.clone(),
                model_age: step,
                max_samples: 0,
            })
            .await
            .unwrap()
            .into_inner();
        for id in &samples.sample_ids {
            assert!(
                !discarded.contains(id),
                "discarded sample {id} was trained on at step {step}"
            );
        }
        seen += samples.sample_ids.len();
    }
    assert_eq!(seen, 6 * 32, "every batch was recorded");
    let counts = client
        .apply_data_query(DataQueryRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(counts.number_of_discarded_samples, 5000);
    assert_eq!(counts.number_of_samples_in_the_loop, 5000);
    server.shutdown().await;
}

#[tokio::test]
async fn audit_mode_changes_no_weight() {
    let server = server().await;
    let mut client = server.client().await;
    train_steps(&mut client, 1).await;
    let before = weights_of(&mut client, 0).await;
    let reply = client
        .experiment_command(hyper_command(HyperParameters {
            auditor_mode: Some(true),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(reply.success);
    assert_eq!(hyper_values(&mut client).await["auditor_mode"], 1.0);
    resume_for(&mut client, 3).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
    loop {
        let history = client
            .get_latest_logger_data(GetLatestLoggerDataRequest {
                request_full_history: true,
                metric_names: vec!["train/loss".into()],
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        if history
            .points
            .iter()
            .filter(|point| point.audit_mode)
            .count()
            >= 3
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "audit steps were not logged"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    client
        .experiment_command(hyper_command(HyperParameters {
            is_training: Some(false),
            ..Default::default()
        }))
        .await
        .unwrap();
    assert_eq!(
        weights_of(&mut client, 0).await,
        before,
        "audit mode must not touch weights"
    );
    assert_eq!(
        hyper_values(&mut client).await["model_age"],
        1.0,
        "audit steps are not optimizer steps"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn save_train_restore_brings_back_weights_age_and_table_state() {
    let server = server().await;
    let mut client = server.client().await;
    train_steps(&mut client, 3).await;
    let saved = client
        .experiment_command(TrainerCommand {
            save_checkpoint_operation: Some(SaveCheckpointOperation {
                save_architecture: false,
                save_optimizer: true,
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(saved.success, "{saved:?}");
    let hash = current_hash(&mut client).await;
    let saved_weights = weights_of(&mut client, 1).await;
    // Train on and tag a sample after the save: a full restore must undo both.
    train_steps(&mut client, 3).await;
    assert_ne!(weights_of(&mut client, 1).await, saved_weights);
    client
        .edit_data_sample(DataEditsRequest {
            stat_name: "tags".into(),
            string_value: "late".into(),
            r#type: SampleEditType::EditAccumulate as i32,
            samples_ids: vec!["7".into()],
            ..Default::default()
        })
        .await
        .unwrap();

    let restored = client
        .restore_checkpoint(RestoreCheckpointRequest {
            experiment_hash: hash.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(restored.success, "{restored:?}");
    assert_eq!(hyper_values(&mut client).await["model_age"], 3.0);
    assert_eq!(
        weights_of(&mut client, 1).await,
        saved_weights,
        "bit-identical weights"
    );
    let counts = client
        .apply_data_query(DataQueryRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(
        !counts.unique_tags.contains(&"late".to_string()),
        "table state restored: {counts:?}"
    );
    let tagged = client
        .apply_data_query(DataQueryRequest {
            query: "tag:late".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        tagged.number_of_all_samples, 0,
        "the tag no longer exists, so nothing carries it: {tagged:?}"
    );

    // Weights only: the table state stays as it is now.
    client
        .edit_data_sample(DataEditsRequest {
            stat_name: "tags".into(),
            string_value: "kept".into(),
            r#type: SampleEditType::EditAccumulate as i32,
            samples_ids: vec!["8".into()],
            ..Default::default()
        })
        .await
        .unwrap();
    let restored = client
        .restore_checkpoint(RestoreCheckpointRequest {
            experiment_hash: format!("{hash}@@weights_step=2"),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(restored.success, "{restored:?}");
    assert_eq!(weights_of(&mut client, 1).await, saved_weights);
    let kept = client
        .apply_data_query(DataQueryRequest {
            query: "tag:kept".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(kept.number_of_all_samples, 1);

    let unknown = client
        .restore_checkpoint(RestoreCheckpointRequest {
            experiment_hash: "0".repeat(24),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), tonic::Code::NotFound);
    let malformed = client
        .restore_checkpoint(RestoreCheckpointRequest {
            experiment_hash: "not-a-hash".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(malformed.code(), tonic::Code::InvalidArgument);
    let runs = client
        .list_experiment_runs(ListExperimentRunsRequest {})
        .await
        .unwrap()
        .into_inner();
    let run = runs
        .runs
        .iter()
        .find(|run| run.experiment_hash == hash)
        .expect("run listed");
    assert_eq!(run.latest_weight_step, 3);
    assert_eq!(run.checkpoint_steps, vec![3], "every saved step");
    server.shutdown().await;
}

#[tokio::test]
async fn evaluation_reports_rising_progress_refuses_a_second_trigger_and_leaves_markers() {
    let server = server().await;
    let mut client = server.client().await;
    let accepted = client
        .trigger_evaluation(TriggerEvaluationRequest {
            split_name: "val".into(),
            tags: vec![],
            use_full_set: true,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(accepted.success);
    let first = client
        .get_evaluation_status(GetEvaluationStatusRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_ne!(
        first.status, "idle",
        "status is set before the trigger returns"
    );
    let second = client
        .trigger_evaluation(TriggerEvaluationRequest {
            split_name: "test_loader".into(),
            tags: vec![],
            use_full_set: true,
        })
        .await;
    // While the first is queued or running a second is refused; if the first already
    // finished in between, the second is a legitimate new evaluation.
    if let Err(status) = &second {
        assert_eq!(status.code(), tonic::Code::AlreadyExists, "{status:?}");
    }
    let mut last_current = 0;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(600);
    loop {
        let status = client
            .get_evaluation_status(GetEvaluationStatusRequest {})
            .await
            .unwrap()
            .into_inner();
        assert!(
            status.current >= last_current,
            "progress never goes back: {status:?}"
        );
        last_current = status.current;
        if status.status == "done" {
            assert_eq!(status.current, status.total);
            assert_eq!(status.total, 2000);
            break;
        }
        assert!(
            ["requested", "running"].contains(&status.status.as_str()),
            "{status:?}"
        );
        assert!(std::time::Instant::now() < deadline);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let history = client
        .get_latest_logger_data(GetLatestLoggerDataRequest {
            request_full_history: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let marker = history
        .points
        .iter()
        .find(|point| point.is_evaluation_marker && point.metric_name == "val/loss")
        .expect("evaluation marker");
    assert_eq!(marker.split_name, "val");
    server.shutdown().await;
}
