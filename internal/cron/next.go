package cron

import "time"

// searchYears bounds Next's search. Parse rejects schedules that can never
// fire; the sparsest it accepts (29 February) fires at least every 8 years.
const searchYears = 9

// Next returns the first fire instant strictly after `after`, evaluated in loc
// with the daylight saving rules of the package documentation. The result is
// in loc. It is the zero Time only if nothing fires within nine years, which a
// parsed schedule cannot do.
func (s *Schedule) Next(after time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	after = after.In(loc)
	// Wall-clock times are handled as Unix seconds of the same fields in UTC.
	y, mo, d := after.Date()
	h, mi, _ := after.Clock()
	start := time.Date(y, mo, d, h, mi, 0, 0, time.UTC).Add(time.Minute)
	// A wall-clock time w at or before after's own wall clock fires at or
	// before after, so the candidates start one minute later. Their fire
	// instants never decrease with w, so the first candidate whose fire is
	// after `after` gives the answer.
	year, month, day := start.Date()
	hour, minute := start.Hour(), start.Minute()
	first := true
	endYear := year + searchYears
	for year <= endYear {
		if s.month&(1<<uint(month)) == 0 {
			year, month, day = nextMonth(year, month)
			first = false
			continue
		}
		if s.dayMatches(year, month, day) {
			dayStart := time.Date(year, month, day, 0, 0, 0, 0, time.UTC).Unix()
			h0, m0 := 0, 0
			if first {
				h0, m0 = hour, minute
			}
			for h := h0; h < 24; h++ {
				if s.hour&(1<<uint(h)) == 0 {
					continue
				}
				mStart := 0
				if h == h0 {
					mStart = m0
				}
				for m := mStart; m < 60; m++ {
					if s.minute&(1<<uint(m)) == 0 {
						continue
					}
					wall := dayStart + int64(h*3600+m*60)
					if t := fireAt(wall, loc); t.After(after) {
						return t
					}
				}
			}
		}
		first = false
		day++
		if day > daysInMonth(year, int(month)) {
			year, month, day = nextMonth(year, month)
		}
	}
	return time.Time{}
}

// NextN returns the n successive fires after `after`.
func (s *Schedule) NextN(after time.Time, loc *time.Location, n int) []time.Time {
	out := make([]time.Time, 0, max(n, 0))
	t := after
	for range n {
		t = s.Next(t, loc)
		if t.IsZero() {
			break
		}
		out = append(out, t)
	}
	return out
}

func nextMonth(year int, month time.Month) (int, time.Month, int) {
	if month == time.December {
		return year + 1, time.January, 1
	}
	return year, month + 1, 1
}

func (s *Schedule) dayMatches(year int, month time.Month, day int) bool {
	domOK := s.dom&(1<<uint(day)) != 0
	wd := time.Date(year, month, day, 0, 0, 0, 0, time.UTC).Weekday()
	dowOK := s.dow&(1<<uint(wd)) != 0
	if !s.domStar && !s.dowStar {
		return domOK || dowOK
	}
	return domOK && dowOK
}

// Zone offsets stay within these bounds (UTC-12 to UTC+14); a little margin.
const (
	minOffset = -13 * 3600
	maxOffset = 15 * 3600
)

// fireAt returns the first instant whose wall clock in loc reaches the
// wall-clock time `wall` (Unix seconds of its fields read as UTC): the first
// occurrence of a repeated time, the transition instant for a time in a gap.
func fireAt(wall int64, loc *time.Location) time.Time {
	// No instant before wall-maxOffset shows a wall clock at or after wall.
	t := time.Unix(wall-maxOffset, 0).In(loc)
	for range 8 { // offset periods inside a 28-hour window
		_, off := t.Zone()
		periodStart, periodEnd := t.ZoneBounds()
		cand := wall - int64(off) // the instant showing wall under this offset
		if periodEnd.IsZero() || cand < periodEnd.Unix() {
			// Wall clocks in this period reach wall: at cand, or at the
			// period's start if the clock jumped past wall into it.
			if !periodStart.IsZero() && cand < periodStart.Unix() {
				cand = periodStart.Unix()
			}
			if cand < t.Unix() {
				cand = t.Unix()
			}
			return time.Unix(cand, 0).In(loc)
		}
		t = periodEnd.In(loc)
	}
	// Not reached for real zones; fall back to Go's choice.
	return time.Unix(wall-int64(minOffset), 0).In(loc)
}
