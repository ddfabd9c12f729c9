package load

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// ErrDestinationNotSupported is SupportsDestination's answer for a type the engine has no
// destination for at all.
var ErrDestinationNotSupported = errors.New("not supported by the load engine")

// sourceTypes are the connection types OpenSource reads; keep it in step with OpenSource and
// the system packages' registrations (postgres: pgload, mysql: myload; internal/run links
// both).
var sourceTypes = []string{"postgres", "mysql", "sqlite", "mssql", "rest_api", "file", "s3"}

// SupportsSource reports whether OpenSource reads connections of type typ, so a pipeline from
// a type the engine cannot read is refused when it is saved, not when it first runs.
func SupportsSource(typ string) bool { return slices.Contains(sourceTypes, typ) }

// SupportsDestination returns nil when OpenDestination loads into connections of type typ
// (PostgreSQL and MySQL — packages pgload and myload, linked wherever loads run — and the
// other registered destinations), else the reason it cannot.
func SupportsDestination(typ string) error {
	switch typ {
	case "postgres", "mysql":
		return nil
	}
	openersMu.RLock()
	defer openersMu.RUnlock()
	if why, ok := unavailable[typ]; ok {
		return why
	}
	if _, ok := openers[typ]; ok {
		return nil
	}
	return fmt.Errorf("destination type %q: %w", typ, ErrDestinationNotSupported)
}

// unavailable are destination types registered only to say why they cannot be loaded into.
var unavailable = map[string]error{}

// RegisterUnavailableDestination registers typ as a destination the engine knows but cannot
// load into yet: OpenDestination and SupportsDestination answer why.
func RegisterUnavailableDestination(typ string, why error) {
	openersMu.Lock()
	defer openersMu.Unlock()
	unavailable[typ] = why
	openers[typ] = func(context.Context, Endpoint, string) (Destination, error) { return nil, why }
}
