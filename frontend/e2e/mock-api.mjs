// A stand-in for the Go server's API, answering per openapi.yaml: the operations endpoints, the
// version, and identity (sign-up, sign-in, refresh cookie, members, invitations, API keys, audit log)
// kept in memory with the role rules of SPEC §4. Only for running the end-to-end tests against
// `vite preview` while the Go server is not at hand; the tests themselves assume nothing beyond the
// contract.
import { randomBytes } from "node:crypto";
import http from "node:http";

const roles = ["viewer", "editor", "admin", "owner"];
const atLeast = (/** @type {string} */ role, /** @type {string} */ needed) => roles.indexOf(role) >= roles.indexOf(needed);
const now = () => new Date().toISOString();
const str = (/** @type {unknown} */ value) => (typeof value === "string" ? value : "");
const token = (/** @type {string} */ prefix) => `${prefix}${randomBytes(24).toString("base64url")}`;

function createState() {
  /** @type {{id: number, email: string, full_name: string, password: string}[]} */
  const users = [];
  /** @type {{id: number, name: string, slug: string, default_schema: string, created_at: string, updated_at: string}[]} */
  const orgs = [];
  /** @type {{org_id: number, user_id: number, role: string, joined_at: string}[]} */
  const members = [];
  /** @type {{id: number, org_id: number, email: string, role: string, expires_at: string, token: string}[]} */
  const invitations = [];
  /** @type {{id: number, org_id: number, name: string, prefix: string, scopes: string[], expires_at: string | null, last_used_at: string | null, created_by: number, created_at: string, key: string}[]} */
  const keys = [];
  /** @type {Map<string, {user_id: number, org_id: number}>} */
  const access = new Map();
  /** @type {Map<string, {user_id: number, org_id: number}>} */
  const refresh = new Map();
  /** @type {Record<string, unknown>[]} */
  const audit = [];
  return { users, orgs, members, invitations, keys, access, refresh, audit, nextId: 1 };
}

/**
 * @param {number} port 0 picks a free port
 * @returns {Promise<{ server: http.Server, port: number }>}
 */
export function startMockApi(port = 0) {
  const db = createState();
  const id = () => db.nextId++;
  const summary = (/** @type {number} */ userId) => {
    const u = db.users.find((x) => x.id === userId);
    return u ? { id: u.id, email: u.email, full_name: u.full_name } : { id: userId, email: "", full_name: "" };
  };
  const orgSummary = (/** @type {number} */ orgId) => {
    const o = db.orgs.find((x) => x.id === orgId);
    return o ? { id: o.id, name: o.name, slug: o.slug } : { id: orgId, name: "", slug: "" };
  };
  const membership = (/** @type {number} */ userId, /** @type {number} */ orgId) =>
    db.members.find((m) => m.user_id === userId && m.org_id === orgId);

  /** Tokens for a membership, and the refresh cookie. */
  function issue(/** @type {http.ServerResponse} */ res, /** @type {number} */ userId, /** @type {number} */ orgId, status = 200) {
    const a = token("at_");
    const r = token("rt_");
    db.access.set(a, { user_id: userId, org_id: orgId });
    db.refresh.set(r, { user_id: userId, org_id: orgId });
    res.setHeader("Set-Cookie", `datanika_refresh=${r}; Path=/api/v1/auth; HttpOnly; SameSite=Strict`);
    return [
      status,
      {
        user: summary(userId),
        org: orgSummary(orgId),
        role: membership(userId, orgId)?.role ?? "viewer",
        access_token: a,
        refresh_token: r,
        expires_in: 900,
        token_type: "Bearer",
      },
    ];
  }

  const problem = (/** @type {number} */ status, /** @type {string} */ detail, /** @type {unknown[]} */ errors = []) => [
    status,
    { type: "urn:datanika:problem:mock", title: http.STATUS_CODES[status] ?? "Error", status, detail, errors },
    "application/problem+json",
  ];

  /** The caller of a bearer-authenticated request: a user in an org with a role, or null. */
  function caller(/** @type {http.IncomingMessage} */ req) {
    const header = req.headers.authorization ?? "";
    const bearer = header.startsWith("Bearer ") ? header.slice(7) : "";
    const viaToken = db.access.get(bearer);
    if (viaToken) {
      const m = membership(viaToken.user_id, viaToken.org_id);
      return m ? { user_id: m.user_id, org_id: m.org_id, role: m.role } : null;
    }
    const key = db.keys.find((k) => k.key === bearer);
    if (key) {
      const m = membership(key.created_by, key.org_id);
      if (!m) return null;
      key.last_used_at = now();
      const scopeRole = key.scopes.includes("admin") ? "admin" : key.scopes.includes("write") ? "editor" : "viewer";
      return { user_id: m.user_id, org_id: m.org_id, role: atLeast(m.role, scopeRole) ? scopeRole : m.role };
    }
    return null;
  }

  function record(/** @type {{user_id: number, org_id: number}} */ who, /** @type {string} */ action, /** @type {string} */ type, /** @type {string | number | null} */ resourceId, /** @type {unknown} */ oldValues, /** @type {unknown} */ newValues) {
    db.audit.unshift({
      id: id(),
      org_id: who.org_id,
      at: now(),
      actor: { type: "user", id: who.user_id, name: summary(who.user_id).full_name },
      action,
      resource_type: type,
      resource_id: resourceId == null ? null : String(resourceId),
      old_values: oldValues ?? null,
      new_values: newValues ?? null,
      ip: "127.0.0.1",
      user_agent: "mock",
    });
  }

  const memberJson = (/** @type {{org_id: number, user_id: number, role: string, joined_at: string}} */ m) => ({
    user_id: m.user_id,
    email: summary(m.user_id).email,
    full_name: summary(m.user_id).full_name,
    role: m.role,
    joined_at: m.joined_at,
  });
  const keyJson = (/** @type {typeof db.keys[number]} */ k) => ({
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    scopes: k.scopes,
    expires_at: k.expires_at,
    last_used_at: k.last_used_at,
    created_by: summary(k.created_by),
    created_at: k.created_at,
  });

  /** @returns {unknown[]} [status, body, contentType] */
  function route(/** @type {http.IncomingMessage} */ req, /** @type {http.ServerResponse} */ res, /** @type {URL} */ url, /** @type {Record<string, unknown>} */ body) {
    const { pathname } = url;
    const method = req.method ?? "GET";
    if (method === "GET" && pathname === "/readyz") {
      return [200, {
        status: "ready",
        database: { ok: true, latency_ms: 2 },
        migrations: { ok: true, version: 1, expected_version: 1, dirty: false, queue_version: 6 },
        worker_heartbeat_at: now(),
      }];
    }
    if (method === "GET" && pathname === "/api/v1/version") return [200, { version: "0.0.0-e2e", commit: "e2e-mock", go_version: "mock" }];

    if (method === "GET" && pathname === "/api/v1/auth/providers") return [200, { providers: [] }];
    if (method === "POST" && pathname === "/api/v1/auth/signup") {
      const email = str(body.email).trim().toLowerCase();
      const pw = str(body.password);
      /** @type {{field: string, message: string}[]} */
      const errors = [];
      if (!/^[^\s@]+@[^\s@]+$/.test(email)) errors.push({ field: "email", message: "is not an email address" });
      if (pw.length < 10 || Buffer.byteLength(pw) > 72 || pw.toLowerCase() === email) errors.push({ field: "password", message: "does not meet the rules" });
      if (!str(body.full_name).trim()) errors.push({ field: "full_name", message: "is required" });
      if (db.users.some((u) => u.email === email)) errors.push({ field: "email", message: "is already registered" });
      if (errors.length) return problem(422, "The sign-up is not valid.", errors);
      const inviteToken = str(body.invite_token);
      const invitation = inviteToken ? db.invitations.find((i) => i.token === inviteToken) : undefined;
      if (inviteToken && invitation?.email !== email) return problem(422, "The invitation is not valid.", [{ field: "invite_token", message: "is not valid" }]);
      const user = { id: id(), email, full_name: str(body.full_name).trim(), password: pw };
      db.users.push(user);
      let orgId;
      if (invitation) {
        orgId = invitation.org_id;
        db.members.push({ org_id: orgId, user_id: user.id, role: invitation.role, joined_at: now() });
        db.invitations.splice(db.invitations.indexOf(invitation), 1);
      } else {
        const name = str(body.org_name).trim() || `${user.full_name}'s organization`;
        const org = { id: id(), name, slug: `org-${String(db.nextId)}`, default_schema: "analytics", created_at: now(), updated_at: now() };
        db.orgs.push(org);
        orgId = org.id;
        db.members.push({ org_id: orgId, user_id: user.id, role: "owner", joined_at: now() });
      }
      return issue(res, user.id, orgId, 201);
    }
    if (method === "POST" && pathname === "/api/v1/auth/login") {
      const user = db.users.find((u) => u.email === str(body.email).trim().toLowerCase() && u.password === body.password);
      const first = user && db.members.find((m) => m.user_id === user.id);
      if (!user || !first) return problem(401, "The email or password is wrong.");
      return issue(res, user.id, first.org_id);
    }
    if (method === "POST" && pathname === "/api/v1/auth/refresh") {
      const cookie = /(?:^|;\s*)datanika_refresh=([^;]+)/.exec(req.headers.cookie ?? "")?.[1] ?? (typeof body.refresh_token === "string" ? body.refresh_token : undefined);
      const found = cookie ? db.refresh.get(cookie) : undefined;
      if (!cookie || !found || !membership(found.user_id, found.org_id)) return problem(401, "No valid refresh token.");
      db.refresh.delete(cookie);
      return issue(res, found.user_id, found.org_id);
    }
    if (method === "POST" && pathname === "/api/v1/auth/logout") {
      const cookie = /(?:^|;\s*)datanika_refresh=([^;]+)/.exec(req.headers.cookie ?? "")?.[1];
      if (cookie) db.refresh.delete(cookie);
      res.setHeader("Set-Cookie", "datanika_refresh=; Path=/api/v1/auth; HttpOnly; SameSite=Strict; Max-Age=0");
      return [204, null];
    }

    const who = caller(req);
    if (!who) return problem(401, "Sign in first.");
    const need = (/** @type {string} */ role) => (atLeast(who.role, role) ? null : problem(403, `This needs the ${role} role.`));

    if (method === "POST" && pathname === "/api/v1/auth/switch-org") {
      if (!membership(who.user_id, Number(body.org_id))) return problem(404, "No such organization.");
      return issue(res, who.user_id, Number(body.org_id));
    }
    if (method === "GET" && pathname === "/api/v1/me") {
      return [200, {
        user: summary(who.user_id),
        org: orgSummary(who.org_id),
        role: who.role,
        memberships: db.members.filter((m) => m.user_id === who.user_id).map((m) => ({ org: orgSummary(m.org_id), role: m.role })),
      }];
    }
    const org = db.orgs.find((o) => o.id === who.org_id);
    if (!org) return problem(404, "No such organization.");
    if (pathname === "/api/v1/org") {
      if (method === "GET") return [200, org];
      if (method === "PATCH") {
        const denied = need("admin");
        if (denied) return denied;
        const old = { ...org };
        for (const field of ["name", "slug", "default_schema"]) {
          const value = body[field];
          if (typeof value === "string") Object.assign(org, { [field]: value });
        }
        org.updated_at = now();
        record(who, "org.update", "org", org.id, old, org);
        return [200, org];
      }
      if (method === "DELETE") {
        const denied = need("owner");
        if (denied) return denied;
        db.orgs.splice(db.orgs.indexOf(org), 1);
        for (const m of db.members.filter((x) => x.org_id === org.id)) db.members.splice(db.members.indexOf(m), 1);
        return [204, null];
      }
    }
    if (pathname === "/api/v1/members") {
      if (method === "GET") return [200, { items: db.members.filter((m) => m.org_id === org.id).map(memberJson), next_cursor: null }];
      if (method === "POST") {
        const denied = need("admin");
        if (denied) return denied;
        if (body.role === "owner" && who.role !== "owner") return problem(403, "Only owners grant owner.");
        const email = str(body.email).trim().toLowerCase();
        const existing = db.users.find((u) => u.email === email);
        if (existing) {
          if (membership(existing.id, org.id)) return problem(409, "Already a member.", [{ field: "email", message: "is already a member" }]);
          const m = { org_id: org.id, user_id: existing.id, role: str(body.role), joined_at: now() };
          db.members.push(m);
          record(who, "member.add", "member", existing.id, null, { role: m.role });
          return [201, memberJson(m)];
        }
        const invitation = { id: id(), org_id: org.id, email, role: str(body.role), expires_at: new Date(Date.now() + 7 * 864e5).toISOString(), token: token("inv_") };
        db.invitations.push(invitation);
        record(who, "invitation.create", "invitation", invitation.id, null, { email, role: invitation.role });
        const origin = `http://${req.headers.host ?? "localhost"}`;
        return [202, { id: invitation.id, email, role: invitation.role, expires_at: invitation.expires_at, emailed: false, accept_url: `${origin}/invite?token=${invitation.token}&email=${encodeURIComponent(email)}` }];
      }
    }
    const memberPath = /^\/api\/v1\/members\/(\d+)$/.exec(pathname);
    if (memberPath) {
      const denied = need("admin");
      if (denied) return denied;
      const m = membership(Number(memberPath[1]), org.id);
      if (!m) return problem(404, "No such member.");
      if ((m.role === "owner" || body.role === "owner") && who.role !== "owner") return problem(403, "Only owners grant or revoke owner.");
      if (method === "PATCH") {
        const old = m.role;
        m.role = str(body.role);
        record(who, "member.update", "member", m.user_id, { role: old }, { role: m.role });
        return [200, memberJson(m)];
      }
      if (method === "DELETE") {
        db.members.splice(db.members.indexOf(m), 1);
        record(who, "member.remove", "member", m.user_id, { role: m.role }, null);
        return [204, null];
      }
    }
    if (pathname === "/api/v1/invitations" && method === "GET") {
      const denied = need("admin");
      if (denied) return denied;
      return [200, { items: db.invitations.filter((i) => i.org_id === org.id).map(({ id: iid, email, role, expires_at }) => ({ id: iid, email, role, expires_at })), next_cursor: null }];
    }
    const invitationPath = /^\/api\/v1\/invitations\/(\d+)$/.exec(pathname);
    if (invitationPath && method === "DELETE") {
      const denied = need("admin");
      if (denied) return denied;
      const i = db.invitations.find((x) => x.id === Number(invitationPath[1]) && x.org_id === org.id);
      if (!i) return problem(404, "No such invitation.");
      db.invitations.splice(db.invitations.indexOf(i), 1);
      return [204, null];
    }
    if (pathname === "/api/v1/api-keys") {
      const denied = need("admin");
      if (denied) return denied;
      if (method === "GET") return [200, { items: db.keys.filter((k) => k.org_id === org.id).map(keyJson), next_cursor: null }];
      if (method === "POST") {
        if (!str(body.name).trim()) return problem(422, "The key is not valid.", [{ field: "name", message: "is required" }]);
        const raw = token("dnk_");
        const k = { id: id(), org_id: org.id, name: str(body.name), prefix: raw.slice(0, 8), scopes: Array.isArray(body.scopes) ? body.scopes.map(String) : ["read"], expires_at: typeof body.expires_at === "string" ? body.expires_at : null, last_used_at: null, created_by: who.user_id, created_at: now(), key: raw };
        db.keys.push(k);
        record(who, "api_key.create", "api_key", k.id, null, { name: k.name, scopes: k.scopes });
        return [201, { ...keyJson(k), key: raw }];
      }
    }
    const keyPath = /^\/api\/v1\/api-keys\/(\d+)$/.exec(pathname);
    if (keyPath && method === "DELETE") {
      const denied = need("admin");
      if (denied) return denied;
      const k = db.keys.find((x) => x.id === Number(keyPath[1]) && x.org_id === org.id);
      if (!k) return problem(404, "No such key.");
      db.keys.splice(db.keys.indexOf(k), 1);
      return [204, null];
    }
    if (pathname === "/api/v1/audit-logs" && method === "GET") {
      const denied = need("admin");
      if (denied) return denied;
      const items = db.audit
        .filter((e) => e.org_id === org.id)
        .filter((e) => !url.searchParams.get("action") || e.action === url.searchParams.get("action"))
        .map((e) => Object.fromEntries(Object.entries(e).filter(([k]) => k !== "org_id")));
      return [200, { items, next_cursor: null }];
    }
    return problem(404, "Not found.");
  }

  const server = http.createServer((req, res) => {
    const chunks = /** @type {Buffer[]} */ ([]);
    req.on("data", (/** @type {Buffer} */ chunk) => chunks.push(chunk));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://localhost");
      /** @type {Record<string, unknown>} */
      let body = {};
      try {
        const parsed = /** @type {unknown} */ (chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : {});
        if (typeof parsed === "object" && parsed !== null) body = /** @type {Record<string, unknown>} */ (parsed);
      } catch {
        body = {};
      }
      const [status, payload, type = "application/json"] = route(req, res, url, body);
      if (status === 204 || payload === null) {
        res.writeHead(Number(status));
        res.end();
        return;
      }
      res.writeHead(Number(status), { "Content-Type": str(type) });
      res.end(JSON.stringify(payload));
    });
  });
  return new Promise((resolve) => {
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      resolve({ server, port: typeof address === "object" && address ? address.port : port });
    });
  });
}
