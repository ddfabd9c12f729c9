import type { Middleware } from "openapi-fetch";
import { api, ApiError } from "@/api/client";
import { SessionStore, type TokenResponse } from "./session";

/**
 * Sent with the cookie-authenticated auth calls. A cross-site form cannot set a custom header, so
 * the server can tell these requests come from this app (CSRF defence next to SameSite=Strict).
 */
export const csrfHeaders = { "X-Requested-With": "datanika" } as const;

/** POST /api/v1/auth/refresh with the HttpOnly cookie: new tokens, or null when there is no session. */
async function refreshWithCookie(): Promise<TokenResponse | null> {
  const { data, error, response } = await api.POST("/api/v1/auth/refresh", {
    headers: csrfHeaders,
    credentials: "same-origin",
  });
  if (data) return data;
  if (response.status >= 400 && response.status < 500) return null;
  throw new ApiError(response.status, error);
}

/** The one session of this tab. */
export const session = new SessionStore(refreshWithCookie);

/** Calls that authenticate by their body or the refresh cookie, never by the access token. */
const publicPaths = new Set([
  "/api/v1/auth/signup",
  "/api/v1/auth/login",
  "/api/v1/auth/refresh",
  "/api/v1/auth/logout",
]);

const retryable = new Map<string, Request>();

/**
 * Adds `Authorization: Bearer` to API calls and, when one answers 401, refreshes the session once
 * (shared by every call that failed at the same time) and repeats the call with the new token. When
 * the refresh fails the session ends, and the app sends the user to the sign-in page.
 */
export const authMiddleware: Middleware = {
  onRequest({ request, schemaPath, id }) {
    if (publicPaths.has(schemaPath)) return undefined;
    const token = session.current?.accessToken;
    if (!token) return undefined;
    request.headers.set("Authorization", `Bearer ${token}`);
    retryable.set(id, request.clone());
    return request;
  },
  async onResponse({ response, id }) {
    const original = retryable.get(id);
    retryable.delete(id);
    if (response.status !== 401 || !original) return undefined;
    const sentWith = original.headers.get("Authorization");
    // Another call may have refreshed already; only refresh when this call used the current token.
    const fresh =
      session.current && `Bearer ${session.current.accessToken}` !== sentWith ? session.current : await session.refresh();
    if (!fresh) {
      session.signOut();
      return undefined;
    }
    original.headers.set("Authorization", `Bearer ${fresh.accessToken}`);
    return globalThis.fetch(original);
  },
  onError({ id }) {
    retryable.delete(id);
    return undefined;
  },
};

api.use(authMiddleware);

/** Ends the session here and on the server (which revokes the refresh token and clears the cookie). */
export async function logout(): Promise<void> {
  try {
    await api.POST("/api/v1/auth/logout", { headers: csrfHeaders, credentials: "same-origin" });
  } finally {
    session.signOut();
  }
}
