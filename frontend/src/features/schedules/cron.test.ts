import { describe, expect, it } from "vitest";
import { buildCron, defaultBuilder, parseCron, parseTime, timeValue, type CronBuilder } from "./cron";

const b = (over: Partial<CronBuilder>): CronBuilder => ({ ...defaultBuilder, ...over });

describe("cron builder", () => {
  it("writes each preset's expression", () => {
    expect(buildCron(b({ preset: "everyMinute" }))).toBe("* * * * *");
    expect(buildCron(b({ preset: "every15" }))).toBe("*/15 * * * *");
    expect(buildCron(b({ preset: "hourly", minute: 5 }))).toBe("5 * * * *");
    expect(buildCron(b({ preset: "daily", hour: 2, minute: 30 }))).toBe("30 2 * * *");
    expect(buildCron(b({ preset: "weekdays", hour: 7, minute: 0 }))).toBe("0 7 * * 1-5");
    expect(buildCron(b({ preset: "weekly", weekday: 0, hour: 23, minute: 45 }))).toBe("45 23 * * 0");
    expect(buildCron(b({ preset: "monthly", dayOfMonth: 31, hour: 0, minute: 0 }))).toBe("0 0 31 * *");
    expect(buildCron(b({ preset: "custom", fields: ["*/30", "1-3", "", "JAN", "MON-FRI"] }))).toBe("*/30 1-3 * JAN MON-FRI");
  });

  it("reads every preset's expression back into the same builder", () => {
    const cases: Partial<CronBuilder>[] = [
      { preset: "everyMinute" },
      { preset: "every15" },
      { preset: "hourly", minute: 5 },
      { preset: "daily", hour: 2, minute: 30 },
      { preset: "weekdays", hour: 7, minute: 0 },
      { preset: "weekly", weekday: 6, hour: 9, minute: 15 },
      { preset: "monthly", dayOfMonth: 15, hour: 4, minute: 0 },
    ];
    for (const over of cases) {
      const expression = buildCron(b(over));
      const parsed = parseCron(expression);
      expect(parsed).toMatchObject(over);
      expect(buildCron(parsed)).toBe(expression);
    }
  });

  it("reads macros as presets, Sunday 7 as 0, and anything else as custom fields", () => {
    expect(parseCron("@daily")).toMatchObject({ preset: "daily", hour: 0, minute: 0 });
    expect(parseCron("@hourly")).toMatchObject({ preset: "hourly", minute: 0 });
    expect(parseCron("@weekly")).toMatchObject({ preset: "weekly", weekday: 0 });
    expect(parseCron("@monthly")).toMatchObject({ preset: "monthly", dayOfMonth: 1 });
    expect(parseCron("0 9 * * 7")).toMatchObject({ preset: "weekly", weekday: 0 });
    expect(parseCron(" 0  9 * * * ")).toMatchObject({ preset: "daily", hour: 9 });
    expect(parseCron("*/30 1-3 * * *")).toMatchObject({ preset: "custom", fields: ["*/30", "1-3", "*", "*", "*"] });
    expect(parseCron("0 0 1 JAN *")).toMatchObject({ preset: "custom" });
    expect(parseCron("0 24 * * *")).toMatchObject({ preset: "custom" });
    expect(parseCron("0 9 * *")).toMatchObject({ preset: "custom", fields: ["0", "9", "*", "*", ""] });
    expect(parseCron("@yearly")).toMatchObject({ preset: "custom", fields: ["@yearly", "", "", "", ""] });
  });

  it("converts times for the time input", () => {
    expect(timeValue(b({ hour: 7, minute: 5 }))).toBe("07:05");
    expect(parseTime("23:59")).toEqual({ hour: 23, minute: 59 });
    expect(parseTime("")).toBeUndefined();
    expect(parseTime("25:00")).toBeUndefined();
  });
});
