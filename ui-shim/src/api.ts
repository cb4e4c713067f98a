//! The page's gRPC-Web clients (see client.ts) on its own origin, the bearer token, the per-tab
//! client id, and turning failures into sentences a person understands.

import { Code, ConnectError } from "@connectrpc/connect";
import type { Api, Credentials, StudioApi } from "./client";

const TOKEN_KEY = "weightslab.token";

/** One random id per page load, so the server keeps a separate logger cursor per tab. */
export const clientId: string =
  typeof crypto !== "undefined" && "randomUUID" in crypto
    ? crypto.randomUUID()
    : Math.random().toString(36).slice(2) + Date.now().toString(36);

export function loadToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function saveToken(token: string | null): void {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // Private mode or disabled storage: the token then lives only for this page.
  }
  currentToken = token;
}

let currentToken: string | null = loadToken();

/** The token calls go out with now (the Studio's worker sends it along with its own calls). */
export function currentAuth(): Credentials {
  return { token: currentToken, clientId };
}

export const serverAddress: string = location.host || "localhost";

/** The clients, built when the first call goes out. Building them boots protobuf-es's
 *  descriptors of the whole service, 110–150 ms of this thread on a slow machine, so
 *  client.ts (and the generated code) load as a chunk of their own: none of that runs before
 *  the grid's first screen, whose first pages are decoded without them (see grid/early.ts). */
let clients: Promise<{ api: Api; studio: StudioApi }> | undefined;

function loadClients(): Promise<{ api: Api; studio: StudioApi }> {
  clients ??= import("./client").then((c) => ({
    api: c.makeClient(location.origin, currentAuth),
    studio: c.makeStudioClient(location.origin, currentAuth),
  }));
  return clients;
}

/** A client whose methods wait for the real one, then call it. (Every method the Studio calls
 *  is unary, so each returns a promise either way.) */
function lazyClient<T extends object>(pick: (loaded: { api: Api; studio: StudioApi }) => T): T {
  return new Proxy({} as T, {
    get: (_target, method) => {
      // Not a thenable: `await client` must not look for a `then` method on the server.
      if (typeof method !== "string" || method === "then") return undefined;
      return (...args: unknown[]) =>
        loadClients().then((loaded) => (pick(loaded) as unknown as Record<string, (...a: unknown[]) => unknown>)[method](...args));
    },
  });
}

export const api: Api = lazyClient((loaded) => loaded.api);
export const studioApi: StudioApi = lazyClient((loaded) => loaded.studio);

/** Listeners told when the server asks for a token. */
const authListeners = new Set<() => void>();
export function onAuthRequired(fn: () => void): void {
  authListeners.add(fn);
}

export function isAuthError(err: unknown): boolean {
  return err instanceof ConnectError && err.code === Code.Unauthenticated;
}

/** A short sentence for a failed call: what was being done and what went wrong. */
export function describeError(action: string, err: unknown): string {
  if (err instanceof ConnectError) {
    const detail = err.rawMessage ? `: ${err.rawMessage}` : "";
    switch (err.code) {
      case Code.Unavailable:
      case Code.Unknown:
        if (/fetch|network|Failed/i.test(err.rawMessage))
          return `${action} failed: the server at ${serverAddress} is not reachable.`;
        return `${action} failed${detail}`;
      case Code.Unauthenticated:
        return `${action} needs an access token. Enter the server's token to continue.`;
      case Code.PermissionDenied:
        return `${action} is not allowed with this token${detail}`;
      case Code.DeadlineExceeded:
        return `${action} timed out: the server is busy or unreachable.`;
      case Code.Canceled:
        return `${action} was canceled.`;
      case Code.InvalidArgument:
        return `${action} was rejected${detail}`;
      case Code.NotFound:
        return `${action}: not found${detail}`;
      case Code.Unimplemented:
        return `${action} is not available on this server${detail || "."}`;
      case Code.ResourceExhausted:
        return `${action} failed: the answer was too large or the server is overloaded${detail}`;
      default:
        return `${action} failed${detail}`;
    }
  }
  if (err instanceof Error) return `${action} failed: ${err.message}`;
  return `${action} failed.`;
}

/** Runs one call; on UNAUTHENTICATED it asks the listeners for a token before rethrowing. */
export async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isAuthError(err)) for (const l of authListeners) l();
    throw err;
  }
}
