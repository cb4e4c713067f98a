// What the browser tests in tests/browser/ import: they reuse this package's node_modules and
// the same generated client as the Studio, over a Node gRPC-Web transport.
import { createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-node";
import { ExperimentService, SampleEditType } from "./src/gen/experiment_service_pb.js";
import { StudioService } from "./src/gen/studio_service_pb.js";

export { chromium } from "playwright-core";
export { SampleEditType };

/** A gRPC-Web (binary) ExperimentService client for the server at `baseUrl`, optionally with a
 *  bearer token. */
export function nodeClient(baseUrl, token) {
  return createClient(ExperimentService, transport(baseUrl, token));
}

/** The same for our StudioService. */
export function nodeStudioClient(baseUrl, token) {
  return createClient(StudioService, transport(baseUrl, token));
}

function transport(baseUrl, token) {
  return createGrpcWebTransport({
    baseUrl,
    httpVersion: "1.1",
    useBinaryFormat: true,
    interceptors: token ? [(next) => (req) => (req.header.set("authorization", `Bearer ${token}`), next(req))] : [],
  });
}
