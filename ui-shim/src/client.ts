//! gRPC-Web clients on one origin that send the bearer token and the tab's client id with every
//! call: the ExperimentService client and the client of our StudioService (the page and the
//! Studio's worker each make their own from here).

import { createClient, type Client, type Transport } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { ExperimentService } from "./gen/experiment_service_pb.js";
import { StudioService } from "./gen/studio_service_pb.js";

export type Api = Client<typeof ExperimentService>;
export type StudioApi = Client<typeof StudioService>;

/** The bearer token (if any) and the tab's client id. */
export interface Credentials {
  token: string | null;
  clientId: string;
}

/** What goes out with each call: read at call time, since the token may change. */
export type Auth = () => Credentials;

export function makeClient(origin: string, auth: Auth): Api {
  return createClient(ExperimentService, makeTransport(origin, auth));
}

export function makeStudioClient(origin: string, auth: Auth): StudioApi {
  return createClient(StudioService, makeTransport(origin, auth));
}

function makeTransport(origin: string, auth: Auth): Transport {
  return createGrpcWebTransport({
    baseUrl: origin,
    useBinaryFormat: true,
    interceptors: [
      (next) => async (req) => {
        const { token, clientId } = auth();
        if (token) req.header.set("authorization", `Bearer ${token}`);
        req.header.set("x-wl-client-id", clientId);
        return next(req);
      },
    ],
  });
}
