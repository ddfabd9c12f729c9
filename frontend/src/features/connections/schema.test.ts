import { describe, expect, it } from "vitest";
import { postgresType, restApiType } from "@/test/connections";
import { asSchema, hasMaskedSecret, initialValue, InvalidJson, kindOf, prune, secretMask, validate } from "./schema";

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
});
