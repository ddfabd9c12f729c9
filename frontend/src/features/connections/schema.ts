/**
 * The part of JSON Schema (draft 2020-12) that connection types use to describe their config, and
 * the rules the generated form follows: which control a property gets, its defaults, what is sent,
 * and the checks made before sending. Field paths are written like the server's `errors[].field`
 * ("config.port", "config.resources[0].name"), so server errors land on the same fields.
 */
export type JsonSchema = {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: boolean | JsonSchema;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxLength?: number;
  "x-secret"?: boolean;
  /** The value decides where the connection sends its bytes (host, port, URL, bucket…). */
  "x-target"?: boolean;
};

export type Config = Record<string, unknown>;

/** What the server shows instead of a stored secret; sent back, it keeps the stored value. */
export const secretMask = "********";

export type FieldKind =
  | "string"
  | "secret"
  | "integer"
  | "number"
  | "boolean"
  | "enum"
  | "file"
  | "object"
  | "objectList"
  | "stringList"
  | "json";

/** A JSON text field whose text does not parse yet; it blocks sending. */
export class InvalidJson {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

export function asSchema(value: unknown): JsonSchema {
  return typeof value === "object" && value !== null ? value : {};
}

function typeOf(schema: JsonSchema): string | undefined {
  return Array.isArray(schema.type) ? undefined : schema.type;
}

/** The control of a property: plain inputs where the schema is simple, JSON text where it is not. */
export function kindOf(name: string, schema: JsonSchema): FieldKind {
  const type = typeOf(schema);
  if (name === "file_id" && type === "integer") return "file";
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return "enum";
  switch (type) {
    case "string":
      return schema["x-secret"] ? "secret" : "string";
    case "integer":
    case "number":
    case "boolean":
      return type;
    case "object":
      return schema.properties && Object.keys(schema.properties).length > 0 ? "object" : "json";
    case "array": {
      const items = schema.items ?? {};
      if (typeOf(items) === "string" && !items.enum) return "stringList";
      if (typeOf(items) === "object" && items.properties) return "objectList";
      return "json";
    }
    default:
      return "json";
  }
}

/** A new config: every default, and the required objects and lists filled in the same way. */
export function initialValue(schema: JsonSchema): Config {
  const out: Config = {};
  const required = new Set(schema.required ?? []);
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const kind = kindOf(name, property);
    if (property.default !== undefined) out[name] = structuredClone(property.default);
    else if (kind === "object" && required.has(name)) out[name] = initialValue(property);
    else if (kind === "objectList" && required.has(name) && (property.minItems ?? 0) > 0) {
      out[name] = [initialValue(property.items ?? {})];
    }
  }
  return out;
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || value === "" || (Array.isArray(value) && value.length === 0);
}

/** What is sent: empty texts and untouched optional objects are left out. */
export function prune(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => prune(item));
  if (typeof value === "object" && value !== null && !(value instanceof InvalidJson)) {
    const out: Config = {};
    for (const [key, item] of Object.entries(value)) {
      const pruned = prune(item);
      if (pruned === undefined || pruned === "") continue;
      if (typeof pruned === "object" && pruned !== null && !Array.isArray(pruned) && Object.keys(pruned).length === 0) continue;
      out[key] = pruned;
    }
    return out;
  }
  return value;
}

export type ClientError = "required" | "json";

/**
 * The checks made before sending: required properties of every object present (a masked secret
 * counts as set) and JSON text that parses. Keys are field paths.
 */
export function validate(schema: JsonSchema, value: unknown, path = "config"): Record<string, ClientError> {
  const out: Record<string, ClientError> = {};
  const object = typeof value === "object" && value !== null ? (value as Config) : {};
  const required = new Set(schema.required ?? []);
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const here = `${path}.${name}`;
    const item = object[name];
    if (item instanceof InvalidJson) {
      out[here] = "json";
      continue;
    }
    if (required.has(name) && isEmpty(item)) {
      out[here] = "required";
      continue;
    }
    const kind = kindOf(name, property);
    if (kind === "object" && typeof item === "object" && item !== null) {
      Object.assign(out, validate(property, item, here));
    } else if (kind === "objectList" && Array.isArray(item)) {
      item.forEach((entry, index) => {
        Object.assign(out, validate(property.items ?? {}, entry, `${here}[${String(index)}]`));
      });
    }
  }
  return out;
}

/** True when a masked secret is anywhere in `value`: only the saved connection can be tested then. */
export function hasMaskedSecret(value: unknown): boolean {
  if (value === secretMask) return true;
  if (Array.isArray(value)) return value.some(hasMaskedSecret);
  if (typeof value === "object" && value !== null) return Object.values(value).some(hasMaskedSecret);
  return false;
}

/** A label for a property without a title: "cursor_path" → "Cursor path". */
export function humanize(name: string): string {
  const words = name.replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The values of the `x-target` fields of a config by path, as JSON text, nested objects and lists included. */
function targetValues(schema: JsonSchema, value: unknown, path: string, out: Map<string, string>): Map<string, string> {
  if (schema["x-target"]) {
    if (value !== undefined) out.set(path, JSON.stringify(value));
    return out;
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => targetValues(schema.items ?? {}, item, `${path}[${String(index)}]`, out));
  } else if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      const property =
        schema.properties?.[key] ?? (typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined);
      if (property) targetValues(property, item, `${path}.${key}`, out);
    }
  }
  return out;
}

/**
 * The target fields (`x-target`) whose value differs between the saved config and the edited one,
 * set or cleared included. The server then keeps no stored secret: each must be typed again.
 */
export function changedTargets(schema: JsonSchema, saved: unknown, edited: unknown): string[] {
  const before = targetValues(schema, prune(saved), "config", new Map());
  const after = targetValues(schema, prune(edited), "config", new Map());
  const out = new Set<string>();
  for (const [path, text] of before) if (after.get(path) !== text) out.add(path);
  for (const path of after.keys()) if (!before.has(path)) out.add(path);
  return [...out].sort();
}

/** The paths of the secrets still masked in `value` ("config.auth.token"). */
export function maskedSecretPaths(value: unknown, path = "config"): string[] {
  if (value === secretMask) return [path];
  if (Array.isArray(value)) return value.flatMap((item, index) => maskedSecretPaths(item, `${path}[${String(index)}]`));
  if (typeof value === "object" && value !== null && !(value instanceof InvalidJson)) {
    return Object.entries(value).flatMap(([key, item]) => maskedSecretPaths(item, `${path}.${key}`));
  }
  return [];
}
