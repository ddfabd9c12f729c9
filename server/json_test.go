package server

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/api"
)

// Numbers in free-form request objects arrive digit for digit: a filter on a bigint key
// beyond 2^53 (9007199254740993, which a float64 turns into ...992) is stored, shown and run
// exactly — the run loads that one row, not its neighbour.
func TestPipelines_BigIntegersInTheConfigStayExact(t *testing.T) {
	t.Parallel()
	e := setupRuns(t, runEnvOptions{})
	e.exec(t, e.src, "CREATE TABLE big (id bigint PRIMARY KEY, v text)")
	e.exec(t, e.src, "INSERT INTO big VALUES (9007199254740992, 'neighbour'), (9007199254740993, 'wanted')")
	body := `{"name": "big", "source_connection_id": ` + fmt.Sprint(e.srcConn.Id) + `, "destination_connection_id": ` + fmt.Sprint(e.dstConn.Id) +
		`, "config": {"mode": "single_table", "table": "public.big", "write_disposition": "replace",
		"filters": [{"column": "id", "op": "eq", "value": 9007199254740993}]}}`
	res := e.call(t, http.MethodPost, "/api/v1/pipelines", e.f.editor.AccessToken, body)
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	require.Contains(t, res.Body.String(), `"value":9007199254740993`)
	p := decode[api.Pipeline](t, res, http.StatusCreated)
	got := e.call(t, http.MethodGet, fmt.Sprintf("/api/v1/pipelines/%d", p.Id), e.f.editor.AccessToken, nil)
	require.True(t, strings.Contains(got.Body.String(), `"value":9007199254740993`), got.Body.String())

	run := e.trigger(t, p.Id, nil)
	r := e.waitFor(t, run.Id, 30*time.Second, "success", "failed")
	require.Equal(t, "success", r.status, "error: %v", r.errMsg)
	require.Equal(t, int64(1), e.count(t, e.dst, "SELECT count(*) FROM big.big"))
	require.Equal(t, int64(1), e.count(t, e.dst, "SELECT count(*) FROM big.big WHERE id = 9007199254740993 AND v = 'wanted'"))
}
