//! Decodes the byte-level test vectors of the wire contract (requests exactly as the
//! 2.0.3 Studio builds them) and checks every field, presence included.

use super::*;
use base64::Engine;
use prost::Message;

fn hex_bytes(text: &str) -> Vec<u8> {
    text.split_whitespace()
        .map(|pair| u8::from_str_radix(pair, 16).expect("test vector is hex"))
        .collect()
}

/// Unwraps a grpc-web-text request body: base64 of one uncompressed data frame.
fn unframe_text_body(body: &str) -> Vec<u8> {
    let frame = base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("body is base64");
    assert_eq!(frame[0], 0x00, "data frame flag");
    let length = u32::from_be_bytes([frame[1], frame[2], frame[3], frame[4]]) as usize;
    assert_eq!(frame.len(), 5 + length, "frame length prefix");
    frame[5..].to_vec()
}

fn check_both<M: Message + Default + PartialEq + std::fmt::Debug>(hex: &str, body: &str) -> M {
    let from_hex = M::decode(hex_bytes(hex).as_slice()).expect("hex decodes");
    let from_body = M::decode(unframe_text_body(body).as_slice()).expect("body decodes");
    assert_eq!(from_hex, from_body);
    // Re-encoding reproduces the client's bytes: same field order, defaults omitted.
    assert_eq!(from_hex.encode_to_vec(), hex_bytes(hex));
    from_hex
}

#[test]
fn vector_1_grid_chunk() {
    let request: DataSamplesRequest = check_both("10 10 20 01 30 60 38 60", "AAAAAAgQECABMGA4YA==");
    assert_eq!(request.start_index, 0);
    assert_eq!(request.records_cnt, 16);
    assert!(request.include_raw_data);
    assert!(!request.include_transformed_data);
    assert!(request.stats_to_retrieve.is_empty());
    assert_eq!((request.resize_width, request.resize_height), (96, 96));
}

#[test]
fn vector_1b_negative_resize_is_a_ten_byte_varint() {
    let request: DataSamplesRequest = check_both(
        "08 20 10 10 20 01 30 ce ff ff ff ff ff ff ff ff 01 38 ce ff ff ff ff ff ff ff ff 01",
        "AAAAABwIIBAQIAEwzv//////////ATjO//////////8B",
    );
    assert_eq!(request.start_index, 32);
    assert_eq!(request.records_cnt, 16);
    assert!(request.include_raw_data);
    assert_eq!((request.resize_width, request.resize_height), (-50, -50));
}

#[test]
fn vector_2_discard_uses_string_ids() {
    let request: DataEditsRequest = check_both(
        "0a 09 64 69 73 63 61 72 64 65 64 20 01 32 01 35 32 01 37 3a 05 74 72 61 69 6e 3a 05 74 72 61 69 6e",
        "AAAAACEKCWRpc2NhcmRlZCABMgE1MgE3OgV0cmFpbjoFdHJhaW4=",
    );
    assert_eq!(request.stat_name, "discarded");
    assert!(request.bool_value);
    assert_eq!(request.r#type(), SampleEditType::EditOverride);
    assert_eq!(request.samples_ids, ["5", "7"]);
    assert_eq!(request.sample_origins, ["train", "train"]);
}

#[test]
fn vector_2b_tag_add() {
    let request: DataEditsRequest = check_both(
        "0a 04 74 61 67 73 1a 04 68 61 72 64 28 01 32 02 31 32 3a 04 74 65 73 74",
        "AAAAABgKBHRhZ3MaBGhhcmQoATICMTI6BHRlc3Q=",
    );
    assert_eq!(request.stat_name, "tags");
    assert_eq!(request.string_value, "hard");
    assert_eq!(request.r#type(), SampleEditType::EditAccumulate);
    assert_eq!(request.samples_ids, ["12"]);
    assert_eq!(request.sample_origins, ["test"]);
}

#[test]
fn vector_3_sort_query() {
    let request: DataQueryRequest = check_both(
        "0a 1e 73 6f 72 74 62 79 20 6f 72 69 67 69 6e 20 61 73 63 20 73 63 6f 70 65 3a 67 6c 6f 62 61 6c",
        "AAAAACAKHnNvcnRieSBvcmlnaW4gYXNjIHNjb3BlOmdsb2JhbA==",
    );
    assert_eq!(request.query, "sortby origin asc scope:global");
    assert!(!request.accumulate);
    assert!(!request.is_natural_language);
}

#[test]
fn vector_3b_empty_bodies() {
    assert_eq!(unframe_text_body("AAAAAAA="), Vec::<u8>::new());
    let query = DataQueryRequest::decode(&[][..]).expect("empty decodes");
    assert_eq!(query.query, "");
    Empty::decode(&[][..]).expect("empty decodes");
    GetEvaluationStatusRequest::decode(&[][..]).expect("empty decodes");
    ListExperimentRunsRequest::decode(&[][..]).expect("empty decodes");
}

#[test]
fn vector_3c_reset() {
    let request: DataQueryRequest =
        check_both("0a 06 40 72 65 73 65 74 18 01", "AAAAAAoKBkByZXNldBgB");
    assert_eq!(request.query, "@reset");
    assert!(request.is_natural_language);
}

fn hyper_parameters_of(command: &TrainerCommand) -> &HyperParameters {
    command
        .hyper_parameter_change
        .as_ref()
        .and_then(|change| change.hyper_parameters.as_ref())
        .expect("hyper parameters present")
}

#[test]
fn vector_4_pause_keeps_explicit_false() {
    let command: TrainerCommand = check_both("0a 04 0a 02 38 00", "AAAAAAYKBAoCOAA=");
    let hyper_parameters = hyper_parameters_of(&command);
    assert_eq!(hyper_parameters.is_training, Some(false));
    assert_eq!(hyper_parameters.auditor_mode, None);
    assert!(!command.get_hyper_parameters);
}

#[test]
fn vector_4b_resume_in_train_mode() {
    let command: TrainerCommand = check_both("0a 06 0a 04 38 01 48 00", "AAAAAAgKBgoEOAFIAA==");
    let hyper_parameters = hyper_parameters_of(&command);
    assert_eq!(hyper_parameters.is_training, Some(true));
    assert_eq!(hyper_parameters.auditor_mode, Some(false));
}

#[test]
fn vector_4c_heartbeat() {
    let command: TrainerCommand = check_both("20 01", "AAAAAAIgAQ==");
    assert!(command.get_hyper_parameters);
    assert!(command.hyper_parameter_change.is_none());
}

#[test]
fn response_encoding_matches_the_contract() {
    let response = DataSplitsResponse {
        success: true,
        split_names: vec!["train".into(), "test".into()],
    };
    assert_eq!(
        response.encode_to_vec(),
        hex_bytes("08 01 12 05 74 72 61 69 6e 12 04 74 65 73 74")
    );
}

#[test]
fn service_path_has_no_package_prefix() {
    // tonic routes by this name: /ExperimentService/<Method>.
    assert_eq!(experiment_service_server::SERVICE_NAME, SERVICE_NAME);
    let needle = SERVICE_NAME.as_bytes();
    assert!(
        FILE_DESCRIPTOR_SET
            .windows(needle.len())
            .any(|window| window == needle)
    );
}
