package cron_test

import (
	"fmt"
	"time"

	"github.com/datanika/datanika/internal/cron"
)

// On the US spring-forward day 02:30 does not exist; the fire happens once, at
// the transition (03:00 EDT).
func Example() {
	s, err := cron.Parse("30 2 * * *")
	if err != nil {
		panic(err)
	}
	loc, err := cron.LoadZone("America/New_York")
	if err != nil {
		panic(err)
	}
	fmt.Println(s.Describe())
	for _, t := range s.NextN(time.Date(2026, 3, 7, 0, 0, 0, 0, time.UTC), loc, 3) {
		fmt.Println(t.Format("2006-01-02 15:04 MST"))
	}
	_, err = cron.Parse("0 24 * * *")
	fmt.Println(err)
	// Output:
	// At 02:30
	// 2026-03-07 02:30 EST
	// 2026-03-08 03:00 EDT
	// 2026-03-09 02:30 EDT
	// hour: 24 is out of range 0-23
}
