package connectors

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/datanika/datanika/internal/apperr"
)

// FieldError names one invalid field by its JSON path, such as "config.port". It is the
// apperr type, so the API maps it without conversion.
type FieldError = apperr.FieldError

// ValidationError is returned by Registry.Open for a config that breaks its schema.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return "invalid config: " + strings.Join(parts, "; ")
}

// Validate checks config against the schema of the named type. Paths start with "config";
// an unknown type is reported on "type". Messages never repeat the offending value, since it
// could be a secret typed into the wrong field.
func (r *Registry) Validate(typeName string, config map[string]any) []FieldError {
	e := r.entry(typeName)
	if e == nil {
		return []FieldError{{Field: "type", Message: "unknown connection type"}}
	}
	return e.validate(config)
}

func (e *entry) validate(config map[string]any) []FieldError {
	if config == nil {
		config = map[string]any{}
	}
	// The validator wants what encoding/json produces (json.Number, []any, map[string]any);
	// a round trip also turns Go values such as int or []string into that shape.
	raw, err := json.Marshal(config)
	if err != nil {
		return []FieldError{{Field: "config", Message: "is not representable as JSON"}}
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return []FieldError{{Field: "config", Message: "is not representable as JSON"}}
	}
	err = e.schema.Validate(doc)
	if err == nil {
		return nil
	}
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		return []FieldError{{Field: "config", Message: "could not be validated"}}
	}
	fields := map[FieldError]bool{}
	collectFieldErrors(verr, fields)
	out := make([]FieldError, 0, len(fields))
	for f := range fields {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Field != out[j].Field {
			return out[i].Field < out[j].Field
		}
		return out[i].Message < out[j].Message
	})
	return out
}

// collectFieldErrors flattens the validator's error tree into one error per field: the leaves
// carry the precise reasons, the inner nodes only say "some subschema failed".
func collectFieldErrors(verr *jsonschema.ValidationError, out map[FieldError]bool) {
	path := fieldPath(verr.InstanceLocation)
	if len(verr.Causes) > 0 {
		for _, c := range verr.Causes {
			// A bad property name is validated as a value of its own, so its error has lost
			// the location of the object holding it; the schema location still tells it.
			if k, ok := c.ErrorKind.(*kind.PropertyNames); ok {
				out[FieldError{Field: objectPath(c.SchemaURL) + "." + k.Property, Message: "is not an allowed name"}] = true
				continue
			}
			collectFieldErrors(c, out)
		}
		return
	}
	switch k := verr.ErrorKind.(type) {
	case *kind.Required:
		for _, name := range k.Missing {
			out[FieldError{Field: path + "." + name, Message: "is required"}] = true
		}
	case *kind.DependentRequired:
		for _, name := range k.Missing {
			out[FieldError{Field: path + "." + name, Message: "is required with " + k.Prop}] = true
		}
	case *kind.AdditionalProperties:
		for _, name := range k.Properties {
			out[FieldError{Field: path + "." + name, Message: "is not a known field"}] = true
		}
	case *kind.Type:
		out[FieldError{Field: path, Message: "must be of type " + strings.Join(k.Want, " or ")}] = true
	case *kind.Enum:
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = fmt.Sprint(w)
		}
		out[FieldError{Field: path, Message: "must be one of: " + strings.Join(want, ", ")}] = true
	case *kind.Const:
		out[FieldError{Field: path, Message: fmt.Sprintf("must be %v", k.Want)}] = true
	case *kind.Pattern:
		out[FieldError{Field: path, Message: "contains characters that are not allowed"}] = true
	case *kind.Minimum:
		out[FieldError{Field: path, Message: "must be at least " + k.Want.RatString()}] = true
	case *kind.Maximum:
		out[FieldError{Field: path, Message: "must be at most " + k.Want.RatString()}] = true
	case *kind.ExclusiveMinimum:
		out[FieldError{Field: path, Message: "must be greater than " + k.Want.RatString()}] = true
	case *kind.ExclusiveMaximum:
		out[FieldError{Field: path, Message: "must be less than " + k.Want.RatString()}] = true
	case *kind.MinLength:
		out[FieldError{Field: path, Message: fmt.Sprintf("must be at least %d characters", k.Want)}] = true
	case *kind.MaxLength:
		out[FieldError{Field: path, Message: fmt.Sprintf("must be at most %d characters", k.Want)}] = true
	case *kind.FalseSchema:
		out[FieldError{Field: path, Message: "is not allowed"}] = true
	default:
		// The library's own wording may quote the value, so only the rule is named.
		out[FieldError{Field: path, Message: "does not satisfy " + strings.Join(k.KeywordPath(), "/")}] = true
	}
}

// fieldPath turns an instance location such as ["auth", "token"] into "config.auth.token"
// (array indexes as "config.resources[0].path").
func fieldPath(loc []string) string {
	var b strings.Builder
	b.WriteString("config")
	for _, tok := range loc {
		if isIndex(tok) {
			b.WriteString("[" + tok + "]")
			continue
		}
		b.WriteString("." + tok)
	}
	return b.String()
}

// objectPath reads the path of an object from the location of its propertyNames schema, such
// as "urn:…#/properties/headers/propertyNames" → "config.headers". Locations through other
// keywords (items, allOf…) cannot name the instance and fall back to "config".
func objectPath(schemaURL string) string {
	_, ptr, _ := strings.Cut(schemaURL, "#")
	toks := strings.Split(strings.TrimSuffix(strings.TrimPrefix(ptr, "/"), "/propertyNames"), "/")
	var loc []string
	for i := 0; i+1 < len(toks); i += 2 {
		if toks[i] != "properties" {
			return "config"
		}
		name := strings.ReplaceAll(strings.ReplaceAll(toks[i+1], "~1", "/"), "~0", "~")
		loc = append(loc, name)
	}
	return fieldPath(loc)
}

func isIndex(tok string) bool {
	if tok == "" {
		return false
	}
	for _, c := range tok {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// compileSchema compiles a type's config schema. It returns the decoded document too, which
// markTree walks.
func compileSchema(name string, raw json.RawMessage) (*jsonschema.Schema, any, error) {
	if len(raw) == 0 {
		return nil, nil, errors.New("config schema is required")
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, nil, fmt.Errorf("config schema is not JSON: %w", err)
	}
	obj, ok := doc.(map[string]any)
	if !ok || obj["type"] != "object" {
		return nil, nil, errors.New(`config schema must be {"type": "object", ...}`)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	url := "urn:datanika:connection-type:" + name
	if err := c.AddResource(url, doc); err != nil {
		return nil, nil, fmt.Errorf("config schema: %w", err)
	}
	schema, err := c.Compile(url)
	if err != nil {
		return nil, nil, fmt.Errorf("config schema: %w", err)
	}
	return schema, doc, nil
}
