// Package cron parses standard 5-field crontab expressions, validates IANA time
// zones, computes fire instants and describes schedules in English. It is pure
// logic: the schedules table and the scheduler loop build on top of it.
//
// # Expressions
//
// Five fields separated by blanks: minute (0-59), hour (0-23), day of month
// (1-31), month (1-12 or JAN-DEC) and day of week (0-7 or SUN-SAT, where both 0
// and 7 are Sunday). Each field is a comma-separated list of items: `*`, a value
// (`5`), a range (`1-5`, `MON-FRI`), a step over all values (`*/15`), over a
// range (`1-30/5`) or from a start to the field's end (`5/10`). Names are
// case-insensitive. A range must not be reversed (`5-1` is an error, not a
// wrap-around) and a step must be between 1 and the field's span. The macros
// @yearly (@annually), @monthly, @weekly, @daily (@midnight) and @hourly stand
// for their usual expansions. A day-of-month/month combination that can never
// occur (`0 0 30 2 *`) is rejected, since such a schedule would never fire.
//
// Day of month and day of week combine as in Vixie cron: when both fields are
// restricted, a day matches if either matches; when one of them starts with `*`
// (including a step such as `*/2`, as Vixie cron decides it) both must match.
//
// # Time zones and daylight saving time
//
// A schedule is a set of local wall-clock times in its zone. Each matching
// wall-clock time w fires exactly once, at the first instant whose local wall
// clock reaches w. That single rule gives:
//
//   - a wall-clock time that exists once fires at that instant;
//   - a wall-clock time that occurs twice (the repeated hour when clocks fall
//     back) fires once, at its first occurrence; the second pass through that
//     hour fires nothing;
//   - a wall-clock time that does not exist (the gap when clocks spring
//     forward, such as 02:30 on the US spring-forward day) fires once, at the
//     transition instant, the first instant after the gap (03:00 at the new
//     offset). All gap times and a real fire at the transition instant collapse
//     into one fire: two fires never share an instant.
//
// So a day's fire is never skipped and one wall-clock time never fires twice,
// whatever hour the zone changes its clocks at (America/Santiago changes at
// 24:00, Europe/London at 01:00 UTC). The rule is ours: Go's time.Date picks
// either occurrence of a repeated time depending on the zone, and robfig/cron
// does not run jobs that fall into a gap. Next evaluates it with the zone's
// offset periods (time.Time.ZoneBounds), day by day and then over the matching
// hours and minutes, never scanning minute by minute.
//
// # Why our own parser
//
// The maintained parser available, github.com/adhocore/gronx, validates with a
// bool (IsValid) and matches values one at a time; it exposes neither the
// per-field value sets that Next needs nor an error that names the bad field,
// and it accepts syntax outside the standard five fields (seconds, years, L, W,
// #). robfig/cron/v3 exposes its bit sets only through its own Next, is
// unmaintained since 2020 and skips gap times. A crontab parser is small, so
// this package owns it, with field-naming one-line errors. Describe is ours too:
// github.com/lnquy/cron is not served by the module proxy here, and a small
// describer keeps the wording under our control.
package cron
