package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/transform"
)

func TestWriteSummaryJSON_WritesWhatTheEncoderWrites(t *testing.T) {
	t.Parallel()
	for name, s := range map[string]*transform.Summary{
		"no nodes":    {Status: transform.StatusSuccess, Seconds: 0.5},
		"empty nodes": {Status: transform.StatusSuccess, Nodes: []transform.Result{}},
		"nodes and warnings": {Status: transform.StatusError, Seconds: 1.234567891, Warnings: []string{"a <b> & \"c\"", "é\u2028"},
			Nodes: []transform.Result{
				{UniqueID: "model.p.a", ResourceType: "model", Status: "success", Seconds: 1e-7, Message: "compiled", CompiledSQL: "select '<&>' as x\n;"},
				{UniqueID: "test.p.t", ResourceType: "test", Status: "fail", Failures: 3, RowsAffected: -1,
					Sample: []map[string]any{{"id": 1, "name": "x\ty"}, {"id": nil}}},
				{},
			}},
	} {
		var want bytes.Buffer
		require.NoError(t, json.NewEncoder(&want).Encode(s), name)
		var got bytes.Buffer
		require.NoError(t, writeSummaryJSON(&got, s), name)
		require.Equal(t, want.String(), got.String(), name)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteSummaryJSON_ReportsAWriteError(t *testing.T) {
	t.Parallel()
	err := writeSummaryJSON(failingWriter{}, &transform.Summary{Status: transform.StatusSuccess})
	require.ErrorContains(t, err, "disk full")
}
