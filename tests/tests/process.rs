//! The real binary as a user runs it: edits survive a restart and `kill -9`, and SIGTERM
//! drains, folds the journal and exits 0.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::process::{Child, Command};

use weightslab_e2e::proto::*;

struct Process {
    child: Child,
    port: u16,
}

fn spawn(log_dir: &std::path::Path) -> Process {
    spawn_with(log_dir, &[])
}

fn spawn_with(log_dir: &std::path::Path, extra: &[&str]) -> Process {
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_wl-e2e-server"));
    let (child, addr) =
        weightslab_e2e::spawn_server_process(binary, log_dir, extra).expect("server starts");
    Process {
        child,
        port: addr.port(),
    }
}

async fn client(port: u16) -> ExperimentServiceClient<tonic::transport::Channel> {
    ExperimentServiceClient::connect(format!("http://127.0.0.1:{port}"))
        .await
        .expect("connects")
}

async fn tag(
    client: &mut ExperimentServiceClient<tonic::transport::Channel>,
    tag: &str,
    ids: &[&str],
) {
    let reply = client
        .edit_data_sample(DataEditsRequest {
            stat_name: "tags".into(),
            string_value: tag.into(),
            r#type: SampleEditType::EditAccumulate as i32,
            samples_ids: ids.iter().map(|id| id.to_string()).collect(),
            ..Default::default()
        })
        .await
        .expect("tag edit")
        .into_inner();
    assert!(reply.success);
}

async fn count(
    client: &mut ExperimentServiceClient<tonic::transport::Channel>,
    query: &str,
) -> i32 {
    client
        .apply_data_query(DataQueryRequest {
            query: query.into(),
            ..Default::default()
        })
        .await
        .expect("query")
        .into_inner()
        .number_of_all_samples
}

#[tokio::test]
async fn acknowledged_edits_survive_kill_9_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = spawn(dir.path());
    let mut api = client(first.port).await;
    tag(&mut api, "hard", &["1", "2", "3"]).await;
    let discard = api
        .edit_data_sample(DataEditsRequest {
            stat_name: "discarded".into(),
            bool_value: true,
            samples_ids: vec!["2".into(), "9999".into()],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(discard.success);
    // The moment after the last acknowledgement: no graceful anything.
    first.child.kill().unwrap();
    first.child.wait().unwrap();

    let mut second = spawn(dir.path());
    let mut api = client(second.port).await;
    assert_eq!(count(&mut api, "tag:hard").await, 3);
    let counts = api
        .apply_data_query(DataQueryRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(counts.number_of_discarded_samples, 2);
    assert!(counts.unique_tags.contains(&"hard".to_string()));
    second.child.kill().unwrap();
    second.child.wait().unwrap();
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_drains_folds_the_journal_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let mut process = spawn(dir.path());
    let mut api = client(process.port).await;
    let journal = dir.path().join("samples.journal");
    let journal_len = || {
        std::fs::metadata(&journal)
            .map(|meta| meta.len())
            .unwrap_or(0)
    };
    let header_only = journal_len();
    tag(&mut api, "keep", &["10", "11"]).await;
    assert!(
        journal_len() > header_only,
        "the edit was journaled before the reply"
    );
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(process.child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let exit = process.child.wait().unwrap();
    assert_eq!(exit.code(), Some(0), "clean exit on SIGTERM");
    let left = journal_len();
    assert!(
        dir.path().join("samples.h5").exists(),
        "HDF5 file written at shutdown"
    );

    let mut again = spawn(dir.path());
    let mut api = client(again.port).await;
    assert_eq!(count(&mut api, "tag:keep").await, 2);
    again.child.kill().unwrap();
    again.child.wait().unwrap();
    assert_eq!(
        left, header_only,
        "the journal was folded into the HDF5 file at shutdown"
    );
}

#[tokio::test]
async fn a_crash_while_saving_a_checkpoint_leaves_the_previous_one_loadable() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("run.toml");
    std::fs::write(&config, "[model]\nkind = \"mlp\"\n[train]\nbatch_size = 32\neval_frequency = 0\ncheckpoint_frequency = 0\n").unwrap();
    let logs = dir.path().join("logs");
    let config_arg = config.to_string_lossy().to_string();
    let mut first = spawn_with(&logs, &["--config", &config_arg]);
    let mut api = client(first.port).await;
    weightslab_e2e::train_steps(&mut api, 2).await;
    let save = TrainerCommand {
        save_checkpoint_operation: Some(SaveCheckpointOperation {
            save_architecture: false,
            save_optimizer: true,
        }),
        ..Default::default()
    };
    assert!(
        api.experiment_command(save.clone())
            .await
            .unwrap()
            .into_inner()
            .success
    );
    let hash = weightslab_e2e::current_hash(&mut api).await;
    weightslab_e2e::train_steps(&mut api, 2).await;
    // Ask for a second save and kill the process while it may be writing it.
    let mut racing = api.clone();
    let in_flight = tokio::spawn(async move { racing.experiment_command(save).await });
    tokio::task::yield_now().await;
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    let _ = in_flight.await;

    let mut second = spawn_with(&logs, &["--config", &config_arg]);
    let mut api = client(second.port).await;
    let restored = api
        .restore_checkpoint(RestoreCheckpointRequest {
            experiment_hash: hash.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(restored.success, "{restored:?}");
    let age = weightslab_e2e::hyper_values(&mut api).await["model_age"];
    assert!(
        age == 2.0 || age == 4.0,
        "a complete checkpoint was loaded, at step {age}"
    );
    // Every checkpoint folder that is listed loads; a half-written one is never listed.
    let run_dir = logs.join("checkpoints").join(&hash);
    for entry in std::fs::read_dir(&run_dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if let Some(step) = name.strip_prefix("step_") {
            let reply = api
                .restore_checkpoint(RestoreCheckpointRequest {
                    experiment_hash: format!("{hash}@@weights_step={step}"),
                })
                .await
                .unwrap()
                .into_inner();
            assert!(reply.success, "step {step}: {reply:?}");
        }
    }
    second.child.kill().unwrap();
    second.child.wait().unwrap();
}

/// A launcher may close the server's stdout and stderr (or its reader may exit): the server
/// must go on serving, and still stop cleanly on SIGTERM.
#[tokio::test]
async fn a_server_whose_output_pipes_are_closed_keeps_serving_and_stops_cleanly() {
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_wl-e2e-server"))
        .args(["serve", "--host", "127.0.0.1", "--port", &port.to_string()])
        .args([
            "--start-paused",
            "--no-progress",
            "--thumbnails",
            "cpu",
            "--log-dir",
        ])
        .arg(dir.path())
        .env("WL_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Both readers leave at once, long before the server has anything to say.
    drop(child.stdout.take());
    drop(child.stderr.take());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let mut api = loop {
        assert!(
            std::time::Instant::now() < deadline,
            "the server did not take calls within 2 minutes"
        );
        if let Some(code) = child.try_wait().unwrap() {
            panic!("the server exited with {code} once its output pipes closed");
        }
        match ExperimentServiceClient::connect(format!("http://127.0.0.1:{port}")).await {
            Ok(api) => break api,
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    };
    // The server writes its listening line as it starts taking calls: whether that write hurt it
    // shows in the exit code below.
    tag(&mut api, "piped", &["3"]).await;
    assert_eq!(count(&mut api, "tag:piped").await, 1);
    assert!(
        child.try_wait().unwrap().is_none(),
        "the server still runs after writing to closed pipes"
    );
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert_eq!(exit.code(), Some(0), "clean exit on SIGTERM");
}
