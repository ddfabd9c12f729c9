import { queryOptions, useQuery } from "@tanstack/react-query";
import { useSyncExternalStore } from "react";
import { api } from "@/api/client";
import { unwrap } from "@/api/unwrap";
import { session } from "./auth";
import { hasRole } from "./roles";
import type { Role, SessionState } from "./session";

export function useSessionState(): SessionState {
  return useSyncExternalStore(session.subscribe, session.getSnapshot, session.getSnapshot);
}

/** The signed-in session; null while signed out. */
export function useSession() {
  return useSessionState().session;
}

/** The current role in the current organization. */
export function useRole(): Role | undefined {
  return useSession()?.role;
}

/** True when the current role is at least `needed`. */
export function useHasRole(needed: Role): boolean {
  return hasRole(useRole(), needed);
}

/** The query keys of the signed-in user. */
export const authKeys = {
  me: ["me"] as const,
  providers: ["auth-providers"] as const,
};

export const meQuery = queryOptions({
  queryKey: authKeys.me,
  queryFn: async ({ signal }) => {
    const data = unwrap(await api.GET("/api/v1/me", { signal }));
    // GET /me carries the current role, which an admin may have changed since the token was issued.
    session.update({ user: data.user, org: data.org, role: data.role });
    return data;
  },
});

export function useMe() {
  const signedIn = useSession() !== null;
  return useQuery({ ...meQuery, enabled: signedIn });
}
