import { http, HttpResponse } from "msw";
import type { Schemas } from "@/api/client";
import type { Role } from "@/features/auth/session";

/** Test fixtures for identity: the signed-in user, their organizations and tokens. */
export const testUser: Schemas["UserSummary"] = { id: 7, email: "ada@example.com", full_name: "Ada Lovelace" };
export const testOrg: Schemas["OrgSummary"] = { id: 1, name: "Analytical Engines", slug: "analytical-engines" };
export const otherOrg: Schemas["OrgSummary"] = { id: 2, name: "Difference Ltd", slug: "difference" };

let counter = 0;

export function tokens(role: Role = "owner", org = testOrg): Schemas["TokenResponse"] {
  counter += 1;
  return {
    user: testUser,
    org,
    role,
    access_token: `access-${String(counter)}`,
    refresh_token: `refresh-${String(counter)}`,
    expires_in: 900,
    token_type: "Bearer",
  };
}

export function me(role: Role = "owner", org = testOrg): Schemas["Me"] {
  return {
    user: testUser,
    org,
    role,
    memberships: [
      { org: testOrg, role },
      { org: otherOrg, role: "viewer" },
    ],
  };
}

export function problem(status: number, detail: string, extra: Partial<Schemas["Problem"]> = {}, headers: Record<string, string> = {}) {
  return HttpResponse.json<Schemas["Problem"]>(
    { type: "urn:datanika:problem:test", title: "Error", status, detail, ...extra },
    { status, headers: { "Content-Type": "application/problem+json", ...headers } },
  );
}

/** Signs the test in with `role`: the silent refresh on load answers tokens. */
export function signedInAs(role: Role) {
  return [
    http.post("/api/v1/auth/refresh", () => HttpResponse.json(tokens(role))),
    http.get("/api/v1/me", () => HttpResponse.json(me(role))),
  ];
}

/** Nobody is signed in: the refresh cookie is missing. */
export const signedOut = [http.post("/api/v1/auth/refresh", () => problem(401, "No refresh token."))];
