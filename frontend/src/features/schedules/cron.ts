/**
 * The cron builder's model. The expression is the source of truth: the builder reads it back with
 * `parseCron` (a preset when it is one, else the five fields) and writes it with `buildCron`. The
 * server validates and describes the expression; nothing here decides when a schedule fires.
 */

export const cronPresets = ["everyMinute", "every15", "hourly", "daily", "weekdays", "weekly", "monthly", "custom"] as const;
export type CronPreset = (typeof cronPresets)[number];

export const cronFieldNames = ["minute", "hour", "dayOfMonth", "month", "dayOfWeek"] as const;
export type CronFields = [string, string, string, string, string];

export type CronBuilder = {
  preset: CronPreset;
  /** Minute past the hour (hourly) or of the time (daily, weekdays, weekly, monthly). */
  minute: number;
  hour: number;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
  /** 1–31. */
  dayOfMonth: number;
  /** The five fields, for `custom` (and as read from any expression). */
  fields: CronFields;
};

export const defaultBuilder: CronBuilder = {
  preset: "daily",
  minute: 0,
  hour: 2,
  weekday: 1,
  dayOfMonth: 1,
  fields: ["0", "2", "*", "*", "*"],
};

/** The expression a builder stands for. */
export function buildCron(b: CronBuilder): string {
  const m = String(b.minute);
  const h = String(b.hour);
  switch (b.preset) {
    case "everyMinute":
      return "* * * * *";
    case "every15":
      return "*/15 * * * *";
    case "hourly":
      return `${m} * * * *`;
    case "daily":
      return `${m} ${h} * * *`;
    case "weekdays":
      return `${m} ${h} * * 1-5`;
    case "weekly":
      return `${m} ${h} * * ${String(b.weekday)}`;
    case "monthly":
      return `${m} ${h} ${String(b.dayOfMonth)} * *`;
    case "custom":
      return b.fields.map((f) => f.trim() || "*").join(" ");
  }
}

function int(value: string, min: number, max: number): number | undefined {
  if (!/^\d{1,2}$/.test(value)) return undefined;
  const n = Number(value);
  return n >= min && n <= max ? n : undefined;
}

const macros: Record<string, string> = {
  "@hourly": "0 * * * *",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@weekly": "0 0 * * 0",
  "@monthly": "0 0 1 * *",
};

/**
 * The builder that writes `expression` back, or the custom builder holding its fields. The
 * `@` macros read as their presets; an expression the builder cannot hold whole (a yearly macro, a
 * wrong number of fields) reads as custom with the fields it has.
 */
export function parseCron(expression: string, base: CronBuilder = defaultBuilder): CronBuilder {
  const text = expression.trim();
  const expanded = macros[text.toLowerCase()] ?? text;
  const parts = expanded.split(/\s+/).filter(Boolean);
  const fields: CronFields = [parts[0] ?? "", parts[1] ?? "", parts[2] ?? "", parts[3] ?? "", parts[4] ?? ""];
  const custom: CronBuilder = { ...base, preset: "custom", fields };
  if (parts.length !== 5) return custom;
  const [mi, ho, dom, mon, dow] = fields;
  const minute = int(mi, 0, 59);
  const hour = int(ho, 0, 23);
  const withFields = { ...base, fields };
  if (mi === "*" && ho === "*" && dom === "*" && mon === "*" && dow === "*") return { ...withFields, preset: "everyMinute" };
  if (mi === "*/15" && ho === "*" && dom === "*" && mon === "*" && dow === "*") return { ...withFields, preset: "every15" };
  if (minute === undefined || mon !== "*") return custom;
  if (ho === "*" && dom === "*" && dow === "*") return { ...withFields, preset: "hourly", minute };
  if (hour === undefined) return custom;
  if (dom === "*" && dow === "*") return { ...withFields, preset: "daily", minute, hour };
  if (dom === "*" && dow === "1-5") return { ...withFields, preset: "weekdays", minute, hour };
  const weekday = int(dow, 0, 7);
  if (dom === "*" && weekday !== undefined) return { ...withFields, preset: "weekly", minute, hour, weekday: weekday % 7 };
  const day = int(dom, 1, 31);
  if (dow === "*" && day !== undefined) return { ...withFields, preset: "monthly", minute, hour, dayOfMonth: day };
  return custom;
}

/** "07:05" for a time input. */
export function timeValue(b: CronBuilder): string {
  return `${String(b.hour).padStart(2, "0")}:${String(b.minute).padStart(2, "0")}`;
}

/** The hour and minute of a time input's value, or undefined while it is incomplete. */
export function parseTime(value: string): { hour: number; minute: number } | undefined {
  const match = /^(\d{2}):(\d{2})/.exec(value);
  if (!match) return undefined;
  const hour = int(match[1] ?? "", 0, 23);
  const minute = int(match[2] ?? "", 0, 59);
  return hour === undefined || minute === undefined ? undefined : { hour, minute };
}
