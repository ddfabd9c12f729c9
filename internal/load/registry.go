package load

import (
	"context"
	"fmt"
	"sort"
	"sync"
)

// DestinationOpener opens a destination of one connection type, loading into schema.
type DestinationOpener func(ctx context.Context, e Endpoint, schema string) (Destination, error)

// The destinations that live outside this package (internal/load/sqlgen imports load, so load
// cannot import it): they register their openers here, and the program links them in.
var (
	openersMu sync.RWMutex
	openers   = map[string]DestinationOpener{}
)

// RegisterDestination makes OpenDestination open connections of type typ with open. A
// second registration of the same type replaces the first (tests re-register freely).
func RegisterDestination(typ string, open DestinationOpener) {
	openersMu.Lock()
	defer openersMu.Unlock()
	openers[typ] = open
	delete(unavailable, typ)
}

// RegisteredDestinations lists the types registered with RegisterDestination, sorted.
func RegisteredDestinations() []string {
	openersMu.RLock()
	defer openersMu.RUnlock()
	out := make([]string, 0, len(openers))
	for t := range openers {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// openRegistered opens a destination through its registered opener.
func openRegistered(ctx context.Context, e Endpoint, schema string) (Destination, error) {
	openersMu.RLock()
	open, ok := openers[e.Type]
	openersMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("destination type %q is not supported by the load engine", e.Type)
	}
	return open(ctx, e, schema)
}
