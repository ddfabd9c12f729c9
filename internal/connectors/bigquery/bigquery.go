// Package bigquery is the Google BigQuery connector: connection test, catalog and read-only
// queries through cloud.google.com/go/bigquery. Its HTTP client is built here: an
// http.Transport dialing with the Env's Dialer carries both the API calls and the OAuth token
// requests of the service account (whose token_uri comes from the user's key), so the egress
// policy applies to every connection the connector makes.
//
// Only service-account keys are accepted: other Google credential types (external accounts,
// impersonation) can name executables, files or arbitrary URLs, which a user's config must
// never make the server run or read.
//
// How Query keeps to reading. BigQuery has no read-only session, so Query asks BigQuery what
// the statement is: it first submits it as a dry run (parsed, planned and validated, never
// run, not billed) and reads the statement type from the dry run's statistics. Only "SELECT"
// is then run; every other type — INSERT, UPDATE, DELETE, MERGE, CREATE…, DROP…, ALTER…,
// scripts of several statements ("SCRIPT"), CALL, EXPORT DATA — is refused before anything
// runs. The query job runs with a job timeout (connectors.StatementTimeout), no destination
// table, and only limit+1 rows are fetched.
//
// Limits, honestly: the dry run and the run are two parses of the same text (the type
// cannot change between them, the tables can); a SELECT can still call remote functions
// whose endpoints have effects. The complete guarantee is a service account that can only
// read: grant it BigQuery Data Viewer on the dataset and BigQuery Job User on the project.
//
// The load destination (package bqload) writes through Client, the same client: what is said
// above of reading is about the connector's Query, which the SQL editor and catalog use.
//
// Its SDK is heavy (about 45 s to compile): it belongs in this package and bqload, linked only
// by package builtin.
package bigquery

import (
	"context"
	_ "embed" // the config schema
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	bq "cloud.google.com/go/bigquery"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	"google.golang.org/api/option"

	"github.com/datanika/datanika/internal/connectors"
)

//go:embed schema.json
var schema []byte

// Type is the "bigquery" connection type.
func Type() connectors.Type {
	return connectors.Type{
		Name:         "bigquery",
		Label:        "Google BigQuery",
		Capabilities: connectors.Capabilities{Source: true, Destination: true, SQL: true, TransformTarget: true},
		ConfigSchema: schema,
		Open: func(config map[string]any, env connectors.Env) (connectors.Connector, error) {
			return New(config, env)
		},
	}
}

// Config is the decoded config of a bigquery connection.
type Config struct {
	ProjectID       string `json:"project_id"`
	Dataset         string `json:"dataset"`
	Location        string `json:"location"`
	CredentialsJSON string `json:"credentials_json"`
}

// Connector talks to one BigQuery project and dataset. It holds no client between calls.
type Connector struct {
	cfg              Config
	dialer           connectors.Dialer
	secrets          []string
	statementTimeout time.Duration
	// endpoint replaces https://bigquery.googleapis.com/bigquery/v2/ in tests.
	endpoint string
}

var (
	_ connectors.Connector = (*Connector)(nil)
	_ connectors.Cataloger = (*Connector)(nil)
	_ connectors.Querier   = (*Connector)(nil)
)

// New makes a connector from a config that passed the type's schema.
func New(config map[string]any, env connectors.Env) (*Connector, error) {
	cfg, err := connectors.DecodeConfig("bigquery", config, Config{})
	if err != nil {
		return nil, err
	}
	return &Connector{cfg: cfg, dialer: env.DialerOrDefault(),
		secrets:          append(connectors.SecretValues(schema, config), keyParts(cfg.CredentialsJSON)...),
		statementTimeout: connectors.StatementTimeout}, nil
}

// keyParts returns the secret fields inside a key, in the forms an error could quote them:
// a message may show the private key without the rest of the JSON around it.
func keyParts(credentials string) []string {
	var key map[string]any
	if json.Unmarshal([]byte(credentials), &key) != nil {
		return nil
	}
	var out []string
	for _, field := range []string{"private_key", "private_key_id", "client_secret", "refresh_token"} {
		s, ok := key[field].(string)
		if !ok || len(s) < 8 { // too short to be a real secret, and scrubbing it would garble every message
			continue
		}
		out = append(out, s)
		if escaped, err := json.Marshal(s); err == nil {
			out = append(out, strings.Trim(string(escaped), `"`))
		}
		// The PEM body alone, line by line, as a decoder error might quote it.
		for _, line := range strings.Split(s, "\n") {
			if len(line) >= 16 && !strings.HasPrefix(line, "-----") {
				out = append(out, line)
			}
		}
	}
	return out
}

// transport is an http.Transport whose every connection is made by the Env's Dialer.
func (c *Connector) transport() *http.Transport {
	return &http.Transport{
		DialContext:           c.dialer.DialContext,
		Proxy:                 nil, // a proxy from the environment would dial around the policy
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   connectors.TestTimeout,
		ResponseHeaderTimeout: c.statementTimeout + connectors.TestTimeout,
		MaxIdleConns:          2,
		IdleConnTimeout:       30 * time.Second,
	}
}

// client builds a BigQuery client for one call; close releases it and its connections.
func (c *Connector) client(ctx context.Context) (client *bq.Client, closeFn func(), err error) {
	base := c.transport()
	opts, err := c.clientOptions(ctx, base)
	if err != nil {
		return nil, nil, err
	}
	client, err = bq.NewClient(ctx, c.cfg.ProjectID, opts...)
	if err != nil {
		base.CloseIdleConnections()
		return nil, nil, err
	}
	if c.cfg.Location != "" {
		client.Location = c.cfg.Location
	}
	return client, func() { _ = client.Close(); base.CloseIdleConnections() }, nil
}

// clientOptions: the HTTP client carries everything, credentials included, so no option may
// make the library find credentials or endpoints of its own (the server's environment, its
// metadata server).
func (c *Connector) clientOptions(ctx context.Context, base *http.Transport) ([]option.ClientOption, error) {
	// The token source fetches tokens with the client found in this context: the same
	// transport, so the key's token_uri is dialed through the policy too.
	// Its requests carry no context of their own, so the call's is put on them: a token
	// endpoint that does not answer ends with the call.
	tctx := context.WithValue(ctx, oauth2.HTTPClient, &http.Client{Transport: withContext{ctx: ctx, base: base}})
	creds, err := google.CredentialsFromJSONWithTypeAndParams(tctx, []byte(c.cfg.CredentialsJSON), google.ServiceAccount,
		google.CredentialsParams{Scopes: []string{bq.Scope}})
	if err != nil {
		return nil, fmt.Errorf("service account key: %w", keyError(err))
	}
	hc := &http.Client{Transport: &oauth2.Transport{Source: creds.TokenSource, Base: base}}
	opts := []option.ClientOption{option.WithHTTPClient(hc)}
	if c.endpoint != "" {
		opts = append(opts, option.WithEndpoint(c.endpoint))
	}
	return opts, nil
}

// withContext sends every request under ctx.
type withContext struct {
	ctx  context.Context
	base http.RoundTripper
}

func (w withContext) RoundTrip(req *http.Request) (*http.Response, error) {
	return w.base.RoundTrip(req.WithContext(w.ctx))
}

// keyError keeps the reason a key was refused without the library's wording of its content.
func keyError(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "credential type"):
		return errors.New("only keys of type service_account are accepted")
	case strings.Contains(msg, "private key"):
		return errors.New("the private key could not be read")
	case strings.Contains(msg, "unexpected end of JSON") || strings.Contains(msg, "invalid character"):
		return errors.New("not valid JSON")
	}
	return err
}

// testStatement is dry-run by Test: free, yet it needs valid credentials and a project where
// the account may create query jobs.
const testStatement = "SELECT 1"

// Test dry-runs SELECT 1.
func (c *Connector) Test(ctx context.Context) connectors.Result {
	return connectors.Probe(ctx, c.secrets, func(ctx context.Context) error {
		client, closeFn, err := c.client(ctx)
		if err != nil {
			return err
		}
		defer closeFn()
		_, err = c.statementType(ctx, client, testStatement)
		return err
	})
}

// Client is a BigQuery client for the load destination (package bqload), built as the
// connector's own: every API call and token request dials through the Env's Dialer, and only
// the service-account key is used. closeFn releases it and its connections.
func (c *Connector) Client(ctx context.Context) (client *bq.Client, closeFn func(), err error) {
	client, closeFn, err = c.client(ctx)
	if err != nil {
		return nil, nil, connectors.ScrubError(err, c.secrets)
	}
	return client, closeFn, nil
}

// Location is the configured location of the connection's datasets ("": BigQuery infers it).
func (c *Connector) Location() string { return c.cfg.Location }

// Secrets are the values that must never appear in a message: the key and its parts.
func (c *Connector) Secrets() []string { return c.secrets }
