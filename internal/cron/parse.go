package cron

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseError is a crontab expression that does not parse. Its message is one
// line of English naming the field at fault.
type ParseError struct {
	Field string // "minute", "hour", "day of month", "month", "day of week"; empty for the whole expression
	Msg   string
}

func (e *ParseError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// item is one comma-separated element of a field, kept for Describe.
type item struct {
	star   bool // starts with * (`*` or `*/n`)
	lo, hi int
	step   int // 1 when no step was given
	single bool
}

// field describes one of the five positions of an expression.
type field struct {
	name   string
	min    int
	max    int
	names  []string // names[i] is the name of value min+i
	maxArg int      // largest value accepted in the text (7 for day of week)
}

var monthNames = []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}
var dowNames = []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}

var fields = [5]field{
	{name: "minute", min: 0, max: 59, maxArg: 59},
	{name: "hour", min: 0, max: 23, maxArg: 23},
	{name: "day of month", min: 1, max: 31, maxArg: 31},
	{name: "month", min: 1, max: 12, maxArg: 12, names: monthNames},
	{name: "day of week", min: 0, max: 6, maxArg: 7, names: dowNames},
}

var macros = map[string]string{
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
	"@monthly":  "0 0 1 * *",
	"@weekly":   "0 0 * * 0",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
}

// Schedule is a parsed crontab expression.
type Schedule struct {
	minute uint64 // bit i: minute i
	hour   uint64 // bit i: hour i
	dom    uint64 // bit i: day i (1-31)
	month  uint64 // bit i: month i (1-12)
	dow    uint64 // bit i: weekday i (0 = Sunday)

	domStar, dowStar bool
	items            [5][]item
	text             [5]string
	macro            string
}

// Parse validates a standard 5-field crontab expression or macro; see the
// package documentation for the syntax. Errors are *ParseError.
func Parse(expr string) (*Schedule, error) {
	trimmed := strings.TrimSpace(expr)
	if trimmed == "" {
		return nil, &ParseError{Msg: "the expression is empty; expected 5 fields (minute hour day-of-month month day-of-week) or a macro such as @daily"}
	}
	s := &Schedule{}
	if strings.HasPrefix(trimmed, "@") {
		m := strings.ToLower(trimmed)
		exp, ok := macros[m]
		if !ok {
			return nil, &ParseError{Msg: fmt.Sprintf("unknown macro %q; use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly", trimmed)}
		}
		s.macro = m
		trimmed = exp
	}
	parts := strings.Fields(trimmed)
	if len(parts) != 5 {
		return nil, &ParseError{Msg: fmt.Sprintf("expected 5 fields (minute hour day-of-month month day-of-week), got %d", len(parts))}
	}
	sets := [5]*uint64{&s.minute, &s.hour, &s.dom, &s.month, &s.dow}
	for i, p := range parts {
		set, items, err := parseField(p, &fields[i])
		if err != nil {
			return nil, err
		}
		*sets[i] = set
		s.items[i] = items
		s.text[i] = strings.ToUpper(p)
	}
	s.domStar = strings.HasPrefix(parts[2], "*")
	s.dowStar = strings.HasPrefix(parts[4], "*")
	if !s.domStar && s.dowStar && !s.someDayExists() {
		return nil, &ParseError{Field: "day of month", Msg: fmt.Sprintf("%s never occurs in the chosen months, so the schedule would never fire", parts[2])}
	}
	return s, nil
}

// someDayExists reports whether some chosen day of month exists in some chosen
// month (February counting its 29th).
func (s *Schedule) someDayExists() bool {
	for m := 1; m <= 12; m++ {
		if s.month&(1<<m) == 0 {
			continue
		}
		for d := 1; d <= daysInMonth(2000, m); d++ { // 2000 is a leap year
			if s.dom&(1<<d) != 0 {
				return true
			}
		}
	}
	return false
}

func parseField(text string, f *field) (uint64, []item, error) {
	var set uint64
	var items []item
	for _, el := range strings.Split(text, ",") {
		it, err := parseItem(el, f)
		if err != nil {
			return 0, nil, err
		}
		for v := it.lo; v <= it.hi; v += it.step {
			if f.maxArg == 7 && v == 7 {
				set |= 1 // 7 is Sunday
				continue
			}
			set |= 1 << v
		}
		items = append(items, it)
	}
	return set, items, nil
}

func parseItem(el string, f *field) (item, error) {
	perr := func(format string, args ...any) (item, error) {
		return item{}, &ParseError{Field: f.name, Msg: fmt.Sprintf(format, args...)}
	}
	if el == "" {
		return perr("empty list element")
	}
	it := item{step: 1}
	rng, stepText, hasStep := strings.Cut(el, "/")
	switch {
	case rng == "*":
		it.star = true
		it.lo, it.hi = f.min, f.maxArg
		if f.maxArg == 7 {
			it.hi = 6
		}
	case strings.Contains(rng, "-"):
		a, b, _ := strings.Cut(rng, "-")
		lo, err := parseValue(a, f)
		if err != nil {
			return item{}, err
		}
		hi, err := parseValue(b, f)
		if err != nil {
			return item{}, err
		}
		if f.maxArg == 7 && hi == 0 && lo > 0 && strings.EqualFold(b, "SUN") {
			hi = 7 // MON-SUN ends on the Sunday that is 7
		}
		if lo > hi {
			return perr("range %s is reversed; the start must not exceed the end", rng)
		}
		it.lo, it.hi = lo, hi
	default:
		v, err := parseValue(rng, f)
		if err != nil {
			return item{}, err
		}
		it.lo, it.hi = v, v
		if hasStep {
			it.hi = f.maxArg // `5/10`: from 5 to the end
			if f.maxArg == 7 {
				it.hi = 6
			}
		} else {
			it.single = true
		}
	}
	if hasStep {
		span := f.max - f.min
		n, err := strconv.Atoi(stepText)
		if err != nil || stepText == "" || strings.TrimLeft(stepText, "0123456789") != "" {
			return perr("step %q is not a number", stepText)
		}
		if n < 1 || n > span {
			return perr("step %d is out of range 1-%d", n, span)
		}
		it.step = n
	}
	return it, nil
}

func parseValue(s string, f *field) (int, error) {
	if s == "" {
		return 0, &ParseError{Field: f.name, Msg: "missing value"}
	}
	if s[0] >= '0' && s[0] <= '9' {
		if strings.TrimLeft(s, "0123456789") != "" {
			return 0, &ParseError{Field: f.name, Msg: fmt.Sprintf("%q is not a number", s)}
		}
		v, err := strconv.Atoi(s)
		if err != nil || v < f.min || v > f.maxArg {
			return 0, &ParseError{Field: f.name, Msg: fmt.Sprintf("%s is out of range %d-%d", s, f.min, f.maxArg)}
		}
		return v, nil
	}
	up := strings.ToUpper(s)
	for i, n := range f.names {
		if n == up {
			return f.min + i, nil
		}
	}
	if f.names == nil {
		return 0, &ParseError{Field: f.name, Msg: fmt.Sprintf("%q is not a number", s)}
	}
	return 0, &ParseError{Field: f.name, Msg: fmt.Sprintf("unknown name %q; use %s-%s or %d-%d", s, f.names[0], f.names[len(f.names)-1], f.min, f.maxArg)}
}

// String is the normalized expression: a macro in lower case, otherwise the
// five fields upper-cased and separated by single spaces.
func (s *Schedule) String() string {
	if s.macro != "" {
		return s.macro
	}
	return strings.Join(s.text[:], " ")
}

func daysInMonth(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
