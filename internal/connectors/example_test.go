package connectors_test

import (
	"encoding/json"
	"fmt"

	"github.com/datanika/datanika/internal/connectors"
)

// A config leaves the server masked; sent back unchanged, it keeps the stored secret.
func ExampleRegistry_Merge() {
	r := connectors.NewRegistry()
	r.MustRegister(connectors.Type{
		Name:  "example",
		Label: "Example",
		ConfigSchema: json.RawMessage(`{"type": "object", "required": ["host"], "properties": {
			"host": {"type": "string"}, "password": {"type": "string", "x-secret": true}}}`),
	})
	stored := map[string]any{"host": "db.internal", "password": "s3cret"}

	shown := r.Mask("example", stored)
	fmt.Println(shown["password"])

	edited := map[string]any{"host": "db2.internal", "password": shown["password"]}
	merged := r.Merge("example", stored, edited)
	fmt.Println(merged["host"], merged["password"])

	fmt.Println(r.Validate("example", map[string]any{"host": 5}))
	// Output:
	// ********
	// db2.internal s3cret
	// [{config.host must be of type string}]
}
