import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { authSearchSchema } from "@/features/auth/redirect";
import { rootRoute } from "./root";

export const signInRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "sign-in",
  validateSearch: authSearchSchema,
  component: lazyRouteComponent(() => import("@/features/auth/SignInPage"), "SignInPage"),
});

export const signUpRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "sign-up",
  validateSearch: authSearchSchema,
  component: lazyRouteComponent(() => import("@/features/auth/SignUpPage"), "SignUpPage"),
});
