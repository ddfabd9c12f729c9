import { useSearch } from "@tanstack/react-router";
import { AuthPage } from "./AuthPage";

export function SignUpPage() {
  const { redirect } = useSearch({ from: "/sign-up" });
  return <AuthPage kind="signUp" redirect={redirect} />;
}
