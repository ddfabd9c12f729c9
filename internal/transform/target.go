package transform

import (
	"database/sql"
	"fmt"
	"net/url"
	"strings"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"github.com/datanika/datanika/internal/transform/dialect"
)

// Target is an opened warehouse connection with its dialect and target schema.
type Target struct {
	DB      *sql.DB
	Dialect *dialect.Dialect
	Schema  string
	// Database is the PostgreSQL database the URL names (libpq's default: the user's name).
	Database string
}

// OpenTarget opens a postgres:// or mysql:// URL. The target schema is schema when given, else
// the URL's search_path (PostgreSQL, default public) or database (MySQL/MariaDB).
func OpenTarget(rawURL, schema string, threads int) (*Target, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("the target is not a URL: %w", err)
	}
	t := &Target{Schema: schema}
	switch u.Scheme {
	case "postgres", "postgresql":
		t.Dialect = dialect.Postgres
		if t.Schema == "" {
			if sp := u.Query().Get("search_path"); sp != "" {
				t.Schema = strings.TrimSpace(strings.Split(sp, ",")[0])
			} else {
				t.Schema = "public"
			}
		}
		t.Database = strings.TrimPrefix(u.Path, "/")
		if t.Database == "" {
			t.Database = u.User.Username()
		}
		if t.Database == "" {
			t.Database = "postgres"
		}
		if t.DB, err = sql.Open("pgx", rawURL); err != nil {
			return nil, err
		}
	case "mysql", "mariadb":
		t.Dialect = dialect.MySQL
		cfg := mysql.NewConfig()
		cfg.Net = "tcp"
		cfg.Addr = u.Host
		if u.Port() == "" {
			cfg.Addr = u.Hostname() + ":3306"
		}
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
		cfg.DBName = strings.TrimPrefix(u.Path, "/")
		cfg.ParseTime = true
		for k, v := range u.Query() {
			if cfg.Params == nil {
				cfg.Params = map[string]string{}
			}
			cfg.Params[k] = v[0]
		}
		if t.Schema == "" {
			t.Schema = cfg.DBName
		}
		if t.Schema == "" {
			return nil, fmt.Errorf("a mysql:// target needs a database in its path or --schema")
		}
		if t.DB, err = sql.Open("mysql", cfg.FormatDSN()); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("the target must be a postgres:// or mysql:// URL, not %q", u.Scheme)
	}
	t.DB.SetMaxOpenConns(max(threads, 1) + 1)
	return t, nil
}
