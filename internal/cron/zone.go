package cron

import (
	"fmt"
	"strings"
	"time"
)

// LoadZone validates an IANA time zone name such as "Europe/London" or "UTC".
// "Local" and the empty name are rejected: a schedule's zone must not depend on
// the host.
func LoadZone(name string) (*time.Location, error) {
	switch {
	case name == "":
		return nil, fmt.Errorf("time zone is empty; give an IANA name such as Europe/London or UTC")
	case strings.EqualFold(name, "Local"):
		return nil, fmt.Errorf("time zone %q depends on the server; give an IANA name such as Europe/London or UTC", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q; give an IANA name such as Europe/London or UTC", name)
	}
	return loc, nil
}
