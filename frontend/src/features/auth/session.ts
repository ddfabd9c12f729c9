import type { Schemas } from "@/api/client";

export type Role = Schemas["Role"];
export type TokenResponse = Schemas["TokenResponse"];

/** Who is signed in. The access token lives only here, in memory; never in storage. */
export type Session = {
  accessToken: string;
  /** Epoch milliseconds after which the access token is no longer valid. */
  expiresAt: number;
  user: Schemas["UserSummary"];
  org: Schemas["OrgSummary"];
  role: Role;
};

export type SessionState =
  | { status: "unknown"; session: null }
  | { status: "signedOut"; session: null }
  | { status: "signedIn"; session: Session };

/** Refresh this long before the access token expires. */
const refreshMarginMs = 60_000;

type Refresher = () => Promise<TokenResponse | null>;

/**
 * The in-memory session. The refresh token is an HttpOnly cookie the page cannot read, so the
 * session is recovered on load by a silent refresh, kept fresh by a timer before the access token
 * expires, and refreshed once (single-flight) when the API answers 401.
 */
export class SessionStore {
  #state: SessionState = { status: "unknown", session: null };
  #listeners = new Set<() => void>();
  #inflight: Promise<Session | null> | null = null;
  #started: Promise<Session | null> | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #refresher: Refresher;

  constructor(refresher: Refresher) {
    this.#refresher = refresher;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  getSnapshot = (): SessionState => this.#state;

  get current(): Session | null {
    return this.#state.session;
  }

  /** Stores the tokens of a sign-in, sign-up, refresh or organization switch. */
  signIn(tokens: TokenResponse): Session {
    const session: Session = {
      accessToken: tokens.access_token,
      expiresAt: Date.now() + tokens.expires_in * 1000,
      user: tokens.user,
      org: tokens.org,
      role: tokens.role,
    };
    this.#set({ status: "signedIn", session });
    this.#schedule(tokens.expires_in * 1000);
    return session;
  }

  /** Updates the user or role, for example from GET /me, without touching the token. */
  update(patch: Partial<Pick<Session, "user" | "org" | "role">>): void {
    if (this.#state.status !== "signedIn") return;
    this.#set({ status: "signedIn", session: { ...this.#state.session, ...patch } });
  }

  signOut(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#set({ status: "signedOut", session: null });
  }

  /** The first call asks for a session with the refresh cookie; later calls reuse that answer. */
  ensure(): Promise<Session | null> {
    if (this.#state.status !== "unknown") return Promise.resolve(this.current);
    this.#started ??= this.refresh();
    return this.#started;
  }

  /** One refresh at a time: concurrent callers share the same request. */
  refresh(): Promise<Session | null> {
    this.#inflight ??= this.#refresher()
      .then((tokens) => {
        if (tokens) return this.signIn(tokens);
        this.signOut();
        return null;
      })
      .catch(() => {
        // A network failure is not a sign-out; keep a session we already have.
        if (this.#state.status === "unknown") this.signOut();
        return this.current;
      })
      .finally(() => {
        this.#inflight = null;
      });
    return this.#inflight;
  }

  /** Forgets everything; for tests. */
  reset(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#inflight = null;
    this.#started = null;
    this.#state = { status: "unknown", session: null };
    this.#emit();
  }

  #schedule(lifetimeMs: number): void {
    clearTimeout(this.#timer);
    const delay = Math.max(lifetimeMs - refreshMarginMs, lifetimeMs / 2, 5_000);
    this.#timer = setTimeout(() => {
      void this.refresh();
    }, delay);
  }

  #set(state: SessionState): void {
    this.#state = state;
    this.#emit();
  }

  #emit(): void {
    for (const listener of this.#listeners) listener();
  }
}
