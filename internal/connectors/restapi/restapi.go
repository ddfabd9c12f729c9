// Package restapi is the REST API connection type: JSON resources read over HTTP(S) with
// authentication (bearer, basic, API key, OAuth2 client credentials), pagination, incremental
// cursors, a rate limit and retries. Every request, the OAuth2 token request and redirects
// included, dials through the Env's Dialer, so the egress policy sees each address.
//
// A connection test GETs the first page of the first resource; the catalog shows each resource
// as a table of schema "api" with the columns its first page shows; Read streams a resource's
// records page by page for the load engine.
package restapi

import (
	"context"
	_ "embed" // the config schema
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/connectors"
)

//go:embed schema.json
var schema []byte

// Type is the "rest_api" connection type.
func Type() connectors.Type {
	return connectors.Type{
		Name:         "rest_api",
		Label:        "REST API",
		Capabilities: connectors.Capabilities{Source: true},
		ConfigSchema: schema,
		Open: func(config map[string]any, env connectors.Env) (connectors.Connector, error) {
			return New(config, env)
		},
	}
}

// Auth types.
const (
	AuthNone         = "none"
	AuthBearer       = "bearer"
	AuthBasic        = "basic"
	AuthAPIKey       = "api_key"
	AuthOAuth2Client = "oauth2_client_credentials"
)

// Paginator types.
const (
	PageAuto       = "auto"
	PageSingle     = "single_page"
	PageJSONLink   = "json_link"
	PageHeaderLink = "header_link"
	PageOffset     = "offset"
	PageNumber     = "page_number"
	PageCursor     = "cursor"
)

// Config is the decoded config of a rest_api connection (see schema.json).
type Config struct {
	BaseURL   string            `json:"base_url"`
	Headers   map[string]string `json:"headers"`
	Auth      Auth              `json:"auth"`
	Resources []Resource        `json:"resources"`
	Paginator Paginator         `json:"paginator"`
	RateLimit RateLimit         `json:"rate_limit"`
	Retry     Retry             `json:"retry"`
	// MaxPages bounds the pages read per resource; 0 means no bound.
	MaxPages int `json:"max_pages"`
}

// Auth says how requests authenticate.
type Auth struct {
	Type         string   `json:"type"`
	Token        string   `json:"token"`
	Username     string   `json:"username"`
	Password     string   `json:"password"`
	Name         string   `json:"name"`
	Value        string   `json:"value"`
	In           string   `json:"in"`
	TokenURL     string   `json:"token_url"`
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret"`
	Scopes       []string `json:"scopes"`
}

// Resource is one endpoint, read as one table.
type Resource struct {
	Name         string                     `json:"name"`
	Path         string                     `json:"path"`
	Params       map[string]json.RawMessage `json:"params"`
	DataSelector string                     `json:"data_selector"`
	PrimaryKey   KeyList                    `json:"primary_key"`
	Incremental  *Incremental               `json:"incremental"`
	// Nested is how the load engine writes nested objects and arrays: NestedJSON or NestedTables.
	Nested string `json:"nested"`
	// IncludeFromParent are fields of the parent record a dependent resource's rows carry, as
	// _<parent>_<field> columns (dlt's include_from_parent).
	IncludeFromParent []string `json:"include_from_parent"`
	// Paginator, when set, replaces the connection's paginator for this resource.
	Paginator json.RawMessage `json:"paginator"`

	pager Paginator // the paginator in effect (checkResources)
}

// Incremental reads only what changed since the last run: the highest value of CursorPath seen
// is kept by the engine and sent back as the query parameter Param.
type Incremental struct {
	CursorPath   string          `json:"cursor_path"`
	Param        string          `json:"param"`
	InitialValue json.RawMessage `json:"initial_value"`
}

// Paginator says how to reach the next page.
type Paginator struct {
	Type        string `json:"type"`
	NextURLPath string `json:"next_url_path"`
	Limit       int    `json:"limit"`
	LimitParam  string `json:"limit_param"`
	OffsetParam string `json:"offset_param"`
	PageParam   string `json:"page_param"`
	StartPage   int    `json:"start_page"`
	CursorPath  string `json:"cursor_path"`
	CursorParam string `json:"cursor_param"`
	TotalPath   string `json:"total_path"`
}

// RateLimit spaces requests out.
type RateLimit struct {
	RequestsPerSecond float64 `json:"requests_per_second"`
}

// Retry bounds the attempts of one request on 429, 5xx and network errors.
type Retry struct {
	MaxAttempts    int     `json:"max_attempts"`
	BackoffSeconds float64 `json:"backoff_seconds"`
}

// KeyList is a primary key: one column name or several.
type KeyList []string

// UnmarshalJSON accepts "id" as well as ["a", "b"].
func (k *KeyList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*k = KeyList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("primary_key must be a string or an array of strings")
	}
	*k = many
	return nil
}

func defaults() Config {
	return Config{
		Auth: Auth{Type: AuthNone, In: "header"},
		Paginator: Paginator{Type: PageAuto, NextURLPath: "next", Limit: 100, LimitParam: "limit",
			OffsetParam: "offset", PageParam: "page", StartPage: 1, CursorParam: "cursor"},
		Retry: Retry{MaxAttempts: 5, BackoffSeconds: 1},
	}
}

// Connector reads one REST API. It holds no connection between calls: each Test, Catalog and
// Read opens its own HTTP transport and closes it when done.
type Connector struct {
	cfg     Config
	base    *url.URL
	dialer  connectors.Dialer
	secrets []string
	limiter *limiter
	// backoffUnit scales waits between attempts (a second in production); tests shrink it.
	backoffUnit time.Duration
}

var (
	_ connectors.Connector = (*Connector)(nil)
	_ connectors.Cataloger = (*Connector)(nil)
)

// New makes a connector from a config that passed the type's schema. It refuses what the schema
// cannot say: two resources of the same name.
func New(config map[string]any, env connectors.Env) (*Connector, error) {
	cfg, err := connectors.DecodeConfig("rest_api", config, defaults())
	if err != nil {
		return nil, err
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, apperr.Invalidf([]apperr.FieldError{{Field: "config.base_url", Message: "is not an http(s) URL"}},
			"The connection config is invalid.")
	}
	if len(cfg.Resources) == 0 {
		return nil, apperr.Invalidf([]apperr.FieldError{{Field: "config.resources", Message: "is required"}},
			"The connection config is invalid.")
	}
	seen := map[string]bool{}
	for i, r := range cfg.Resources {
		key := strings.ToLower(r.Name)
		if seen[key] {
			return nil, apperr.Invalidf([]apperr.FieldError{{Field: fmt.Sprintf("config.resources[%d].name", i),
				Message: "is used by another resource"}}, "The connection config is invalid.")
		}
		seen[key] = true
	}
	if err := checkResources(&cfg); err != nil {
		return nil, err
	}
	return &Connector{
		cfg:         cfg,
		base:        base,
		dialer:      env.DialerOrDefault(),
		secrets:     secretForms(cfg, connectors.SecretValues(schema, config)),
		limiter:     newLimiter(cfg.RateLimit.RequestsPerSecond),
		backoffUnit: time.Second,
	}, nil
}

// secretForms adds to the config's secrets the forms in which a server may echo them back: the
// basic-auth header value and JSON-escaped text.
func secretForms(cfg Config, secrets []string) []string {
	out := append([]string(nil), secrets...)
	if cfg.Auth.Type == AuthBasic && cfg.Auth.Password != "" {
		out = append(out, base64.StdEncoding.EncodeToString([]byte(cfg.Auth.Username+":"+cfg.Auth.Password)))
	}
	for _, s := range secrets {
		b, err := json.Marshal(s)
		if err == nil {
			if esc := string(b[1 : len(b)-1]); esc != s {
				out = append(out, esc)
			}
		}
	}
	return out
}

// resource returns the configured resource of that name.
func (c *Connector) resource(name string) (*Resource, error) {
	for i := range c.cfg.Resources {
		if c.cfg.Resources[i].Name == name {
			return &c.cfg.Resources[i], nil
		}
	}
	return nil, fmt.Errorf("rest_api: no resource named %q", name)
}

// Test GETs the first page of the first resource as a first run would ask for it, once (no
// retries), and checks that the answer is JSON holding records.
func (c *Connector) Test(ctx context.Context) connectors.Result {
	var status, summary string
	res := connectors.Probe(ctx, c.secrets, func(ctx context.Context) error {
		s := c.newSession(ctx)
		defer s.close()
		r := &c.cfg.Resources[0]
		u, err := c.firstURL(r, rawValueOf(r), newPager(r.pager))
		if err != nil {
			return err
		}
		pg, err := s.fetch(ctx, u, r, 1)
		if err != nil {
			return err
		}
		status = pg.status
		summary = fmt.Sprintf("%d records on the first page of %s", len(pg.records), r.Name)
		return nil
	})
	if res.OK {
		res.Message = fmt.Sprintf("connected: HTTP %s, %s", status, summary)
	}
	return res
}
