"""A client nobody here wrote: the public `weightslab` 2.0.3 Python stubs calling our server
by the real method paths."""

import grpc
import pytest


def test_heartbeat_returns_the_hyper_parameters_the_studio_reads(stub):
    pb2, client = stub
    reply = client.ExperimentCommand(pb2.TrainerCommand(get_hyper_parameters=True), timeout=10)
    assert reply.success
    names = {desc.name for desc in reply.hyper_parameters_descs}
    assert {"is_training", "learning_rate", "batch_size", "experiment_name"} <= names
    is_training = next(desc for desc in reply.hyper_parameters_descs if desc.name == "is_training")
    # The Studio lets string_value win over numerical_value: it must stay unset for numbers.
    assert not is_training.HasField("string_value")


def test_pause_is_audited(stub, server):
    pb2, client = stub
    command = pb2.TrainerCommand(
        hyper_parameter_change=pb2.HyperParameterCommand(
            hyper_parameters=pb2.HyperParameters(is_training=False)
        )
    )
    try:
        client.ExperimentCommand(command, timeout=30)
    except grpc.RpcError as error:
        assert error.code() in (grpc.StatusCode.UNIMPLEMENTED,)
    import json, os
    with open(os.path.join(server.log_dir, "audit.jsonl")) as audit:
        actions = [json.loads(line)["action_type"] for line in audit if line.strip()]
    assert "pause" in actions


def test_bad_request_gets_invalid_argument(stub):
    pb2, client = stub
    with pytest.raises(grpc.RpcError) as error:
        client.GetDataSamples(pb2.DataSamplesRequest(start_index=-1, records_cnt=4), timeout=10)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "start_index" in error.value.details()


def test_evaluation_status_uses_the_studio_strings(stub):
    pb2, client = stub
    reply = client.GetEvaluationStatus(pb2.GetEvaluationStatusRequest(), timeout=10)
    assert reply.status in ("idle", "requested", "running", "done", "canceled", "error")


def test_agent_health_answers(stub):
    pb2, client = stub
    reply = client.CheckAgentHealth(pb2.Empty(), timeout=10)
    assert reply.available is False
