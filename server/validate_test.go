package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika"
	"github.com/datanika/datanika/api"
)

// A contract with the shapes later resources use: query parameters, a nested body with
// required fields, ranges, enums and no unknown fields.
const validatorSpec = `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /api/v1/things:
    post:
      operationId: createThing
      parameters:
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 500}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [name, config]
              properties:
                name: {type: string, minLength: 1, maxLength: 100}
                mode: {type: string, enum: [append, replace, merge]}
                config:
                  type: object
                  required: [port]
                  properties:
                    port: {type: integer, minimum: 1, maximum: 65535}
                    incremental:
                      type: object
                      required: [cursor_path]
                      properties:
                        cursor_path: {type: string}
      responses:
        "200": {description: ok}
`

func validatorServer(t *testing.T) *echo.Echo {
	t.Helper()
	validators, err := operationValidators([]byte(validatorSpec))
	require.NoError(t, err)
	e := echo.New()
	e.HTTPErrorHandler = ErrorHandler(nopLogger())
	e.POST("/api/v1/things", func(c echo.Context) error { return c.NoContent(http.StatusOK) }, validators["createThing"]...)
	return e
}

func post(t *testing.T, e *echo.Echo, target, body string) (*httptest.ResponseRecorder, api.Problem) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	var p api.Problem
	if rec.Code >= 400 {
		require.Equal(t, problemContentType, rec.Header().Get("Content-Type"))
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p))
	}
	return rec, p
}

func fieldsOf(p api.Problem) map[string]string {
	m := map[string]string{}
	if p.Errors != nil {
		for _, f := range *p.Errors {
			m[f.Field] = f.Message
		}
	}
	return m
}

func TestValidator_ValidRequestPasses(t *testing.T) {
	t.Parallel()
	rec, _ := post(t, validatorServer(t), "/api/v1/things?limit=10", `{"name":"orders","mode":"merge","config":{"port":5432,"incremental":{"cursor_path":"updated_at"}}}`)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
}

func TestValidator_SchemaViolationsAnswer422WithJSONPaths(t *testing.T) {
	t.Parallel()
	rec, p := post(t, validatorServer(t), "/api/v1/things",
		`{"name":"","mode":"upsert","extra":1,"config":{"port":70000,"incremental":{}}}`)
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code, rec.Body.String())
	require.Equal(t, api.ErrorCodeValidationFailed, *p.Code)
	fields := fieldsOf(p)
	for _, want := range []string{"name", "mode", "config.port", "config.incremental.cursor_path"} {
		require.Contains(t, fields, want, "errors: %v", fields)
	}
	require.NotContains(t, rec.Body.String(), "70000", "values are not echoed back")
}

func TestValidator_MissingRequiredFields(t *testing.T) {
	t.Parallel()
	rec, p := post(t, validatorServer(t), "/api/v1/things", `{"config":{}}`)
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code, rec.Body.String())
	fields := fieldsOf(p)
	require.Contains(t, fields, "name")
	require.Contains(t, fields, "config.port")
}

func TestValidator_WrongTypeAnswers422(t *testing.T) {
	t.Parallel()
	rec, p := post(t, validatorServer(t), "/api/v1/things", `{"name":"x","config":{"port":"5432"}}`)
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code, rec.Body.String())
	require.Contains(t, fieldsOf(p), "config.port")
}

func TestValidator_BadQueryParameterAnswers422(t *testing.T) {
	t.Parallel()
	for _, q := range []string{"limit=0", "limit=501", "limit=ten"} {
		rec, p := post(t, validatorServer(t), "/api/v1/things?"+q, `{"name":"x","config":{"port":1}}`)
		require.Equal(t, http.StatusUnprocessableEntity, rec.Code, q+": "+rec.Body.String())
		require.Contains(t, fieldsOf(p), "limit", q)
	}
}

func TestValidator_MalformedJSONAnswers400(t *testing.T) {
	t.Parallel()
	for _, body := range []string{`{"name":`, `not json`, ``} {
		rec, p := post(t, validatorServer(t), "/api/v1/things", body)
		require.Contains(t, []int{http.StatusBadRequest, http.StatusUnprocessableEntity}, rec.Code, body)
		if body != `` {
			require.Equal(t, http.StatusBadRequest, rec.Code, body+": "+rec.Body.String())
			require.Equal(t, api.ErrorCodeBadRequest, *p.Code)
		}
	}
}

var specForTest = datanika.OpenAPISpec

func TestOperationValidators_CoverEveryOperationOfTheContract(t *testing.T) {
	t.Parallel()
	validators, err := operationValidators(specForTest)
	require.NoError(t, err)
	for _, id := range []string{"getHealth", "getReadiness", "getMetrics", "getVersion", "getOpenAPISpec"} {
		require.Len(t, validators[id], 2, id) // textCheck, then the validator
	}
}
