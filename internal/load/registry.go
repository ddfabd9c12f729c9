package load

import (
	"context"
	"fmt"
	"sort"
	"sync"
)

// DestinationOpener opens a destination of one connection type, loading into schema.
type DestinationOpener func(ctx context.Context, e Endpoint, schema string) (Destination, error)

// SourceOpener opens a source of one connection type.
type SourceOpener func(ctx context.Context, e Endpoint) (Source, error)

// The sources and destinations that live outside this package (the system packages pgload,
// myload, sqlgen and bqload import load, so load cannot import them): they register their
// openers here, and whatever runs loads links them in. pgload and myload register themselves
// when linked (internal/run and cmd/datanika link them); sqlgen and bqload are registered by
// the program (internal/connectors/builtin).
var (
	openersMu     sync.RWMutex
	openers       = map[string]DestinationOpener{}
	sourceOpeners = map[string]SourceOpener{}
)

// RegisterSource makes OpenSource open connections of type typ with open. A second
// registration of the same type replaces the first.
func RegisterSource(typ string, open SourceOpener) {
	openersMu.Lock()
	defer openersMu.Unlock()
	sourceOpeners[typ] = open
}

// openRegisteredSource opens a source through its registered opener.
func openRegisteredSource(ctx context.Context, e Endpoint) (Source, error) {
	openersMu.RLock()
	open, ok := sourceOpeners[e.Type]
	openersMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("source type %q is not supported by the load engine yet", e.Type)
	}
	return open(ctx, e)
}

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
