import { describe, expect, it, vi } from "vitest";
import { tokens } from "@/test/identity";
import { SessionStore } from "./session";

describe("SessionStore", () => {
  it("refreshes once for concurrent callers", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const refresher = vi.fn(async () => {
      await gate;
      return tokens("editor");
    });
    const store = new SessionStore(refresher);
    const all = Promise.all([store.refresh(), store.refresh(), store.ensure()]);
    release();
    const [a, b, c] = await all;
    expect(refresher).toHaveBeenCalledTimes(1);
    expect(a?.accessToken).toBe(b?.accessToken);
    expect(c?.role).toBe("editor");
    expect(store.getSnapshot().status).toBe("signedIn");
  });

  it("is signed out when there is no refresh cookie", async () => {
    const store = new SessionStore(() => Promise.resolve(null));
    expect(await store.ensure()).toBeNull();
    expect(store.getSnapshot().status).toBe("signedOut");
  });

  it("refreshes before the access token expires", async () => {
    vi.useFakeTimers();
    try {
      const refresher = vi.fn(() => Promise.resolve(tokens("viewer")));
      const store = new SessionStore(refresher);
      store.signIn(tokens("viewer"));
      await vi.advanceTimersByTimeAsync(900_000 - 61_000);
      expect(refresher).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(2_000);
      expect(refresher).toHaveBeenCalledTimes(1);
      store.signOut();
    } finally {
      vi.useRealTimers();
    }
  });

  it("keeps the access token out of storage", () => {
    const store = new SessionStore(() => Promise.resolve(null));
    const answer = tokens("owner");
    store.signIn(answer);
    for (const storage of [localStorage, sessionStorage]) {
      for (let i = 0; i < storage.length; i++) {
        expect(storage.getItem(storage.key(i) ?? "")).not.toContain(answer.access_token);
      }
    }
    expect(document.cookie).not.toContain(answer.access_token);
    store.signOut();
  });
});
