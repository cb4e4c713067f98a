//! A gRPC-Web client of the ExperimentService on one origin that sends the bearer token and the
//! tab's client id with every call; the page's own client and the grid's page worker share it.

import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { ExperimentService } from "./gen/experiment_service_pb.js";

export type Api = Client<typeof ExperimentService>;

/** What goes out with each call: read at call time, since the token may change. */
export type Auth = () => { token: string | null; clientId: string };

export function makeClient(origin: string, auth: Auth): Api {
  return createClient(
    ExperimentService,
    createGrpcWebTransport({
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
    }),
  );
}
