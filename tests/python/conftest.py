"""Fixtures for the interop tests: the public `weightslab` 2.0.3 stubs (loaded without the
package's own __init__, which needs torch) and a real `weightslab` server process."""

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import types

import grpc
import pytest


def _load_public_stubs():
    spec = importlib.util.find_spec("weightslab")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the public `weightslab` package is not installed (pip install --no-deps weightslab==2.0.3)")
    package_dir = spec.submodule_search_locations[0]
    proto_dir = os.path.join(package_dir, "proto")
    # Register bare packages so `from weightslab.proto import ...` inside the generated grpc
    # module resolves to the files without running weightslab/__init__.py.
    for name, path in (("weightslab", package_dir), ("weightslab.proto", proto_dir)):
        module = types.ModuleType(name)
        module.__path__ = [path]
        sys.modules.setdefault(name, module)
    pb2 = importlib.import_module("weightslab.proto.experiment_service_pb2")
    pb2_grpc = importlib.import_module("weightslab.proto.experiment_service_pb2_grpc")
    return pb2, pb2_grpc


@pytest.fixture(scope="session")
def stubs():
    return _load_public_stubs()


class Server:
    def __init__(self, binary, extra_args=(), env=None):
        self.log_dir = tempfile.mkdtemp(prefix="wl-interop-")
        args = [binary, "serve", "--host", "127.0.0.1", "--port", "0", "--log-dir", self.log_dir, "--no-progress", *extra_args]
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full_env)
        self.port = None
        deadline = time.time() + 120
        while time.time() < deadline:
            line = self.process.stdout.readline()
            if not line:
                if self.process.poll() is not None:
                    raise RuntimeError("server exited: " + self.process.stderr.read())
                continue
            found = re.search(r"listening on https?://[^:]+:(\d+)", line)
            if found:
                self.port = int(found.group(1))
                break
        if self.port is None:
            self.stop()
            raise RuntimeError("server did not report its port")
        self.address = f"127.0.0.1:{self.port}"

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def close(self):
        """Stops the server and removes its log folder."""
        code = self.stop()
        shutil.rmtree(self.log_dir, ignore_errors=True)
        return code


@pytest.fixture(scope="session")
def server_binary():
    binary = os.environ.get("WL_SERVER_BIN")
    if not binary or not os.path.exists(binary):
        raise RuntimeError("set WL_SERVER_BIN to the built `weightslab` binary")
    return binary


@pytest.fixture(scope="module")
def server(server_binary):
    running = Server(server_binary)
    yield running
    running.close()


@pytest.fixture()
def stub(server, stubs):
    pb2, pb2_grpc = stubs
    channel = grpc.insecure_channel(server.address)
    grpc.channel_ready_future(channel).result(timeout=30)
    yield pb2, pb2_grpc.ExperimentServiceStub(channel)
    channel.close()
