package load

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/datanika/datanika/internal/connectors"
)

// ParseURL turns a URL of the command line into an endpoint: postgres://user:pass@host:port/db
// (?sslmode=…, ?schema=…), mysql://user:pass@host:port/db (?tls=…), sqlserver://user:pass@host:port/db
// (or ?database=db; ?encrypt=…, ?trust_server_certificate=true, ?schema=…) or sqlite:///path/to/file.
// Errors never repeat the URL, which may hold a password.
func ParseURL(raw string) (Endpoint, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Endpoint{}, fmt.Errorf("not a URL")
	}
	switch u.Scheme {
	case "postgres", "postgresql":
		cfg := map[string]any{"host": u.Hostname(), "database": strings.TrimPrefix(u.Path, "/"), "user": u.User.Username()}
		if cfg["user"] == "" {
			cfg["user"] = "postgres"
		}
		if p, ok := u.User.Password(); ok {
			cfg["password"] = p
		}
		if err := setPort(cfg, u); err != nil {
			return Endpoint{}, err
		}
		if m := u.Query().Get("sslmode"); m != "" {
			cfg["sslmode"] = m
		}
		if s := u.Query().Get("schema"); s != "" {
			cfg["schema"] = s
		}
		if cfg["host"] == "" || cfg["database"] == "" {
			return Endpoint{}, fmt.Errorf("a postgres URL needs a host and a database: postgres://user@host:5432/db")
		}
		return Endpoint{Type: "postgres", Config: cfg}, nil
	case "mysql", "mariadb":
		cfg := map[string]any{"host": u.Hostname(), "user": u.User.Username()}
		if db := strings.TrimPrefix(u.Path, "/"); db != "" {
			cfg["database"] = db
		}
		if p, ok := u.User.Password(); ok && p != "" {
			cfg["password"] = p
		}
		if err := setPort(cfg, u); err != nil {
			return Endpoint{}, err
		}
		if t := u.Query().Get("tls"); t != "" {
			cfg["tls"] = t
		}
		if cfg["host"] == "" || cfg["user"] == "" {
			return Endpoint{}, fmt.Errorf("a mysql URL needs a user and a host: mysql://user:pass@host:3306/db")
		}
		return Endpoint{Type: "mysql", Config: cfg}, nil
	case "mssql", "sqlserver":
		return parseMSSQLURL(u)
	case "sqlite":
		path := u.Path
		if u.Host != "" { // sqlite://relative/path
			path = u.Host + u.Path
		}
		if path == "" {
			return Endpoint{}, fmt.Errorf("a sqlite URL names a file: sqlite:///path/to/file.sqlite")
		}
		if _, err := os.Stat(path); err != nil {
			return Endpoint{}, fmt.Errorf("sqlite file %q: %w", path, unwrapPathError(err))
		}
		return Endpoint{Type: "sqlite", Config: map[string]any{"file_id": 1}, Env: connectors.Env{
			Files: func(context.Context, int64) (string, error) { return path, nil },
		}}, nil
	default:
		return Endpoint{}, fmt.Errorf("the URL scheme must be postgres, mysql, sqlserver or sqlite, not %q", u.Scheme)
	}
}

func setPort(cfg map[string]any, u *url.URL) error {
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("the URL's port must be between 1 and 65535")
		}
		cfg["port"] = n
	}
	return nil
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok { //nolint:errorlint // os.Stat returns it unwrapped
		return pe.Err
	}
	return err
}
