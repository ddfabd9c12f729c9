package server

import (
	"bytes"
	"errors"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// spa serves the embedded single-page app: real files as they are, and index.html for every
// other path so deep links such as /pipelines/12 load the app, which routes on the client.
// Paths under /api/ never reach it (they answer problem+json 404), and a missing file with an
// extension (a stale /assets/x.js) is a 404, not HTML served as JavaScript.
type spa struct {
	files fs.FS
	index []byte
}

func newSPA(files fs.FS) (*spa, error) {
	index, err := fs.ReadFile(files, "index.html")
	if errors.Is(err, fs.ErrNotExist) {
		index, err = fs.ReadFile(files, "placeholder.html")
	}
	if err != nil {
		return nil, err
	}
	return &spa{files: files, index: index}, nil
}

func (s *spa) handle(c echo.Context) error {
	p := path.Clean("/" + c.Param("*"))
	if strings.HasPrefix(p, "/api/") || p == "/api" {
		return echo.ErrNotFound
	}
	name := strings.TrimPrefix(p, "/")
	if name != "" && name != "index.html" {
		if f, err := s.files.Open(name); err == nil {
			st, statErr := f.Stat()
			_ = f.Close()
			if statErr == nil && !st.IsDir() {
				return s.serveFile(c, name)
			}
		}
		if path.Ext(name) != "" {
			return echo.ErrNotFound
		}
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, "text/html; charset=utf-8", s.index)
}

func (s *spa) serveFile(c echo.Context, name string) error {
	b, err := fs.ReadFile(s.files, name)
	if err != nil {
		return err
	}
	if strings.HasPrefix(name, "assets/") {
		// Vite puts a content hash in every asset name, so they never change.
		c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		c.Response().Header().Set("Cache-Control", "no-cache")
	}
	http.ServeContent(c.Response(), c.Request(), name, time.Time{}, bytes.NewReader(b))
	return nil
}
