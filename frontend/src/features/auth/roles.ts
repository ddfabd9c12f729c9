import type { Role } from "./session";

/** Roles from least to most powerful (SPEC §4). */
export const roles = ["viewer", "editor", "admin", "owner"] as const satisfies readonly Role[];

/** True when `role` is at least `needed`. */
export function hasRole(role: Role | undefined, needed: Role): boolean {
  if (!role) return false;
  return roles.indexOf(role) >= roles.indexOf(needed);
}

/** The roles a member with `role` may hand out: admins up to admin, owners every role. */
export function assignableRoles(role: Role | undefined): Role[] {
  if (role === "owner") return [...roles].reverse();
  if (role === "admin") return ["admin", "editor", "viewer"];
  return [];
}
