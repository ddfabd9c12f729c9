import { createRoute, lazyRouteComponent, redirect } from "@tanstack/react-router";
import { session } from "@/features/auth/auth";
import { authSearchSchema, inviteSearchSchema, signInSearchSchema } from "@/features/auth/redirect";
import { rootRoute } from "./root";

export const signInRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "sign-in",
  validateSearch: signInSearchSchema,
  component: lazyRouteComponent(() => import("@/features/auth/SignInPage"), "SignInPage"),
});

export const signUpRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "sign-up",
  validateSearch: authSearchSchema,
  component: lazyRouteComponent(() => import("@/features/auth/SignUpPage"), "SignUpPage"),
});

export const inviteRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "invite",
  validateSearch: inviteSearchSchema,
  component: lazyRouteComponent(() => import("@/features/auth/InvitePage"), "InvitePage"),
});

/**
 * Where the OAuth callback lands after setting the refresh cookie: the silent refresh on load has
 * signed the user in, so go on to the page they came from (or back to sign-in if it failed).
 */
export const oauthCompleteRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "auth/complete",
  validateSearch: authSearchSchema,
  beforeLoad: async ({ search }) => {
    const current = (await session.ensure()) ?? (await session.refresh());
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- TanStack Router's redirect protocol
    throw current
      ? redirect({ href: search.redirect ?? "/", replace: true })
      : redirect({ to: "/sign-in", search: { oauth_error: "failed" }, replace: true });
  },
});
