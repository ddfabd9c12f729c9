import { describe, expect, it } from "vitest";
import { postgresType, restApiType } from "@/test/connections";
import {
  asSchema,
  changedTargets,
  hasMaskedSecret,
  initialValue,
  InvalidJson,
  kindOf,
  maskedSecretPaths,
  prune,
  secretMask,
  validate,
} from "./schema";

const postgres = asSchema(postgresType.config_schema);
const restApi = asSchema(restApiType.config_schema);

describe("config schema", () => {
  it("picks a control per property", () => {
    const kinds = Object.fromEntries(Object.entries(postgres.properties ?? {}).map(([name, s]) => [name, kindOf(name, s)]));
    expect(kinds).toEqual({
      host: "string",
      port: "integer",
      database: "string",
      user: "string",
      password: "secret",
      sslmode: "enum",
      schema: "string",
    });
    const rest = restApi.properties ?? {};
    expect(kindOf("headers", rest.headers ?? {})).toBe("json");
    expect(kindOf("auth", rest.auth ?? {})).toBe("object");
    expect(kindOf("resources", rest.resources ?? {})).toBe("objectList");
    expect(kindOf("scopes", { type: "array", items: { type: "string" } })).toBe("stringList");
    expect(kindOf("file_id", { type: "integer" })).toBe("file");
    expect(kindOf("initial_value", { type: ["string", "number"] })).toBe("json");
  });

  it("starts from the defaults, with required lists holding their first item", () => {
    expect(initialValue(postgres)).toEqual({ port: 5432, sslmode: "prefer" });
    expect(initialValue(restApi)).toEqual({ resources: [{}] });
  });

  it("leaves out empty texts and untouched objects", () => {
    expect(prune({ host: "", port: 5432, auth: {}, nested: { a: "" }, list: [{ name: "x", path: "" }] })).toEqual({
      port: 5432,
      list: [{ name: "x" }],
    });
  });

  it("reports missing required fields and bad JSON by field path", () => {
    expect(validate(postgres, { port: 5432 })).toEqual({
      "config.host": "required",
      "config.database": "required",
      "config.user": "required",
    });
    expect(validate(postgres, { host: "h", database: "d", user: "u", password: secretMask })).toEqual({});
    expect(
      validate(restApi, {
        base_url: "https://x",
        headers: new InvalidJson("{"),
        auth: {},
        resources: [{ name: "a", path: "/a" }, { name: "b" }],
      }),
    ).toEqual({
      "config.headers": "json",
      "config.auth.type": "required",
      "config.resources[1].path": "required",
    });
    expect(validate(restApi, { base_url: "https://x", resources: [] })).toEqual({ "config.resources": "required" });
  });

  it("finds masked secrets anywhere", () => {
    expect(hasMaskedSecret({ a: { b: [secretMask] } })).toBe(true);
    expect(hasMaskedSecret({ a: "x" })).toBe(false);
  });

  it("tells which target fields an edit changed, nested, set or cleared", () => {
    const saved = { host: "db", port: 5432, database: "dw", password: secretMask };
    expect(changedTargets(postgres, saved, { ...saved, database: "other" })).toEqual([]);
    expect(changedTargets(postgres, saved, { ...saved, host: "attacker" })).toEqual(["config.host"]);
    expect(changedTargets(postgres, saved, { ...saved, port: undefined })).toEqual(["config.port"]);
    expect(changedTargets(postgres, { host: "db" }, { host: "db", port: 5432 })).toEqual(["config.port"]);
    const api = { base_url: "https://a", auth: { type: "bearer", token: secretMask } };
    expect(changedTargets(restApi, api, { ...api, auth: { ...api.auth, token_url: "https://evil/token" } })).toEqual([
      "config.auth.token_url",
    ]);
  });

  it("lists the paths of masked secrets", () => {
    expect(
      maskedSecretPaths({ password: secretMask, headers: { "X-Api-Key": secretMask }, auth: { token: "typed" }, list: [secretMask] }),
    ).toEqual(["config.password", "config.headers.X-Api-Key", "config.list[0]"]);
  });
});
