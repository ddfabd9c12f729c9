package cron

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

var monthLong = []string{"", "January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"}
var dayLong = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}

// Describe says when the schedule fires, in English: "At 02:30, Monday through
// Friday", "Every 15 minutes", "At 00:00 on day 31 of the month". Times are
// wall-clock times in the schedule's zone.
func (s *Schedule) Describe() string {
	return s.describeTime() + s.describeDays() + s.describeMonths()
}

func (s *Schedule) describeTime() string {
	mins, hours := s.items[0], s.items[1]
	if allSingle(mins) && allSingle(hours) && len(mins)*len(hours) <= 6 {
		var times []int
		for _, h := range hours {
			for _, m := range mins {
				times = append(times, h.lo*60+m.lo)
			}
		}
		sort.Ints(times)
		var texts []string
		for i, t := range times {
			if i > 0 && t == times[i-1] {
				continue
			}
			texts = append(texts, fmt.Sprintf("%02d:%02d", t/60, t%60))
		}
		return "At " + joinAnd(texts)
	}

	var minute string
	everyMinute := false // the minute phrase already says "every"
	switch {
	case len(mins) == 1 && mins[0].star:
		everyMinute = true
		if mins[0].step == 1 {
			minute = "Every minute"
		} else {
			minute = fmt.Sprintf("Every %d minutes", mins[0].step)
		}
	case allSingle(mins):
		minute = "At minute" + plural(len(mins)) + " " + joinAnd(values(mins, strconv.Itoa))
	default:
		var texts []string
		everyMinute = true
		for _, it := range mins {
			texts = append(texts, minuteText(it))
			everyMinute = everyMinute && !it.single
		}
		minute = capitalize(joinAnd(texts))
	}

	hourName := func(h int) string { return fmt.Sprintf("%02d:00", h) }
	switch {
	case len(hours) == 1 && hours[0].star && hours[0].step == 1:
		if everyMinute {
			return minute
		}
		return minute + " past every hour"
	case len(hours) == 1 && hours[0].star:
		return minute + " past every " + ordinal(hours[0].step) + " hour"
	case len(hours) == 1 && !hours[0].single && hours[0].step == 1:
		return fmt.Sprintf("%s, between %02d:00 and %02d:59", minute, hours[0].lo, hours[0].hi)
	case allSingle(hours):
		return minute + ", during the " + joinAnd(values(hours, hourName)) + " hour" + plural(len(hours))
	default:
		var texts []string
		for _, it := range hours {
			texts = append(texts, hourText(it))
		}
		return minute + ", " + joinAnd(texts)
	}
}

// minuteText describes one item of the minute field inside a list.
func minuteText(it item) string {
	switch {
	case it.single:
		return fmt.Sprintf("at minute %d", it.lo)
	case it.star && it.step == 1:
		return "every minute"
	case it.star:
		return fmt.Sprintf("every %d minutes", it.step)
	case it.step == 1:
		return fmt.Sprintf("every minute from minute %d through %d", it.lo, it.hi)
	}
	return fmt.Sprintf("every %d minutes from minute %d through %d", it.step, it.lo, it.hi)
}

// hourText describes one item of the hour field inside a list.
func hourText(it item) string {
	switch {
	case it.single:
		return fmt.Sprintf("during the %02d:00 hour", it.lo)
	case it.star && it.step == 1:
		return "every hour"
	case it.star:
		return "every " + ordinal(it.step) + " hour"
	case it.step == 1:
		return fmt.Sprintf("between %02d:00 and %02d:59", it.lo, it.hi)
	}
	return fmt.Sprintf("every %s hour from %02d:00 through %02d:00", ordinal(it.step), it.lo, it.hi)
}

func (s *Schedule) describeDays() string {
	domAll := len(s.items[2]) == 1 && s.items[2][0].star && s.items[2][0].step == 1
	dowAll := len(s.items[4]) == 1 && s.items[4][0].star && s.items[4][0].step == 1
	var dom, dow string
	if !domAll {
		items := s.items[2]
		if allSingle(items) {
			dom = "on day" + plural(len(items)) + " " + joinAnd(values(items, strconv.Itoa)) + " of the month"
		} else {
			var texts []string
			for _, it := range items {
				if it.single {
					texts = append(texts, "day "+strconv.Itoa(it.lo))
				} else {
					texts = append(texts, stepText(it, "day", "days", strconv.Itoa))
				}
			}
			dom = "on " + joinAnd(texts) + " of the month"
		}
	}
	if !dowAll {
		items := s.items[4]
		name := func(d int) string { return dayLong[d] }
		if allSingle(items) {
			dow = "on " + joinAnd(values(items, name))
		} else {
			var texts []string
			for _, it := range items {
				if it.single {
					texts = append(texts, name(it.lo))
				} else {
					texts = append(texts, stepText(it, "day of the week", "days of the week", name))
				}
			}
			dow = joinAnd(texts)
		}
	}
	switch {
	case dom == "" && dow == "":
		return ""
	case dow == "":
		return " " + dom
	case dom == "":
		return ", " + dow
	case !s.domStar && !s.dowStar:
		return " " + dom + " or " + dow // Vixie cron: either day field matches
	default:
		return " " + dom + ", but only " + dow
	}
}

func (s *Schedule) describeMonths() string {
	items := s.items[3]
	if len(items) == 1 && items[0].star && items[0].step == 1 {
		return ""
	}
	name := func(m int) string { return monthLong[m] }
	var texts []string
	for _, it := range items {
		if it.single {
			texts = append(texts, name(it.lo))
		} else {
			texts = append(texts, stepText(it, "month", "months", name))
		}
	}
	return ", in " + joinAnd(texts)
}

// stepText describes a range or step item: "every minute from 10 through 20",
// "every 5 minutes from 10 through 59", "every 2nd hour", "Monday through Friday".
func stepText(it item, unit, units string, name func(int) string) string {
	if it.single {
		return unit + " " + name(it.lo)
	}
	if it.star {
		if it.step == 1 {
			return "every " + unit
		}
		return "every " + ordinal(it.step) + " " + unit
	}
	if it.step == 1 {
		if unit == "day of the week" || unit == "month" {
			return name(it.lo) + " through " + name(it.hi)
		}
		return units + " " + name(it.lo) + " through " + name(it.hi)
	}
	return "every " + ordinal(it.step) + " " + unit + " from " + name(it.lo) + " through " + name(it.hi)
}

func allSingle(items []item) bool {
	for _, it := range items {
		if !it.single {
			return false
		}
	}
	return true
}

func values(items []item, name func(int) string) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, name(it.lo))
	}
	return out
}

func joinAnd(texts []string) string {
	switch len(texts) {
	case 0:
		return ""
	case 1:
		return texts[0]
	}
	return strings.Join(texts[:len(texts)-1], ", ") + " and " + texts[len(texts)-1]
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return strconv.Itoa(n) + suffix
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
