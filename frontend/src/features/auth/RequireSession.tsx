import { useNavigate, useRouterState } from "@tanstack/react-router";
import { useEffect, useRef, type ReactNode } from "react";
import { useSessionState } from "./hooks";

/** Sends the user to the sign-in page, once, when the session ends while a signed-in page is open. */
export function RequireSession({ children }: { children: ReactNode }) {
  const state = useSessionState();
  const navigate = useNavigate();
  const href = useRouterState({ select: (s) => s.location.href });
  const signedOut = state.status === "signedOut";
  const sent = useRef(false);
  useEffect(() => {
    if (!signedOut) {
      sent.current = false;
      return;
    }
    if (sent.current) return;
    sent.current = true;
    void navigate({ to: "/sign-in", search: { redirect: href }, replace: true });
  }, [signedOut, href, navigate]);
  return signedOut ? null : children;
}
