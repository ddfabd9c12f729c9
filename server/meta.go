package server

import (
	"bytes"
	"context"
	"html/template"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	swgui "github.com/swaggest/swgui"
	"github.com/swaggest/swgui/v5emb"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/buildinfo"
)

// GetVersion reports the build of this binary.
func (h *handlers) GetVersion(context.Context, api.GetVersionRequestObject) (api.GetVersionResponseObject, error) {
	bi := buildinfo.Get()
	v := api.Version{Version: bi.Version, Commit: bi.Commit, GoVersion: bi.GoVersion}
	if bi.BuildDate != "" {
		v.BuildDate = &bi.BuildDate
	}
	return api.GetVersion200JSONResponse(v), nil
}

// GetOpenAPISpec serves the embedded openapi.yaml, byte for byte.
func (h *handlers) GetOpenAPISpec(context.Context, api.GetOpenAPISpecRequestObject) (api.GetOpenAPISpecResponseObject, error) {
	return api.GetOpenAPISpec200ApplicationyamlResponse{
		Body:          bytes.NewReader(h.spec),
		ContentLength: int64(len(h.spec)),
	}, nil
}

const docsPath = "/api/docs"

// docsHandler renders the API reference at /api/docs with Swagger UI, whose assets are embedded
// in the binary (no CDN), reading the spec from /api/v1/openapi.yaml.
func docsHandler() echo.HandlerFunc {
	ui := v5emb.NewHandlerWithConfig(swgui.Config{
		Title:       "Datanika API",
		SwaggerJSON: "/api/v1/openapi.yaml",
		BasePath:    docsPath + "/",
		HideCurl:    false,
		SettingsUI: map[string]string{
			"validatorUrl": "null", // never call the public validator service
		},
		AppendHead: template.HTML(`<meta name="referrer" content="no-referrer">`),
	})
	return func(c echo.Context) error {
		req := c.Request()
		if req.URL.Path == docsPath {
			return c.Redirect(http.StatusMovedPermanently, docsPath+"/")
		}
		c.Response().Header().Set("Content-Security-Policy", docsCSP)
		if !strings.HasPrefix(req.URL.Path, docsPath+"/") {
			return echo.ErrNotFound
		}
		ui.ServeHTTP(c.Response(), req)
		return nil
	}
}
