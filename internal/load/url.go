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
// (or ?database=db; ?encrypt=…, ?trust_server_certificate=true, ?schema=…), sqlite:///path/to/file,
// file:///path/to/data.csv (a data file read as an uploaded one; ?format=csv|tsv|jsonl|json|parquet
// when the name does not say),
// and for destinations clickhouse://user:pass@host:port/db (?secure=false, ?protocol=http),
// redshift://user:pass@host:5439/db?s3_bucket=…&s3_prefix=…&iam_role=…&region=… (the staging
// bucket's keys as s3_access_key_id / s3_secret_access_key, or AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN from the environment) and
// snowflake://user:pass@account/db[/schema]?warehouse=…&role=….
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
	case "clickhouse":
		return parseClickHouseURL(u)
	case "redshift":
		return parseRedshiftURL(u)
	case "snowflake":
		return parseSnowflakeURL(u)
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
	case "file":
		return parseFileURL(u)
	default:
		return Endpoint{}, fmt.Errorf("the URL scheme must be postgres, mysql, sqlserver, sqlite, clickhouse, redshift or snowflake (or file, for a data file), not %q", u.Scheme)
	}
}

func parseClickHouseURL(u *url.URL) (Endpoint, error) {
	q := u.Query()
	cfg := map[string]any{"host": u.Hostname()}
	if n := u.User.Username(); n != "" {
		cfg["user"] = n
	}
	if p, ok := u.User.Password(); ok && p != "" {
		cfg["password"] = p
	}
	if db := strings.TrimPrefix(u.Path, "/"); db != "" {
		cfg["database"] = db
	}
	if err := setPort(cfg, u); err != nil {
		return Endpoint{}, err
	}
	if v := q.Get("secure"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return Endpoint{}, fmt.Errorf("secure must be true or false")
		}
		cfg["secure"] = b
	}
	if v := q.Get("protocol"); v != "" {
		if v != "native" && v != "http" {
			return Endpoint{}, fmt.Errorf("protocol must be native or http")
		}
		cfg["protocol"] = v
	}
	if cfg["host"] == "" {
		return Endpoint{}, fmt.Errorf("a clickhouse URL needs a host: clickhouse://user:pass@host:9440/db (?secure=false for a plain connection)")
	}
	return Endpoint{Type: "clickhouse", Config: cfg}, nil
}

func parseRedshiftURL(u *url.URL) (Endpoint, error) {
	q := u.Query()
	cfg := map[string]any{"host": u.Hostname(), "user": u.User.Username(), "database": strings.TrimPrefix(u.Path, "/")}
	if p, ok := u.User.Password(); ok && p != "" {
		cfg["password"] = p
	}
	if err := setPort(cfg, u); err != nil {
		return Endpoint{}, err
	}
	if m := q.Get("sslmode"); m != "" {
		cfg["sslmode"] = m
	}
	if cfg["host"] == "" || cfg["user"] == "" || cfg["password"] == nil || cfg["database"] == "" {
		return Endpoint{}, fmt.Errorf("a redshift URL needs a user, a password, a host and a database: redshift://user:pass@host:5439/db?s3_bucket=…&iam_role=…")
	}
	st := map[string]any{}
	for param, key := range map[string]string{"s3_bucket": "bucket", "s3_prefix": "prefix", "region": "region", "s3_endpoint": "endpoint",
		"iam_role": "iam_role", "s3_access_key_id": "access_key_id", "s3_secret_access_key": "secret_access_key", "s3_session_token": "session_token"} {
		if v := q.Get(param); v != "" {
			st[key] = v
		}
	}
	// The command line's own credentials, as the AWS tools take them; the platform never
	// reads its environment for a connection's keys.
	if st["access_key_id"] == nil && st["secret_access_key"] == nil {
		for env, key := range map[string]string{"AWS_ACCESS_KEY_ID": "access_key_id", "AWS_SECRET_ACCESS_KEY": "secret_access_key", "AWS_SESSION_TOKEN": "session_token"} {
			if v := os.Getenv(env); v != "" {
				st[key] = v
			}
		}
	}
	switch {
	case st["bucket"] == nil:
		return Endpoint{}, fmt.Errorf("a redshift URL needs s3_bucket=…: the rows are staged in S3 for COPY")
	case st["access_key_id"] == nil || st["secret_access_key"] == nil:
		return Endpoint{}, fmt.Errorf("a redshift URL needs the staging bucket's keys: s3_access_key_id and s3_secret_access_key, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment")
	}
	cfg["s3_staging"] = st
	return Endpoint{Type: "redshift", Config: cfg}, nil
}

func parseSnowflakeURL(u *url.URL) (Endpoint, error) {
	q := u.Query()
	cfg := map[string]any{"account": u.Host, "user": u.User.Username()}
	if p, ok := u.User.Password(); ok && p != "" {
		cfg["password"] = p
	}
	db, schema, _ := strings.Cut(strings.Trim(u.Path, "/"), "/")
	cfg["database"] = db
	if schema != "" {
		cfg["schema"] = schema
	}
	for _, k := range []string{"warehouse", "role"} {
		if v := q.Get(k); v != "" {
			cfg[k] = v
		}
	}
	if cfg["account"] == "" || cfg["user"] == "" || cfg["password"] == nil || db == "" || cfg["warehouse"] == nil {
		return Endpoint{}, fmt.Errorf("a snowflake URL needs a user, a password, an account, a database and a warehouse: snowflake://user:pass@account/db/schema?warehouse=wh&role=r")
	}
	return Endpoint{Type: "snowflake", Config: cfg}, nil
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
