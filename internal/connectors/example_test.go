package connectors_test

import (
	"encoding/json"
	"fmt"

	"github.com/datanika/datanika/internal/connectors"
)

// A config leaves the server masked; sent back, it keeps the stored secret, unless the edit
// points the connection at a new target: then the secret must be entered again.
func ExampleRegistry_Merge() {
	r := connectors.NewRegistry()
	r.MustRegister(connectors.Type{
		Name:  "example",
		Label: "Example",
		ConfigSchema: json.RawMessage(`{"type": "object", "required": ["host"], "properties": {
			"host": {"type": "string", "x-target": true}, "password": {"type": "string", "x-secret": true},
			"schema": {"type": "string"}}}`),
	})
	stored := map[string]any{"host": "db.internal", "password": "s3cret"}

	shown := r.Mask("example", stored)
	fmt.Println(shown["password"])

	edited := map[string]any{"host": "db.internal", "schema": "sales", "password": shown["password"]}
	merged, _ := r.Merge("example", stored, edited)
	fmt.Println(merged["schema"], merged["password"])

	moved := map[string]any{"host": "db2.example.com", "password": shown["password"]}
	_, err := r.Merge("example", stored, moved)
	fmt.Println(err)

	for _, fe := range r.Validate("example", map[string]any{"host": 5}) {
		fmt.Println(fe.Field, fe.Message)
	}
	// Output:
	// ********
	// sales s3cret
	// invalid config: config.password: must be entered again: the connection now points elsewhere (config.host), and a stored secret is never sent to a new destination
	// config.host must be of type string
}
