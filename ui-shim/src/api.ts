//! The page's gRPC-Web client (see client.ts) on its own origin, the bearer token, the per-tab
//! client id, and turning failures into sentences a person understands.

import { Code, ConnectError } from "@connectrpc/connect";
import { makeClient, makeStudioClient, type Api, type StudioApi } from "./client";

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

/** The token calls go out with now (the grid's page worker sends it along with its own calls). */
export function currentAuth(): { token: string | null; clientId: string } {
  return { token: currentToken, clientId };
}

export const serverAddress: string = location.host || "localhost";

export const api: Api = makeClient(location.origin, currentAuth);
export const studioApi: StudioApi = makeStudioClient(location.origin, currentAuth);

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
