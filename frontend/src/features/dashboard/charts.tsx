import { useTranslation } from "react-i18next";
import type { Schemas } from "@/api/client";

/**
 * Hand-written SVG charts: two small bar charts do not justify a chart library in the bundle. Each
 * chart is an image with a label for screen readers, plus a visually hidden table of its numbers.
 */

type Day = Schemas["DashboardDay"];

export const runSeries = ["success", "failed", "cancelled", "other"] as const;
type Series = (typeof runSeries)[number];

export const seriesColour: Record<Series, string> = {
  success: "var(--color-success)",
  failed: "var(--color-destructive)",
  cancelled: "var(--color-warning)",
  other: "var(--color-muted-foreground)",
};

const width = 560;
const height = 180;
const padLeft = 36;
const padBottom = 22;
const padTop = 8;

/** A "nice" upper bound for an axis: 1, 2 or 5 times a power of ten. */
export function niceMax(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function useDayLabel() {
  const { i18n } = useTranslation();
  const format = new Intl.DateTimeFormat(i18n.language, { month: "short", day: "numeric", timeZone: "UTC" });
  return (day: string) => {
    const date = new Date(`${day}T00:00:00Z`);
    return Number.isNaN(date.getTime()) ? day : format.format(date);
  };
}

function Axis({ max, format }: { max: number; format: (n: number) => string }) {
  const plot = height - padBottom - padTop;
  return (
    <g aria-hidden="true" className="text-muted-foreground">
      {[0, 0.5, 1].map((f) => {
        const y = padTop + plot * (1 - f);
        return (
          <g key={f}>
            <line x1={padLeft} x2={width} y1={y} y2={y} stroke="currentColor" strokeOpacity={0.15} />
            <text x={padLeft - 4} y={y + 3} textAnchor="end" fontSize={10} fill="currentColor">
              {format(max * f)}
            </text>
          </g>
        );
      })}
    </g>
  );
}

function compact(language: string) {
  const format = new Intl.NumberFormat(language, { notation: "compact", maximumFractionDigits: 1 });
  return (n: number) => format.format(n);
}

export function RunsPerDayChart({ days }: { days: Day[] }) {
  const { t, i18n } = useTranslation();
  const label = useDayLabel();
  const totals = days.map((day) => runSeries.reduce((sum, key) => sum + day[key], 0));
  const max = niceMax(Math.max(0, ...totals));
  const plot = height - padBottom - padTop;
  const slot = (width - padLeft) / Math.max(1, days.length);
  const bar = Math.max(2, slot * 0.7);
  return (
    <figure className="flex flex-col gap-2">
      <svg viewBox={`0 0 ${String(width)} ${String(height)}`} role="img" aria-label={t("dashboard.runsChart")} className="h-auto w-full">
        <Axis max={max} format={compact(i18n.language)} />
        {days.map((day, i) => {
          let y = padTop + plot;
          const x = padLeft + i * slot + (slot - bar) / 2;
          return (
            <g key={day.day} data-day={day.day}>
              {runSeries.map((key) => {
                const h = (day[key] / max) * plot;
                y -= h;
                return h > 0 ? (
                  <rect key={key} x={x} y={y} width={bar} height={h} fill={seriesColour[key]} data-series={key}>
                    <title>{`${label(day.day)}: ${t(`dashboard.series.${key}`)} ${String(day[key])}`}</title>
                  </rect>
                ) : null;
              })}
              {i % Math.ceil(days.length / 7) === 0 ? (
                <text x={x + bar / 2} y={height - 6} textAnchor="middle" fontSize={10} fill="currentColor" className="text-muted-foreground">
                  {label(day.day)}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <figcaption className="flex flex-wrap gap-3 text-xs text-muted-foreground">
        {runSeries.map((key) => (
          <span key={key} className="flex items-center gap-1">
            <span aria-hidden="true" className="size-2.5 rounded-sm" style={{ background: seriesColour[key] }} />
            {t(`dashboard.series.${key}`)}
          </span>
        ))}
      </figcaption>
      <table className="sr-only">
        <caption>{t("dashboard.runsChart")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("dashboard.day")}</th>
            {runSeries.map((key) => (
              <th key={key} scope="col">
                {t(`dashboard.series.${key}`)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {days.map((day) => (
            <tr key={day.day}>
              <th scope="row">{label(day.day)}</th>
              {runSeries.map((key) => (
                <td key={key}>{day[key]}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

export function RowsPerDayChart({ days }: { days: Day[] }) {
  const { t, i18n } = useTranslation();
  const label = useDayLabel();
  const max = niceMax(Math.max(0, ...days.map((day) => day.rows_loaded)));
  const plot = height - padBottom - padTop;
  const slot = (width - padLeft) / Math.max(1, days.length);
  const bar = Math.max(2, slot * 0.7);
  const number = new Intl.NumberFormat(i18n.language);
  return (
    <figure className="flex flex-col gap-2">
      <svg viewBox={`0 0 ${String(width)} ${String(height)}`} role="img" aria-label={t("dashboard.rowsChart")} className="h-auto w-full">
        <Axis max={max} format={compact(i18n.language)} />
        {days.map((day, i) => {
          const h = (day.rows_loaded / max) * plot;
          const x = padLeft + i * slot + (slot - bar) / 2;
          return (
            <g key={day.day}>
              {h > 0 ? (
                <rect x={x} y={padTop + plot - h} width={bar} height={h} fill="var(--color-primary)" rx={1}>
                  <title>{`${label(day.day)}: ${number.format(day.rows_loaded)}`}</title>
                </rect>
              ) : null}
              {i % Math.ceil(days.length / 7) === 0 ? (
                <text x={x + bar / 2} y={height - 6} textAnchor="middle" fontSize={10} fill="currentColor" className="text-muted-foreground">
                  {label(day.day)}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <table className="sr-only">
        <caption>{t("dashboard.rowsChart")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("dashboard.day")}</th>
            <th scope="col">{t("dashboard.rows")}</th>
          </tr>
        </thead>
        <tbody>
          {days.map((day) => (
            <tr key={day.day}>
              <th scope="row">{label(day.day)}</th>
              <td>{number.format(day.rows_loaded)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
