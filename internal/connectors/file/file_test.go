package file

import (
	"testing"

	"github.com/datanika/datanika/internal/connectors/connectorstest"
)

func TestFile_IsDescribedButNotOffered(t *testing.T) {
	t.Parallel()
	connectorstest.RequireNotOffered(t, Type())
}

func TestFileConfig_ValidatesWithFieldPaths(t *testing.T) {
	t.Parallel()
	typ := Type()
	valid := map[string]any{"file_id": 3, "format": "csv", "compression": "gzip", "has_header": true, "delimiter": ";"}
	connectorstest.RequireValid(t, typ, valid)
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid, "file_id", "3"), "config.file_id")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid, "format", connectorstest.Remove), "config.format")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid, "delimiter", ";;"), "config.delimiter")
	connectorstest.RequireInvalid(t, typ, connectorstest.With(valid, "path", "/etc/passwd"), "config.path")
}

func TestFileConfig_HasNoSecrets(t *testing.T) {
	t.Parallel()
	connectorstest.RequireMasked(t, Type(), map[string]any{"file_id": 3, "format": "csv"})
}
