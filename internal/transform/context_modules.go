package transform

import (
	"errors"
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // pytz.timezone must know every zone, whatever the host has installed

	"github.com/nikolalohinski/gonja/v2/exec"

	"github.com/datanika/datanika/internal/transform/jinja"
)

// This file holds modules.itertools and modules.pytz, and the time zone-aware datetimes
// they work with (run_started_at.astimezone(modules.pytz.timezone('Europe/Paris'))).

// maxItertools bounds what one itertools call may produce, as range() is bounded.
const maxItertools = jinja.MaxRangeItems

// seq is a Jinja value's items as Go values: a list's or tuple's elements, a dict's keys, a
// string's characters.
func seq(v *exec.Value) []any {
	var out []any
	if v == nil || v.IsNil() {
		return out
	}
	if v.IsString() {
		for _, r := range v.String() {
			out = append(out, string(r))
		}
		return out
	}
	v.Iterate(func(_, _ int, k, _ *exec.Value) bool {
		out = append(out, k.Interface())
		return true
	}, func() {})
	return out
}

func intArg(va *exec.VarArgs, pos int, key string, def int) (int, bool) {
	if v, ok := va.KwArgs[key]; ok {
		if v.IsNil() {
			return def, true
		}
		return v.Integer(), v.IsInteger()
	}
	if pos < len(va.Args) {
		if va.Args[pos].IsNil() {
			return def, true
		}
		return va.Args[pos].Integer(), va.Args[pos].IsInteger()
	}
	return def, true
}

var errTooMany = fmt.Errorf("modules.itertools: the result would exceed %d items", maxItertools)

// itertoolsNamespace is modules.itertools: every function returns a list (Python's are
// iterators; a template only ever loops over them or turns them into lists), tuples as lists.
func itertoolsNamespace() jinja.Namespace {
	chain := func(va *exec.VarArgs) *exec.Value {
		out := []any{}
		for _, a := range va.Args {
			out = append(out, seq(a)...)
		}
		return exec.AsValue(out)
	}
	return jinja.Namespace{
		"chain": jinja.WithAttrs(chain, map[string]any{
			"from_iterable": func(va *exec.VarArgs) *exec.Value {
				out := []any{}
				if len(va.Args) > 0 {
					for _, inner := range seq(va.Args[0]) {
						out = append(out, seq(exec.AsValue(inner))...)
					}
				}
				return exec.AsValue(out)
			},
		}),
		"product": func(va *exec.VarArgs) *exec.Value {
			repeat, ok := intArg(va, len(va.Args), "repeat", 1)
			if !ok || repeat < 0 {
				return exec.AsValue(errors.New("modules.itertools.product: repeat must be a non-negative integer"))
			}
			var pools [][]any
			for range repeat {
				for _, a := range va.Args {
					pools = append(pools, seq(a))
				}
			}
			result := [][]any{{}}
			for _, pool := range pools {
				var next [][]any
				for _, prefix := range result {
					for _, x := range pool {
						if len(next) >= maxItertools {
							return exec.AsValue(errTooMany)
						}
						next = append(next, append(append([]any{}, prefix...), x))
					}
				}
				result = next
			}
			return exec.AsValue(listOfLists(result))
		},
		"combinations": func(va *exec.VarArgs) *exec.Value {
			return choose(va, "combinations", false, false)
		},
		"combinations_with_replacement": func(va *exec.VarArgs) *exec.Value {
			return choose(va, "combinations_with_replacement", false, true)
		},
		"permutations": func(va *exec.VarArgs) *exec.Value {
			return choose(va, "permutations", true, false)
		},
		"islice": func(va *exec.VarArgs) *exec.Value {
			if len(va.Args) < 2 {
				return exec.AsValue(errors.New("modules.itertools.islice takes an iterable and stop, or start, stop[, step]"))
			}
			items := seq(va.Args[0])
			var start, stop, step int
			var ok1, ok2, ok3 bool
			if len(va.Args) == 2 {
				start, step, ok1, ok3 = 0, 1, true, true
				stop, ok2 = intArg(va, 1, "", len(items))
			} else {
				start, ok1 = intArg(va, 1, "", 0)
				stop, ok2 = intArg(va, 2, "", len(items))
				step, ok3 = intArg(va, 3, "", 1)
			}
			if !ok1 || !ok2 || !ok3 || start < 0 || stop < 0 || step < 1 {
				return exec.AsValue(errors.New("modules.itertools.islice: start, stop and step must be non-negative integers (step at least 1)"))
			}
			out := []any{}
			for i := start; i < min(stop, len(items)); i += step {
				out = append(out, items[i])
			}
			return exec.AsValue(out)
		},
		"groupby": func(va *exec.VarArgs) *exec.Value {
			// groupby(iterable): runs of equal consecutive items, each [key, [items]]. A key
			// function cannot be written in a template; groupby(rows, 'attr') groups by an
			// attribute or dict key instead.
			if len(va.Args) == 0 {
				return exec.AsValue(errors.New("modules.itertools.groupby needs an iterable"))
			}
			attr := ""
			if k, ok := va.KwArgs["key"]; ok && k.IsString() {
				attr = k.String()
			} else if len(va.Args) > 1 && va.Args[1].IsString() {
				attr = va.Args[1].String()
			}
			out := []any{}
			var curKey *exec.Value
			var group []any
			for _, item := range seq(va.Args[0]) {
				iv := exec.AsValue(item)
				k := iv
				if attr != "" {
					if got, ok := iv.GetAttribute(attr); ok {
						k = got
					} else if got, ok := iv.GetItem(attr); ok {
						k = got
					} else {
						k = exec.AsValue(nil)
					}
				}
				if curKey != nil && curKey.EqualValueTo(k) {
					group = append(group, item)
					continue
				}
				if curKey != nil {
					out = append(out, []any{curKey.Interface(), group})
				}
				curKey, group = k, []any{item}
			}
			if curKey != nil {
				out = append(out, []any{curKey.Interface(), group})
			}
			return exec.AsValue(out)
		},
		"repeat": func(va *exec.VarArgs) *exec.Value {
			times, ok := intArg(va, 1, "times", -1)
			if len(va.Args) == 0 || !ok || times < 0 {
				return exec.AsValue(errors.New("modules.itertools.repeat takes an object and a number of times (an endless repeat cannot be rendered)"))
			}
			if times > maxItertools {
				return exec.AsValue(errTooMany)
			}
			out := make([]any, times)
			for i := range out {
				out[i] = va.Args[0].Interface()
			}
			return exec.AsValue(out)
		},
		"accumulate": func(va *exec.VarArgs) *exec.Value {
			if len(va.Args) == 0 {
				return exec.AsValue(errors.New("modules.itertools.accumulate needs an iterable"))
			}
			out := []any{}
			var total *exec.Value
			for _, item := range seq(va.Args[0]) {
				iv := exec.AsValue(item)
				switch {
				case total == nil:
					total = iv
				case total.IsInteger() && iv.IsInteger():
					total = exec.AsValue(total.Integer() + iv.Integer())
				case total.IsNumber() && iv.IsNumber():
					total = exec.AsValue(total.Float() + iv.Float())
				default:
					total = exec.AsValue(total.String() + iv.String())
				}
				out = append(out, total.Interface())
			}
			return exec.AsValue(out)
		},
		"zip_longest": func(va *exec.VarArgs) *exec.Value {
			var fill any
			if f, ok := va.KwArgs["fillvalue"]; ok {
				fill = f.Interface()
			}
			var lists [][]any
			longest := 0
			for _, a := range va.Args {
				l := seq(a)
				lists = append(lists, l)
				longest = max(longest, len(l))
			}
			out := make([]any, longest)
			for i := range longest {
				row := make([]any, len(lists))
				for j, l := range lists {
					row[j] = fill
					if i < len(l) {
						row[j] = l[i]
					}
				}
				out[i] = row
			}
			return exec.AsValue(out)
		},
	}
}

// choose gives the r-length combinations or permutations of an iterable, in Python's order.
func choose(va *exec.VarArgs, name string, ordered, replacement bool) *exec.Value {
	if len(va.Args) == 0 {
		return exec.AsValue(fmt.Errorf("modules.itertools.%s needs an iterable", name))
	}
	pool := seq(va.Args[0])
	r, ok := intArg(va, 1, "r", len(pool))
	if !ok || r < 0 {
		return exec.AsValue(fmt.Errorf("modules.itertools.%s: r must be a non-negative integer", name))
	}
	if !ordered && !replacement {
		if _, ok := va.KwArgs["r"]; !ok && len(va.Args) < 2 {
			return exec.AsValue(fmt.Errorf("modules.itertools.%s needs r", name))
		}
	}
	var out [][]any
	idx := make([]int, 0, r)
	used := make([]bool, len(pool))
	var walk func(from int) bool
	walk = func(from int) bool {
		if len(idx) == r {
			if len(out) >= maxItertools {
				return false
			}
			t := make([]any, r)
			for i, j := range idx {
				t[i] = pool[j]
			}
			out = append(out, t)
			return true
		}
		start := from
		if ordered {
			start = 0
		}
		for i := start; i < len(pool); i++ {
			if ordered && used[i] {
				continue
			}
			used[i] = true
			idx = append(idx, i)
			next := i + 1
			if replacement {
				next = i
			}
			ok := walk(next)
			idx = idx[:len(idx)-1]
			used[i] = false
			if !ok {
				return false
			}
		}
		return true
	}
	if !walk(0) {
		return exec.AsValue(errTooMany)
	}
	return exec.AsValue(listOfLists(out))
}

func listOfLists(in [][]any) []any {
	out := make([]any, len(in))
	for i, t := range in {
		out[i] = t
	}
	return out
}

// pyTZ is a pytz time zone: it renders as its name and localizes naive datetimes.
type pyTZ struct {
	name string
	loc  *time.Location
}

func (z pyTZ) String() string { return z.name }

func (z pyTZ) GetAttribute(name string) (*exec.Value, bool) {
	switch name {
	case "zone":
		return exec.AsValue(z.name), true
	case "localize":
		return exec.AsValue(func(va *exec.VarArgs) *exec.Value {
			if len(va.Args) == 0 {
				return exec.AsValue(errors.New("localize needs a datetime"))
			}
			dt, ok := asPyDatetime(va.Args[0])
			if !ok {
				return exec.AsValue(fmt.Errorf("localize needs a datetime, not %s", va.Args[0].String()))
			}
			if dt.aware {
				return exec.AsValue(errors.New("localize: the datetime already has a time zone (use astimezone)"))
			}
			t := dt.t
			return exec.AsValue(pyDatetime{t: time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), z.loc), aware: true})
		}), true
	}
	return exec.AsValue(nil), false
}

// pytzNamespace is modules.pytz: timezone(name), utc, UTC and all_timezones is left out.
func pytzNamespace() jinja.Namespace {
	utc := pyTZ{name: "UTC", loc: time.UTC}
	return jinja.Namespace{
		"utc": utc,
		"UTC": utc,
		"timezone": func(va *exec.VarArgs) *exec.Value {
			name := argString(va)
			if name == "" {
				return exec.AsValue(errors.New("modules.pytz.timezone needs a zone name"))
			}
			if strings.EqualFold(name, "utc") {
				return exec.AsValue(utc)
			}
			loc, err := time.LoadLocation(name)
			if err != nil {
				return exec.AsValue(fmt.Errorf("modules.pytz.timezone: unknown time zone %q", name))
			}
			return exec.AsValue(pyTZ{name: name, loc: loc})
		},
	}
}

// pyDatetime is a Python datetime: naive (no time zone) or aware.
type pyDatetime struct {
	t     time.Time
	aware bool
	// dateOnly makes it a Python date (a DATE column of a query's result).
	dateOnly bool
}

func asPyDatetime(v *exec.Value) (pyDatetime, bool) {
	switch x := v.Interface().(type) {
	case pyDatetime:
		return x, true
	case startedAt:
		return pyDatetime{t: time.Time(x).UTC(), aware: true}, true
	}
	return pyDatetime{}, false
}

func asPyTZ(v *exec.Value) (pyTZ, bool) {
	z, ok := v.Interface().(pyTZ)
	return z, ok
}

// String is Python's str(datetime): 2024-01-31 10:20:30[.123456][+01:00].
func (d pyDatetime) String() string {
	if d.dateOnly {
		return d.t.Format("2006-01-02")
	}
	s := d.t.Format("2006-01-02 15:04:05")
	if us := d.t.Nanosecond() / 1000; us != 0 {
		s += fmt.Sprintf(".%06d", us)
	}
	if d.aware {
		s += d.t.Format("-07:00")
	}
	return s
}

func (d pyDatetime) GetAttribute(name string) (*exec.Value, bool) {
	return datetimeAttribute(d, name)
}

// datetimeAttribute gives a datetime's attributes and methods; run_started_at shares them.
func datetimeAttribute(d pyDatetime, name string) (*exec.Value, bool) {
	t := d.t
	switch name {
	case "strftime":
		return exec.AsValue(func(va *exec.VarArgs) *exec.Value {
			return exec.AsValue(t.Format(strftimeLayout.Replace(argString(va))))
		}), true
	case "isoformat":
		return exec.AsValue(func(*exec.VarArgs) *exec.Value {
			if d.dateOnly {
				return exec.AsValue(t.Format("2006-01-02"))
			}
			s := t.Format("2006-01-02T15:04:05")
			if us := t.Nanosecond() / 1000; us != 0 {
				s += fmt.Sprintf(".%06d", us)
			}
			if d.aware {
				s += t.Format("-07:00")
			}
			return exec.AsValue(s)
		}), true
	case "astimezone":
		return exec.AsValue(func(va *exec.VarArgs) *exec.Value {
			loc := time.UTC
			if len(va.Args) > 0 {
				z, ok := asPyTZ(va.Args[0])
				if !ok {
					return exec.AsValue(fmt.Errorf("astimezone needs a time zone (modules.pytz.timezone('…')), not %s", va.Args[0].String()))
				}
				loc = z.loc
			}
			return exec.AsValue(pyDatetime{t: t.In(loc), aware: true})
		}), true
	case "replace":
		return exec.AsValue(func(va *exec.VarArgs) *exec.Value {
			out := d
			parts := []int{t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond() / 1000}
			for i, key := range []string{"year", "month", "day", "hour", "minute", "second", "microsecond"} {
				if v, ok := va.KwArgs[key]; ok {
					if !v.IsInteger() {
						return exec.AsValue(fmt.Errorf("replace(): %s must be an integer", key))
					}
					parts[i] = v.Integer()
				}
			}
			out.t = time.Date(parts[0], time.Month(parts[1]), parts[2], parts[3], parts[4], parts[5], parts[6]*1000, t.Location())
			t := out.t
			if z, ok := va.KwArgs["tzinfo"]; ok {
				if z.IsNil() {
					out.aware = false
					out.t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
				} else if tz, ok := asPyTZ(z); ok {
					out.aware = true
					out.t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), tz.loc)
				}
			}
			return exec.AsValue(out)
		}), true
	case "tzinfo":
		if !d.aware {
			return exec.AsValue(nil), true
		}
		return exec.AsValue(pyTZ{name: t.Location().String(), loc: t.Location()}), true
	case "date":
		return exec.AsValue(func(*exec.VarArgs) *exec.Value {
			return exec.AsValue(pyDatetime{t: time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), dateOnly: true})
		}), true
	case "weekday":
		return exec.AsValue(func(*exec.VarArgs) *exec.Value { return exec.AsValue((int(t.Weekday()) + 6) % 7) }), true
	case "isoweekday":
		return exec.AsValue(func(*exec.VarArgs) *exec.Value { return exec.AsValue((int(t.Weekday())+6)%7 + 1) }), true
	case "timestamp":
		return exec.AsValue(func(*exec.VarArgs) *exec.Value { return exec.AsValue(float64(t.UnixMicro()) / 1e6) }), true
	case "year":
		return exec.AsValue(t.Year()), true
	case "month":
		return exec.AsValue(int(t.Month())), true
	case "day":
		return exec.AsValue(t.Day()), true
	case "hour":
		return exec.AsValue(t.Hour()), true
	case "minute":
		return exec.AsValue(t.Minute()), true
	case "second":
		return exec.AsValue(t.Second()), true
	case "microsecond":
		return exec.AsValue(t.Nanosecond() / 1000), true
	}
	return exec.AsValue(nil), false
}

// datetimeNow is modules.datetime.datetime.now(tz=None): naive UTC wall time without a zone
// (the engine's processes run in UTC), aware in tz with one.
func datetimeNow(va *exec.VarArgs) *exec.Value {
	now := time.Now().UTC()
	tzv, ok := va.KwArgs["tz"]
	if !ok && len(va.Args) > 0 {
		tzv, ok = va.Args[0], true
	}
	if !ok || tzv.IsNil() {
		return exec.AsValue(pyDatetime{t: now})
	}
	z, isTZ := asPyTZ(tzv)
	if !isTZ {
		return exec.AsValue(fmt.Errorf("datetime.now needs a time zone (modules.pytz.timezone('…')), not %s", tzv.String()))
	}
	return exec.AsValue(pyDatetime{t: now.In(z.loc), aware: true})
}

// datetimeNew is modules.datetime.datetime(year, month, day, hour=0, minute=0, second=0,
// microsecond=0, tzinfo=None).
func datetimeNew(va *exec.VarArgs) *exec.Value {
	parts := make([]int, 7)
	for i, key := range []string{"year", "month", "day", "hour", "minute", "second", "microsecond"} {
		def := 0
		if i < 3 {
			def = -1
		}
		v, ok := intArg(va, i, key, def)
		if !ok || (i < 3 && v < 1) {
			return exec.AsValue(errors.New("modules.datetime.datetime takes integers: year, month and day, then hour, minute, second, microsecond"))
		}
		parts[i] = v
	}
	loc, aware := time.UTC, false
	tzv, ok := va.KwArgs["tzinfo"]
	if !ok && len(va.Args) > 7 {
		tzv, ok = va.Args[7], true
	}
	if ok && !tzv.IsNil() {
		z, isTZ := asPyTZ(tzv)
		if !isTZ {
			return exec.AsValue(fmt.Errorf("tzinfo must be a time zone (modules.pytz.timezone('…')), not %s", tzv.String()))
		}
		loc, aware = z.loc, true
	}
	t := time.Date(parts[0], time.Month(parts[1]), parts[2], parts[3], parts[4], parts[5], parts[6]*1000, loc)
	return exec.AsValue(pyDatetime{t: t, aware: aware})
}

// Add is datetime + timedelta (and date + timedelta), as Python has it.
func (d pyDatetime) Add(other any, _ bool) (any, bool) {
	td, ok := other.(pyTimedelta)
	if !ok {
		return nil, false
	}
	out := d
	out.t = d.t.Add(td.d)
	return out, true
}

// Sub is datetime - timedelta, and datetime - datetime (a timedelta).
func (d pyDatetime) Sub(other any, otherOnLeft bool) (any, bool) {
	switch o := other.(type) {
	case pyTimedelta:
		if otherOnLeft {
			return nil, false
		}
		out := d
		out.t = d.t.Add(-o.d)
		return out, true
	case pyDatetime:
		if otherOnLeft {
			return pyTimedelta{d: o.t.Sub(d.t)}, true
		}
		return pyTimedelta{d: d.t.Sub(o.t)}, true
	}
	return nil, false
}

// pyTimedelta is a Python timedelta (microsecond precision).
type pyTimedelta struct{ d time.Duration }

// timedeltaNew is modules.datetime.timedelta(days=0, seconds=0, microseconds=0,
// milliseconds=0, minutes=0, hours=0, weeks=0).
func timedeltaNew(va *exec.VarArgs) *exec.Value {
	units := []struct {
		key string
		d   time.Duration
	}{{"days", 24 * time.Hour}, {"seconds", time.Second}, {"microseconds", time.Microsecond},
		{"milliseconds", time.Millisecond}, {"minutes", time.Minute}, {"hours", time.Hour}, {"weeks", 7 * 24 * time.Hour}}
	var total float64
	for i, u := range units {
		v, ok := va.KwArgs[u.key]
		if !ok && i < len(va.Args) {
			v, ok = va.Args[i], true
		}
		if !ok {
			continue
		}
		if !v.IsNumber() {
			return exec.AsValue(fmt.Errorf("timedelta(): %s must be a number", u.key))
		}
		total += v.Float() * float64(u.d)
	}
	return exec.AsValue(pyTimedelta{d: time.Duration(total).Round(time.Microsecond)})
}

// String is Python's str(timedelta): "10 days, 2:03:04", "-1 day, 23:00:00".
func (td pyTimedelta) String() string {
	us := td.d.Microseconds()
	days := us / (86400 * 1e6)
	rest := us % (86400 * 1e6)
	if rest < 0 {
		days--
		rest += 86400 * 1e6
	}
	h, m := rest/3600e6, rest%3600e6/60e6
	sec, frac := rest%60e6/1e6, rest%1e6
	s := fmt.Sprintf("%d:%02d:%02d", h, m, sec)
	if frac != 0 {
		s += fmt.Sprintf(".%06d", frac)
	}
	switch {
	case days == 1 || days == -1:
		s = fmt.Sprintf("%d day, %s", days, s)
	case days != 0:
		s = fmt.Sprintf("%d days, %s", days, s)
	}
	return s
}

func (td pyTimedelta) GetAttribute(name string) (*exec.Value, bool) {
	us := td.d.Microseconds()
	days := us / (86400 * 1e6)
	if us < 0 && us%(86400*1e6) != 0 {
		days--
	}
	rest := us - days*86400*1e6
	switch name {
	case "days":
		return exec.AsValue(int(days)), true
	case "seconds":
		return exec.AsValue(int(rest / 1e6)), true
	case "microseconds":
		return exec.AsValue(int(rest % 1e6)), true
	case "total_seconds":
		return exec.AsValue(func(*exec.VarArgs) *exec.Value { return exec.AsValue(float64(us) / 1e6) }), true
	}
	return exec.AsValue(nil), false
}

func (td pyTimedelta) Add(other any, _ bool) (any, bool) {
	if o, ok := other.(pyTimedelta); ok {
		return pyTimedelta{d: td.d + o.d}, true
	}
	return nil, false
}

func (td pyTimedelta) Sub(other any, otherOnLeft bool) (any, bool) {
	if o, ok := other.(pyTimedelta); ok {
		if otherOnLeft {
			return pyTimedelta{d: o.d - td.d}, true
		}
		return pyTimedelta{d: td.d - o.d}, true
	}
	return nil, false
}

// dateNew is modules.datetime.date(year, month, day).
func dateNew(va *exec.VarArgs) *exec.Value {
	parts := make([]int, 3)
	for i, key := range []string{"year", "month", "day"} {
		v, ok := intArg(va, i, key, -1)
		if !ok || v < 1 {
			return exec.AsValue(errors.New("modules.datetime.date takes integers: year, month and day"))
		}
		parts[i] = v
	}
	return exec.AsValue(pyDatetime{t: time.Date(parts[0], time.Month(parts[1]), parts[2], 0, 0, 0, 0, time.UTC), dateOnly: true})
}
