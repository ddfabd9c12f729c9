// Package connectors owns the registry of connection types: what each type is called, what it
// can do, the JSON Schema of its configuration (secret fields marked "x-secret": true, fields
// that decide where the connector connects marked "x-target": true), and how to open it. It
// also owns the small interfaces every connector implements (test, catalog, read-only query),
// config validation, secret masking and merging (a stored secret never follows a connection to
// a new target), scrubbing secrets from messages, and the Dialer through which every connector
// reaches the network. Each system lives in its own sub-package and registers
// its Type here, so a program links only the connectors it registers.
package connectors

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Capabilities say what a connection of a type can be used for.
type Capabilities struct {
	Source          bool `json:"source"`
	Destination     bool `json:"destination"`
	SQL             bool `json:"sql"`
	TransformTarget bool `json:"transform_target"`
}

// OpenFunc makes a connector from a validated config. It must not touch the network: a
// connector connects when one of its methods is called, so opening is cheap and never leaks.
type OpenFunc func(config map[string]any, env Env) (Connector, error)

// Type describes one kind of connection. It encodes to JSON as GET /connection-types shows
// it: name, label, capabilities, config_schema and available.
type Type struct {
	// Name is the stable identifier stored with each connection, such as "postgres".
	Name string `json:"name"`
	// Label is what people read, such as "PostgreSQL".
	Label        string       `json:"label"`
	Capabilities Capabilities `json:"capabilities"`
	// ConfigSchema is a JSON Schema (draft 2020-12) of the config object; fields holding
	// secrets carry "x-secret": true, and fields that decide where the connector sends its
	// bytes (host, port, URL, bucket, region, account…) carry "x-target": true, so a stored
	// secret is never sent to a new destination (see Registry.Merge).
	ConfigSchema json.RawMessage `json:"config_schema"`
	// Open is nil for a type that is described but not implemented yet; such a type is not
	// Available and must not be offered to users.
	Open OpenFunc `json:"-"`
}

// Available reports whether connections of the type can actually be made. The API offers only
// available types, so a type that cannot work is never listed as if it did.
func (t Type) Available() bool { return t.Open != nil }

// MarshalJSON adds "available" to the encoded fields.
func (t Type) MarshalJSON() ([]byte, error) {
	type plain Type // without this method
	return json.Marshal(struct {
		plain
		Available bool `json:"available"`
	}{plain(t), t.Available()})
}

// ErrUnknownType is returned for a type name that is not registered.
var ErrUnknownType = errors.New("unknown connection type")

// ErrUnavailable is returned when opening a type that is described but not implemented.
var ErrUnavailable = errors.New("connection type is not available")

// Registry holds the registered types. The zero value is not usable; call NewRegistry.
type Registry struct {
	mu    sync.RWMutex
	types map[string]*entry
}

type entry struct {
	typ    Type
	schema *jsonschema.Schema
	marks  *markNode
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{types: map[string]*entry{}}
}

var typeName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// Register adds a type. It fails for a bad or duplicate name, a missing label, or a config
// schema that does not compile or that masking could not follow (see markTree).
func (r *Registry) Register(t Type) error {
	if !typeName.MatchString(t.Name) {
		return fmt.Errorf("register connection type %q: name must match %s", t.Name, typeName)
	}
	if t.Label == "" {
		return fmt.Errorf("register connection type %q: label is required", t.Name)
	}
	schema, doc, err := compileSchema(t.Name, t.ConfigSchema)
	if err != nil {
		return fmt.Errorf("register connection type %q: %w", t.Name, err)
	}
	marks, err := markTree(doc)
	if err != nil {
		return fmt.Errorf("register connection type %q: %w", t.Name, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.types[t.Name]; dup {
		return fmt.Errorf("register connection type %q: already registered", t.Name)
	}
	r.types[t.Name] = &entry{typ: t, schema: schema, marks: marks}
	return nil
}

// MustRegister is Register for program wiring, where a bad type is a programming error.
func (r *Registry) MustRegister(types ...Type) {
	for _, t := range types {
		if err := r.Register(t); err != nil {
			panic(err)
		}
	}
}

// Lookup returns the type registered under name.
func (r *Registry) Lookup(name string) (Type, bool) {
	e := r.entry(name)
	if e == nil {
		return Type{}, false
	}
	return e.typ, true
}

// Types returns every registered type, available or not, sorted by name.
func (r *Registry) Types() []Type {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Type, 0, len(r.types))
	for _, e := range r.types {
		out = append(out, e.typ)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Offered returns the types users may choose: the available ones, sorted by name.
func (r *Registry) Offered() []Type {
	var out []Type
	for _, t := range r.Types() {
		if t.Available() {
			out = append(out, t)
		}
	}
	return out
}

// Open validates config and makes a connector of the named type. Validation failures come back
// as a *ValidationError carrying the field errors.
func (r *Registry) Open(typeName string, config map[string]any, env Env) (Connector, error) {
	e := r.entry(typeName)
	if e == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownType, typeName)
	}
	if !e.typ.Available() {
		return nil, fmt.Errorf("%w: %q", ErrUnavailable, typeName)
	}
	if fields := e.validate(config); len(fields) > 0 {
		return nil, &ValidationError{Fields: fields}
	}
	return e.typ.Open(config, env)
}

func (r *Registry) entry(name string) *entry {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.types[name]
}
