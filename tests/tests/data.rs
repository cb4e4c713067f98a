//! The data operations over real sockets: pages with thumbnails, metadata, histograms,
//! GetSamples, edits that are all-or-nothing, and errors with the right status.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use weightslab_e2e::proto::*;
use weightslab_e2e::*;

fn stat<'a>(record: &'a DataRecord, name: &str) -> Option<&'a DataStat> {
    record.data_stats.iter().find(|stat| stat.name == name)
}

#[tokio::test]
async fn pages_carry_the_contract_stats_and_a_real_thumbnail() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let page = client
        .get_data_samples(DataSamplesRequest {
            start_index: 0,
            records_cnt: 16,
            include_raw_data: true,
            resize_width: 96,
            resize_height: 96,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(page.success);
    assert_eq!(page.data_records.len(), 16);
    assert_eq!(
        (page.view_count, page.total_count, page.is_subview),
        (10_000, 10_000, false)
    );
    let record = &page.data_records[0];
    assert_eq!(stat(record, "origin").unwrap().value_string, "train");
    assert_eq!(stat(record, "discarded").unwrap().value, [0.0]);
    assert_eq!(stat(record, "target").unwrap().r#type, "scalar");
    let raw = stat(record, "raw_data").unwrap();
    assert_eq!(raw.r#type, "bytes");
    assert_eq!(&raw.thumbnail[..2], &[0xFF, 0xD8], "a JPEG file");
    assert_eq!(
        raw.shape,
        [96, 96, 1],
        "a 28 px digit is upscaled into the 96 px box"
    );
    let decoded = image_size(&raw.thumbnail);
    assert_eq!(decoded, (96, 96));

    // Full resolution for the modal: -100 %.
    let full = client
        .get_data_samples(DataSamplesRequest {
            start_index: 0,
            records_cnt: 1,
            include_raw_data: true,
            resize_width: -100,
            resize_height: -100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        stat(&full.data_records[0], "raw_data").unwrap().shape,
        [28, 28, 1]
    );

    // Only the stats asked for.
    let slim = client
        .get_data_samples(DataSamplesRequest {
            start_index: 9_990,
            records_cnt: 100,
            stats_to_retrieve: vec!["origin".into()],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(slim.data_records.len(), 10, "the last page is short");
    assert!(
        slim.data_records
            .iter()
            .all(|record| record.data_stats.len() == 1)
    );
    let past_end = client
        .get_data_samples(DataSamplesRequest {
            start_index: 20_000,
            records_cnt: 4,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        !past_end.success,
        "an empty slice stops the Studio's paging"
    );
    server.shutdown().await;
}

/// Width and height from a JPEG's SOF0/SOF2 marker.
fn image_size(jpeg: &[u8]) -> (u32, u32) {
    let mut position = 2;
    while position + 9 < jpeg.len() {
        let marker = jpeg[position + 1];
        let length = u16::from_be_bytes([jpeg[position + 2], jpeg[position + 3]]) as usize;
        if marker == 0xC0 || marker == 0xC2 {
            let height = u16::from_be_bytes([jpeg[position + 5], jpeg[position + 6]]) as u32;
            let width = u16::from_be_bytes([jpeg[position + 7], jpeg[position + 8]]) as u32;
            return (width, height);
        }
        position += 2 + length;
    }
    panic!("no frame header in the JPEG")
}

#[tokio::test]
async fn histograms_samples_and_metadata() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let origins = client
        .get_histogram(HistogramRequest {
            column: "origin".into(),
            max_bins: 0,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(origins.is_categorical);
    let counts: Vec<_> = origins
        .categorical_bars
        .iter()
        .map(|bar| (bar.label.as_str(), bar.count))
        .collect();
    assert!(
        counts.contains(&("train", 8000)) && counts.contains(&("val", 2000)),
        "{counts:?}"
    );
    let labels = client
        .get_histogram(HistogramRequest {
            column: "label".into(),
            max_bins: 10,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(labels.bins.iter().map(|bin| bin.count).sum::<i64>(), 10_000);
    let unknown = client
        .get_histogram(HistogramRequest {
            column: "lossy".into(),
            max_bins: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), tonic::Code::InvalidArgument);

    let samples = client
        .get_samples(BatchSampleRequest {
            sample_ids: vec!["5".into(), "nope".into()],
            origin: String::new(),
            resize_width: Some(56),
            resize_height: Some(56),
        })
        .await
        .unwrap()
        .into_inner()
        .samples;
    assert_eq!(samples.len(), 2);
    let png = samples[0].raw_data.as_ref().unwrap();
    assert_eq!(&png[1..4], b"PNG");
    assert!(samples[0].label.is_some());
    assert!(samples[1].error_message.as_ref().unwrap().contains("nope"));

    client
        .edit_data_sample(DataEditsRequest {
            stat_name: "tags".into(),
            string_value: "blurry".into(),
            r#type: SampleEditType::EditAccumulate as i32,
            samples_ids: vec!["0".into()],
            ..Default::default()
        })
        .await
        .unwrap();
    let metadata = client
        .get_meta_data(GetMetaDataRequest {
            start_index: 0,
            records_cnt: 2,
            modal_sample_id: "0".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        metadata
            .all_metadata_names
            .contains(&"tag:blurry".to_string()),
        "{:?}",
        metadata.all_metadata_names
    );
    let first = &metadata.grid_records[0];
    assert_eq!(stat(first, "tag:blurry").unwrap().value_string, "1");
    assert_eq!(metadata.modal_record.unwrap().sample_id, "0");
    server.shutdown().await;
}

#[tokio::test]
async fn edits_are_all_or_nothing_and_errors_carry_the_right_status() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let partly_unknown = client
        .edit_data_sample(DataEditsRequest {
            stat_name: "discarded".into(),
            bool_value: true,
            samples_ids: vec!["1".into(), "no-such-id".into()],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(partly_unknown.code(), tonic::Code::NotFound);
    assert!(
        partly_unknown.message().contains("no-such-id"),
        "{partly_unknown:?}"
    );
    let counts = client
        .apply_data_query(DataQueryRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(counts.number_of_discarded_samples, 0, "nothing changed");

    // Adding a tag twice is a no-op, never a toggle.
    for _ in 0..2 {
        client
            .edit_data_sample(DataEditsRequest {
                stat_name: "tags".into(),
                string_value: "hard".into(),
                r#type: SampleEditType::EditAccumulate as i32,
                samples_ids: vec!["3".into()],
                ..Default::default()
            })
            .await
            .unwrap();
    }
    let hard = client
        .apply_data_query(DataQueryRequest {
            query: "tag:hard".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(hard.number_of_all_samples, 1);

    let bad_stat = client
        .edit_data_sample(DataEditsRequest {
            stat_name: "frobnicate".into(),
            samples_ids: vec!["1".into()],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad_stat.code(), tonic::Code::InvalidArgument);
    let negative = client
        .get_data_samples(DataSamplesRequest {
            start_index: -1,
            records_cnt: 4,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(negative.code(), tonic::Code::InvalidArgument);
    let bad_size = client
        .get_data_samples(DataSamplesRequest {
            records_cnt: 1,
            include_raw_data: true,
            resize_width: 10,
            resize_height: -10,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad_size.code(), tonic::Code::InvalidArgument);
    let not_understood = client
        .apply_data_query(DataQueryRequest {
            query: "loss >> 2".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!not_understood.success);
    assert!(
        not_understood.message.contains("Example"),
        "{}",
        not_understood.message
    );
    let unknown_column = client
        .apply_data_query(DataQueryRequest {
            query: "los > 1".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(unknown_column.code(), tonic::Code::InvalidArgument);
    assert!(
        unknown_column.message().contains("loss"),
        "suggests the closest column: {unknown_column:?}"
    );
    let unknown_layer = client
        .get_weights(WeightsRequest {
            neuron_id: Some(NeuronId {
                layer_id: 42,
                neuron_id: -1,
            }),
            layer_key: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown_layer.code(), tonic::Code::NotFound);
    let unknown_sample = client
        .get_activations(ActivationRequest {
            layer_id: 0,
            sample_id: "missing".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(unknown_sample.code(), tonic::Code::NotFound);
    let activations = client
        .get_activations(ActivationRequest {
            layer_id: 0,
            sample_id: "5".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(activations.neurons_count > 0);
    assert!(!activations.shape.is_empty());
    server.shutdown().await;
}
