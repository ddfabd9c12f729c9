// Package config reads Datanika's settings from environment variables (12-factor) and validates
// them, so that bad configuration stops the process at start with one clear line.
package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/datanika/datanika/internal/blob"
	"github.com/datanika/datanika/internal/egress"
	"github.com/datanika/datanika/internal/mail"
	"github.com/datanika/datanika/internal/secrets"
)

// Environments.
const (
	EnvDevelopment = "development"
	EnvProduction  = "production"
	EnvTest        = "test"
)

// DevSecretKey and DevEncryptionKeys are used outside production when nothing is set. They are
// public (they are in this file), so production refuses to start with them.
const (
	DevSecretKey      = "datanika-development-secret-key-not-for-production"
	DevEncryptionKeys = "dev:ZGF0YW5pa2EtZGV2LWtleS1ub3QtZm9yLXByb2R1Y3Q="
)

// minSecretKeyLen is the shortest SECRET_KEY production accepts: it signs access tokens (HS256),
// whose key should carry at least 256 bits.
const minSecretKeyLen = 32

// Config is the validated configuration of a Datanika process.
type Config struct {
	Env                    string
	DatabaseURL            string
	DatabaseConnectTimeout time.Duration
	HTTPAddr               string
	SecretKey              string
	EncryptionKeys         []secrets.Key // the first one is active
	LogLevel               slog.Level
	LogFormat              string // text or json
	ShutdownTimeout        time.Duration
	MaxBodyBytes           int64
	WorkerConcurrency      int
	WarehouseAdminURL      string
	// OrgMaxConcurrentRuns bounds the runs of one org that work at once (SPEC §8); more wait queued.
	OrgMaxConcurrentRuns int
	// RunTimeout ends a run that takes longer, as failed.
	RunTimeout time.Duration
	// RunHeartbeatTimeout ends as failed a running run whose worker has not touched it for this
	// long (the worker was killed or cut off); workers touch their runs four times as often.
	RunHeartbeatTimeout time.Duration
	// DependencyWait is how long a scheduled run waits for upstreams with a check_timeframe to
	// have a recent success before it fails naming them (SPEC §8).
	DependencyWait time.Duration
	// PublicURL is where people open Datanika (links in invitations); empty means derived from
	// HTTP_ADDR at start (http://localhost:<port>).
	PublicURL string
	// OAuth sign-in; a provider is enabled when its client id is set.
	GoogleClientID, GoogleClientSecret string
	GitHubClientID, GitHubClientSecret string
	// SMTPURL sends invitation emails; empty returns the links to admins instead.
	SMTPURL string
	// Sign-in attempts per minute and sign-ups per hour from one client address.
	LoginRateLimit, SignupRateLimit int
	// DataDir holds uploaded files (DATA_DIR/files); MaxUploadBytes bounds one upload.
	DataDir        string
	MaxUploadBytes int64
	// Blob, when BLOB_URL is set, keeps uploads in an S3 bucket instead (credentials from
	// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN; none: the instance's IAM
	// role), with local copies under DATA_DIR/cache.
	Blob *blob.S3Options
	// Egress policy for connections users configure (see internal/egress).
	EgressAllowPrivate bool
	EgressAllowlist    string
}

// Production reports whether the process runs with DATANIKA_ENV=production.
func (c Config) Production() bool { return c.Env == EnvProduction }

// Getenv looks up one environment variable; os.Getenv satisfies it.
type Getenv func(key string) string

// Load reads and validates the configuration. Errors name the variable and what is wrong,
// never a secret value.
func Load(getenv Getenv) (Config, error) {
	get := func(key, def string) string {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			return v
		}
		return def
	}
	var errs []error
	fail := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}

	c := Config{Env: get("DATANIKA_ENV", EnvDevelopment)}
	switch c.Env {
	case EnvDevelopment, EnvProduction, EnvTest:
	default:
		fail("DATANIKA_ENV", "must be development, production or test, not %q", c.Env)
	}

	c.DatabaseURL = get("DATABASE_URL", "")
	if c.DatabaseURL == "" {
		fail("DATABASE_URL", "is required (for example postgres://postgres@localhost:5432/datanika?sslmode=disable)")
	} else if _, err := pgxpool.ParseConfig(c.DatabaseURL); err != nil {
		// pgx redacts the password in its parse errors.
		fail("DATABASE_URL", "cannot be parsed: %v", err)
	}
	c.DatabaseConnectTimeout = duration(get("DATABASE_CONNECT_TIMEOUT", "15s"), "DATABASE_CONNECT_TIMEOUT", fail)

	c.HTTPAddr = get("HTTP_ADDR", ":8080")
	if _, port, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		fail("HTTP_ADDR", "must be host:port or :port, not %q", c.HTTPAddr)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		fail("HTTP_ADDR", "has an invalid port %q", port)
	}

	c.SecretKey = get("SECRET_KEY", "")
	switch {
	case c.Production() && (c.SecretKey == "" || c.SecretKey == DevSecretKey):
		fail("SECRET_KEY", "must be set to a private random value in production (for example: openssl rand -base64 48)")
	case c.Production() && len(c.SecretKey) < minSecretKeyLen:
		fail("SECRET_KEY", "must be at least %d characters in production", minSecretKeyLen)
	case c.SecretKey == "":
		c.SecretKey = DevSecretKey
	}

	rawKeys := get("ENCRYPTION_KEYS", "")
	switch {
	case c.Production() && (rawKeys == "" || rawKeys == DevEncryptionKeys):
		fail("ENCRYPTION_KEYS", "must be set to private keys in production (id:base64key, for example: k1:$(openssl rand -base64 32))")
	case rawKeys == "":
		rawKeys = DevEncryptionKeys
	}
	if keys, err := ParseEncryptionKeys(rawKeys); err != nil {
		fail("ENCRYPTION_KEYS", "%v", err)
	} else {
		if c.Production() {
			for _, k := range keys {
				if k.ID == "dev" {
					fail("ENCRYPTION_KEYS", "the development key must not be used in production")
				}
			}
		}
		c.EncryptionKeys = keys
	}

	level := get("LOG_LEVEL", "info")
	if err := c.LogLevel.UnmarshalText([]byte(level)); err != nil {
		fail("LOG_LEVEL", "must be debug, info, warn or error, not %q", level)
	}
	defFormat := "text"
	if c.Production() {
		defFormat = "json"
	}
	c.LogFormat = get("LOG_FORMAT", defFormat)
	if c.LogFormat != "text" && c.LogFormat != "json" {
		fail("LOG_FORMAT", "must be text or json, not %q", c.LogFormat)
	}

	c.ShutdownTimeout = duration(get("SHUTDOWN_TIMEOUT", "30s"), "SHUTDOWN_TIMEOUT", fail)
	c.MaxBodyBytes = int64(positiveInt(get("MAX_BODY_KB", "1024"), "MAX_BODY_KB", fail)) * 1024
	c.WorkerConcurrency = positiveInt(get("WORKER_CONCURRENCY", "10"), "WORKER_CONCURRENCY", fail)
	c.OrgMaxConcurrentRuns = positiveInt(get("ORG_MAX_CONCURRENT_RUNS", "4"), "ORG_MAX_CONCURRENT_RUNS", fail)
	c.RunTimeout = duration(get("RUN_TIMEOUT", "6h"), "RUN_TIMEOUT", fail)
	c.RunHeartbeatTimeout = duration(get("RUN_HEARTBEAT_TIMEOUT", "2m"), "RUN_HEARTBEAT_TIMEOUT", fail)
	c.DependencyWait = duration(get("DEPENDENCY_WAIT", "30m"), "DEPENDENCY_WAIT", fail)

	c.WarehouseAdminURL = get("WAREHOUSE_ADMIN_URL", "")
	if c.WarehouseAdminURL != "" {
		if _, err := pgxpool.ParseConfig(c.WarehouseAdminURL); err != nil {
			fail("WAREHOUSE_ADMIN_URL", "cannot be parsed: %v", err)
		}
	}

	c.PublicURL = strings.TrimRight(get("PUBLIC_URL", ""), "/")
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			fail("PUBLIC_URL", "must be an http(s) URL such as https://datanika.example.com")
		}
	}

	c.GoogleClientID, c.GoogleClientSecret = get("GOOGLE_CLIENT_ID", ""), get("GOOGLE_CLIENT_SECRET", "")
	c.GitHubClientID, c.GitHubClientSecret = get("GITHUB_CLIENT_ID", ""), get("GITHUB_CLIENT_SECRET", "")
	if (c.GoogleClientID == "") != (c.GoogleClientSecret == "") {
		fail("GOOGLE_CLIENT_ID", "and GOOGLE_CLIENT_SECRET must be set together")
	}
	if (c.GitHubClientID == "") != (c.GitHubClientSecret == "") {
		fail("GITHUB_CLIENT_ID", "and GITHUB_CLIENT_SECRET must be set together")
	}

	switch v := strings.ToLower(get("EGRESS_ALLOW_PRIVATE", "false")); v {
	case "true", "1", "yes":
		c.EgressAllowPrivate = true
	case "false", "0", "no":
	default:
		fail("EGRESS_ALLOW_PRIVATE", "must be true or false, not %q", v)
	}
	c.EgressAllowlist = get("EGRESS_ALLOWLIST", "")
	if _, err := egress.New(c.EgressAllowPrivate, c.EgressAllowlist); err != nil {
		fail("EGRESS_ALLOWLIST", "%v", err)
	}

	c.LoginRateLimit = positiveInt(get("LOGIN_RATE_LIMIT", "60"), "LOGIN_RATE_LIMIT", fail)
	c.SignupRateLimit = positiveInt(get("SIGNUP_RATE_LIMIT", "100"), "SIGNUP_RATE_LIMIT", fail)
	c.DataDir = get("DATA_DIR", ".data")
	c.MaxUploadBytes = int64(positiveInt(get("MAX_UPLOAD_MB", "200"), "MAX_UPLOAD_MB", fail)) << 20
	if raw := get("BLOB_URL", ""); raw != "" {
		if o, err := blob.ParseURL(raw); err != nil {
			fail("BLOB_URL", "%v", err)
		} else {
			o.AccessKeyID, o.SecretAccessKey, o.SessionToken = get("AWS_ACCESS_KEY_ID", ""), get("AWS_SECRET_ACCESS_KEY", ""), get("AWS_SESSION_TOKEN", "")
			if (o.AccessKeyID == "") != (o.SecretAccessKey == "") {
				fail("AWS_ACCESS_KEY_ID", "and AWS_SECRET_ACCESS_KEY must be set together (or neither, to use the instance's IAM role)")
			}
			c.Blob = &o
		}
	}

	c.SMTPURL = get("SMTP_URL", "")
	if _, err := mail.Parse(c.SMTPURL); err != nil {
		fail("SMTP_URL", "%v", err)
	}

	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	return c, nil
}

// ParseEncryptionKeys parses "id:base64key[,id:base64key…]"; every key must decode to 32 bytes
// and ids must be unique. The first key is the active one.
func ParseEncryptionKeys(s string) ([]secrets.Key, error) {
	var keys []secrets.Key
	seen := map[string]bool{}
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		id, b64, ok := strings.Cut(part, ":")
		id = strings.TrimSpace(id)
		if !ok || id == "" {
			return nil, fmt.Errorf("entry %d must look like id:base64key", i+1)
		}
		if seen[id] {
			return nil, fmt.Errorf("key id %q appears twice", id)
		}
		seen[id] = true
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
		if err != nil {
			key, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(strings.TrimSpace(b64), "="))
		}
		if err != nil {
			return nil, fmt.Errorf("key %q is not valid base64", id)
		}
		if len(key) != 32 {
			return nil, fmt.Errorf("key %q must decode to 32 bytes (AES-256), got %d", id, len(key))
		}
		keys = append(keys, secrets.Key{ID: id, Key: key})
	}
	return keys, nil
}

func duration(s, key string, fail func(string, string, ...any)) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		fail(key, "must be a positive duration such as 30s or 2m, not %q", s)
		return 0
	}
	return d
}

func positiveInt(s, key string, fail func(string, string, ...any)) int {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		fail(key, "must be a positive whole number, not %q", s)
		return 0
	}
	return n
}
