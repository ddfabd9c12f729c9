package bigquery

import (
	"testing"

	"github.com/datanika/datanika/internal/connectors/connectorstest"
)

func valid() map[string]any {
	return map[string]any{"project_id": "my-project-123", "dataset": "analytics", "location": "EU",
		"credentials_json": `{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----"}`}
}

func TestBigQuery_IsDescribedButNotOffered(t *testing.T) {
	t.Parallel()
	connectorstest.RequireNotOffered(t, Type())
}

func TestBigQueryConfig_ValidatesWithFieldPaths(t *testing.T) {
	t.Parallel()
	typ := Type()
	connectorstest.RequireValid(t, typ, valid())
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "credentials_json", connectorstest.Remove), "config.credentials_json")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "project_id", "My Project"), "config.project_id")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "dataset", "a.b; DROP"), "config.dataset")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid(), "credentials_json", map[string]any{"type": "x"}), "config.credentials_json")
}

func TestBigQueryConfig_MasksTheKey(t *testing.T) {
	t.Parallel()
	connectorstest.RequireMasked(t, Type(), valid(), []string{"credentials_json"})
}
