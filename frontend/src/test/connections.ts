import type { Schemas } from "@/api/client";

/** Connection types as the server describes them (trimmed copies of internal/connectors/*\/schema.json). */
export const postgresType: Schemas["ConnectionType"] = {
  name: "postgres",
  label: "PostgreSQL",
  capabilities: { source: true, destination: true, sql: true, transform_target: true },
  config_schema: {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "PostgreSQL",
    type: "object",
    additionalProperties: false,
    required: ["host", "database", "user"],
    properties: {
      host: { "x-target": true, type: "string", title: "Host", minLength: 1, maxLength: 253 },
      port: { "x-target": true, type: "integer", title: "Port", minimum: 1, maximum: 65535, default: 5432 },
      database: { type: "string", title: "Database", minLength: 1 },
      user: { type: "string", title: "User", minLength: 1 },
      password: { type: "string", title: "Password", maxLength: 1024, "x-secret": true, writeOnly: true },
      sslmode: { type: "string", title: "SSL mode", enum: ["disable", "prefer", "require", "verify-ca", "verify-full"], default: "prefer" },
      schema: { type: "string", title: "Default schema", description: "Put first on the search path of queries." },
    },
  },
};

export const sqliteType: Schemas["ConnectionType"] = {
  name: "sqlite",
  label: "SQLite",
  capabilities: { source: true, destination: false, sql: true, transform_target: false },
  config_schema: {
    type: "object",
    required: ["file_id"],
    properties: { file_id: { type: "integer", title: "File", description: "An .sqlite file uploaded through /files.", minimum: 1 } },
  },
};

export const restApiType: Schemas["ConnectionType"] = {
  name: "rest_api",
  label: "REST API",
  capabilities: { source: true, destination: false, sql: false, transform_target: false },
  config_schema: {
    type: "object",
    required: ["base_url", "resources"],
    properties: {
      base_url: { "x-target": true, type: "string", title: "Base URL" },
      headers: { type: "object", title: "Headers", additionalProperties: { type: "string", "x-secret": true } },
      auth: {
        type: "object",
        title: "Authentication",
        required: ["type"],
        properties: {
          type: { type: "string", enum: ["none", "bearer", "basic"] },
          token: { type: "string", title: "Bearer token", "x-secret": true },
          token_url: { "x-target": true, type: "string", title: "Token URL" },
          scopes: { type: "array", items: { type: "string" } },
        },
      },
      resources: {
        type: "array",
        title: "Resources",
        minItems: 1,
        items: {
          type: "object",
          required: ["name", "path"],
          properties: {
            name: { type: "string" },
            path: { type: "string" },
            primary_key: { oneOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] },
          },
        },
      },
      paginator: {
        type: "object",
        title: "Pagination",
        required: ["type"],
        properties: { type: { type: "string", enum: ["auto", "single_page"], default: "auto" }, limit: { type: "integer" } },
      },
    },
  },
};

export const connectionTypes = [postgresType, sqliteType, restApiType];

export const savedPostgres: Schemas["Connection"] = {
  id: 11,
  name: "Warehouse",
  type: "postgres",
  direction: "both",
  managed: false,
  config: { host: "db.internal", port: 5432, database: "dw", user: "loader", password: "********", sslmode: "require" },
  last_test: { ok: true, message: "connected", latency_ms: 12, at: "2025-03-04T05:06:07Z" },
  created_at: "2025-01-01T00:00:00Z",
  updated_at: "2025-01-01T00:00:00Z",
};

export const brokenSqlite: Schemas["Connection"] = {
  id: 12,
  name: "Legacy",
  type: "sqlite",
  direction: "source",
  managed: false,
  config: { file_id: 3 },
  last_test: { ok: false, message: "file is not a database", latency_ms: 3, at: "2025-03-04T05:06:07Z" },
  created_at: "2025-01-01T00:00:00Z",
  updated_at: "2025-01-01T00:00:00Z",
};

export const catalog: Schemas["Catalog"] = {
  connection_id: 11,
  refreshed_at: "2025-03-04T05:06:07Z",
  schemas: [
    {
      name: "public",
      tables: [
        {
          name: "customers",
          kind: "table",
          columns: [
            { name: "id", type: "bigint", nullable: false, primary_key: true },
            { name: "email", type: "text", nullable: true, primary_key: false },
          ],
        },
        {
          name: "orders",
          kind: "table",
          columns: [
            { name: "order_id", type: "bigint", nullable: false, primary_key: true },
            { name: "customer_email", type: "text", nullable: true, primary_key: false },
            { name: "total", type: "numeric", nullable: true, primary_key: false },
          ],
        },
      ],
    },
    {
      name: "reporting",
      tables: [{ name: "daily_totals", kind: "view", columns: [{ name: "day", type: "date", nullable: true, primary_key: false }] }],
    },
  ],
};

export const uploadedFile: Schemas["File"] = {
  id: 3,
  name: "legacy.sqlite",
  size: 2048,
  sha256: "ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12",
  format: "sqlite",
  compression: "none",
  detected_columns: [],
  created_at: "2025-02-01T10:00:00Z",
};
