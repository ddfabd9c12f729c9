import { useSearch } from "@tanstack/react-router";
import { AuthPage } from "./AuthPage";

export function SignInPage() {
  const { redirect } = useSearch({ from: "/sign-in" });
  return <AuthPage kind="signIn" redirect={redirect} />;
}
