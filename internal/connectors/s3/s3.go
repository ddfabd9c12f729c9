// Package s3 is the Amazon S3 / S3-compatible connector (MinIO, R2, Ceph…): a bucket and a key
// prefix holding data files of one format (csv, tsv, jsonl, json or parquet; gzip optional).
// A test lists the bucket; the catalog shows each data file under the prefix as a table whose
// columns are recognised from a sample of its content. Files, Open and OpenAt read objects for
// the load engine and Put writes them when the connection is a destination. Every request goes
// through the Env's Dialer, so the egress policy applies to the endpoint.
package s3

import (
	"context"
	_ "embed" // the config schema
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/datanika/datanika/internal/connectors"
)

//go:embed schema.json
var schema []byte

// Type is the "s3" connection type.
func Type() connectors.Type {
	return connectors.Type{
		Name:         "s3",
		Label:        "Amazon S3 / S3-compatible",
		Capabilities: connectors.Capabilities{Source: true, Destination: true},
		ConfigSchema: schema,
		Open: func(config map[string]any, env connectors.Env) (connectors.Connector, error) {
			return New(config, env)
		},
	}
}

// Config is the decoded config of an s3 connection (see schema.json).
type Config struct {
	Bucket          string `json:"bucket"`
	Prefix          string `json:"prefix"`
	Region          string `json:"region"`
	Endpoint        string `json:"endpoint"`
	ForcePathStyle  bool   `json:"force_path_style"`
	AccessKeyID     string `json:"access_key_id"`
	SecretAccessKey string `json:"secret_access_key"`
	SessionToken    string `json:"session_token"`
	Format          string `json:"format"`
	Compression     string `json:"compression"`
}

// Connector reads and writes the objects of one bucket under one prefix. It holds an HTTP
// client, never an open connection between calls (idle ones are closed after each call).
type Connector struct {
	cfg       Config
	client    *minio.Client
	transport *http.Transport
	secrets   []string
	// maxScan is MaxFiles (smaller in tests).
	maxScan int
}

var (
	_ connectors.Connector = (*Connector)(nil)
	_ connectors.Cataloger = (*Connector)(nil)
)

// New makes a connector from a config that passed the type's schema. It does not touch the
// network.
func New(config map[string]any, env connectors.Env) (*Connector, error) {
	cfg, err := connectors.DecodeConfig("s3", config, Config{Format: "csv", Compression: "none"})
	if err != nil {
		return nil, err
	}
	if cfg.Format == "parquet" && cfg.Compression == "gzip" {
		return nil, errors.New("s3 config: parquet files are compressed inside; choose compression none")
	}
	endpoint, secure, err := endpointOf(cfg)
	if err != nil {
		return nil, err
	}
	dialer := env.DialerOrDefault()
	// Only our Dialer reaches the network: no proxy from the server's environment, whose
	// address the egress policy would check instead of the user's endpoint.
	tr := &http.Transport{
		DialContext:           dialer.DialContext,
		Proxy:                 nil,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   connectors.TestTimeout,
		ResponseHeaderTimeout: connectors.StatementTimeout,
		ExpectContinueTimeout: time.Second,
		MaxIdleConnsPerHost:   workers,
		IdleConnTimeout:       30 * time.Second,
	}
	// Only the config's credentials: none means anonymous, never the server's own (its
	// environment, its instance role).
	creds := credentials.NewStatic("", "", "", credentials.SignatureAnonymous)
	if cfg.AccessKeyID != "" {
		creds = credentials.NewStaticV4(cfg.AccessKeyID, cfg.SecretAccessKey, cfg.SessionToken)
	}
	lookup := minio.BucketLookupAuto
	if cfg.ForcePathStyle {
		lookup = minio.BucketLookupPath
	}
	client, err := minio.New(endpoint, &minio.Options{
		Creds: creds, Secure: secure, Transport: tr, Region: cfg.Region, BucketLookup: lookup, MaxRetries: 2,
	})
	if err != nil {
		return nil, fmt.Errorf("s3 config: %w", err)
	}
	return &Connector{cfg: cfg, client: client, transport: tr, secrets: connectors.SecretValues(schema, config), maxScan: MaxFiles}, nil
}

// endpointOf returns the host[:port] to call and whether it speaks TLS.
func endpointOf(cfg Config) (string, bool, error) {
	if cfg.Endpoint == "" {
		return "s3.amazonaws.com", true, nil
	}
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", false, errors.New("s3 config: endpoint must be http(s)://host[:port]")
	}
	return u.Host, u.Scheme == "https", nil
}

// Format returns the configured file format and compression (none or gzip), for whoever
// reads or writes the files.
func (c *Connector) Format() (format, compression string) { return c.cfg.Format, c.cfg.Compression }

// Test lists the bucket under the prefix, asking for one key: the credentials, the bucket and
// the right to list it are all checked in one round trip.
func (c *Connector) Test(ctx context.Context) connectors.Result {
	defer c.transport.CloseIdleConnections()
	return connectors.Probe(ctx, c.secrets, func(ctx context.Context) error {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel() // stops the listing after its first page
		obj, ok := <-c.client.ListObjects(ctx, c.cfg.Bucket, minio.ListObjectsOptions{Prefix: c.cfg.Prefix, Recursive: true, MaxKeys: 1})
		if ok && obj.Err != nil {
			return c.describe(obj.Err)
		}
		// A first key, or none under the prefix; unless the listing stopped for lack of time.
		return ctx.Err()
	})
}

// describe turns what S3 or the network answered into a message a user can act on, with
// secrets scrubbed.
func (c *Connector) describe(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var resp minio.ErrorResponse
	if errors.As(err, &resp) && resp.Code != "" {
		bucket := c.cfg.Bucket
		switch resp.Code {
		case minio.NoSuchBucket:
			err = fmt.Errorf("bucket %q does not exist", bucket)
		case minio.NoSuchKey:
			err = fmt.Errorf("object %q does not exist in bucket %q", resp.Key, bucket)
		case "InvalidAccessKeyId":
			err = errors.New("the access key ID was refused (InvalidAccessKeyId): check the credentials")
		case "SignatureDoesNotMatch":
			err = errors.New("the secret access key was refused (SignatureDoesNotMatch): check the credentials")
		case "ExpiredToken", "InvalidToken", "TokenRefreshRequired":
			err = fmt.Errorf("the session token was refused (%s)", resp.Code)
		case minio.AccessDenied:
			err = fmt.Errorf("access to bucket %q was denied (AccessDenied): check the credentials and the bucket's policy", bucket)
		case "PreconditionFailed":
			err = errors.New("an object changed after it was listed (it is read again next time)")
		case "AuthorizationHeaderMalformed", "PermanentRedirect", "IllegalLocationConstraintException":
			err = fmt.Errorf("bucket %q is in another region%s (%s)", bucket, regionHint(resp.Region), resp.Code)
		default:
			msg := resp.Message
			if msg == "" {
				msg = http.StatusText(resp.StatusCode)
			}
			err = fmt.Errorf("S3 answered %s: %s", resp.Code, msg)
		}
		return connectors.ScrubError(err, c.secrets)
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		// The URL of a signed request carries no secret, but it is noise: say which host.
		host := ""
		if u, perr := url.Parse(uerr.URL); perr == nil {
			host = u.Host
		}
		return connectors.ScrubError(fmt.Errorf("cannot reach %s: %w", host, uerr.Err), c.secrets)
	}
	return err // ours or the caller's (a reader's error during Put), kept for errors.Is
}

func regionHint(region string) string {
	if region == "" {
		return ""
	}
	return " (" + region + ")"
}

// inPrefix checks that key belongs to the connection: under its prefix, a file name, no
// control characters.
func (c *Connector) inPrefix(key string) error {
	if !strings.HasPrefix(key, c.cfg.Prefix) || key == c.cfg.Prefix || strings.HasSuffix(key, "/") || len(key) > 1024 {
		return fmt.Errorf("object key %q is not a file under the connection's prefix %q", key, c.cfg.Prefix)
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("object key %q holds control characters", key)
		}
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == ".." || seg == "." {
			return fmt.Errorf("object key %q holds a . or .. segment", key)
		}
	}
	return nil
}
