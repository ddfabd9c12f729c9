package server

import (
	"context"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika"
)

// TestContract_EveryOperationFollowsTheConventions walks openapi.yaml so that a new operation
// cannot land without an operationId, a tag, a summary and the Problem default response, and
// so that every business path sits under /api/v1 (SPEC §3).
func TestContract_EveryOperationFollowsTheConventions(t *testing.T) {
	t.Parallel()
	doc, err := openapi3.NewLoader().LoadFromData(datanika.OpenAPISpec)
	require.NoError(t, err)
	require.NoError(t, doc.Validate(context.Background()))
	require.Equal(t, "3.0.3", doc.OpenAPI)

	operationsPaths := map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}
	seen := map[string]string{}
	for path, item := range doc.Paths.Map() {
		if !operationsPaths[path] {
			require.Regexp(t, `^/api/v1/`, path)
		}
		for method, op := range item.Operations() {
			where := method + " " + path
			require.NotEmpty(t, op.OperationID, where)
			require.NotContains(t, seen, op.OperationID, "operationId %s is used twice", op.OperationID)
			seen[op.OperationID] = where
			require.NotEmpty(t, op.Tags, where)
			require.NotEmpty(t, op.Summary, where)
			def := op.Responses.Default()
			require.NotNil(t, def, "%s has no default response", where)
			require.Equal(t, "#/components/responses/Problem", def.Ref, where)
			hasSuccess := false
			for code := range op.Responses.Map() {
				if code[0] == '2' || code[0] == '3' {
					hasSuccess = true
				}
			}
			require.True(t, hasSuccess, "%s documents no success response", where)
		}
	}
	require.NotEmpty(t, seen)
}
