package blob

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Options say where an S3 store keeps blobs. BLOB_URL gives all but the credentials, which
// come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.
type S3Options struct {
	Bucket string
	// Prefix is prepended to every key: "" or a path ending in "/".
	Prefix string
	// Endpoint is http(s)://host[:port] of an S3-compatible service; empty for AWS.
	Endpoint  string
	Region    string
	PathStyle bool
	// No access key: the instance's IAM role (EC2, ECS, EKS) provides credentials.
	AccessKeyID, SecretAccessKey, SessionToken string
}

var (
	bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	regionName = regexp.MustCompile(`^[a-z0-9-]{1,64}$`)
)

// ParseURL reads BLOB_URL: s3://bucket[/prefix][?endpoint=http(s)://host:port&region=…&path_style=true].
// Errors never repeat the URL.
func ParseURL(raw string) (S3Options, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return S3Options{}, errors.New("is not a URL (want s3://bucket/prefix?endpoint=…&region=…&path_style=true)")
	}
	if u.Scheme != "s3" {
		return S3Options{}, errors.New("must start with s3:// (s3://bucket/prefix)")
	}
	if u.User != nil {
		return S3Options{}, errors.New("must not hold credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	}
	if u.Fragment != "" || u.Opaque != "" {
		return S3Options{}, errors.New("must be s3://bucket/prefix with no fragment")
	}
	o := S3Options{Bucket: u.Host, Prefix: strings.TrimPrefix(u.Path, "/")}
	if !bucketName.MatchString(o.Bucket) {
		return S3Options{}, errors.New("names no valid bucket (3-63 lower-case letters, digits, dots and hyphens)")
	}
	if o.Prefix != "" {
		o.Prefix = strings.TrimSuffix(o.Prefix, "/") + "/"
		for _, seg := range strings.Split(strings.TrimSuffix(o.Prefix, "/"), "/") {
			if seg == "" || seg == "." || seg == ".." || strings.IndexFunc(seg, isControl) >= 0 {
				return S3Options{}, errors.New("has an invalid prefix (empty, . or .. segments, or control characters)")
			}
		}
	}
	for key, values := range u.Query() {
		if len(values) != 1 {
			return S3Options{}, fmt.Errorf("gives %s more than once", key)
		}
		v := values[0]
		switch key {
		case "endpoint":
			e, err := url.Parse(v)
			if err != nil || (e.Scheme != "http" && e.Scheme != "https") || e.Host == "" || e.User != nil ||
				(e.Path != "" && e.Path != "/") || e.RawQuery != "" || e.Fragment != "" {
				return S3Options{}, errors.New("has an invalid endpoint (want http(s)://host[:port])")
			}
			o.Endpoint = e.Scheme + "://" + e.Host
		case "region":
			if !regionName.MatchString(v) {
				return S3Options{}, errors.New("has an invalid region")
			}
			o.Region = v
		case "path_style":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return S3Options{}, errors.New("path_style must be true or false")
			}
			o.PathStyle = b
		default:
			return S3Options{}, fmt.Errorf("has an unknown parameter %q (endpoint, region and path_style are known)", key)
		}
	}
	return o, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// S3 keeps blobs in a bucket. Readers that need a file get a copy in a local cache directory,
// downloaded once and checked against the SHA-256 recorded at upload; keys are never rewritten,
// so a cached copy stays valid until Delete.
type S3 struct {
	client *minio.Client
	opts   S3Options
	cache  string
}

// Uploads go in parts of s3PartSize, s3Threads at a time: that much memory per upload.
const (
	s3PartSize = 16 << 20
	s3Threads  = 2
	metaSHA256 = "Sha256" // x-amz-meta-sha256
)

// NewS3 uses the bucket of opts, caching local copies under cacheDir (created). It does not
// touch the network; Check does.
func NewS3(opts S3Options, cacheDir string) (*S3, error) {
	endpoint, secure := "s3.amazonaws.com", true
	if opts.Endpoint != "" {
		u, err := url.Parse(opts.Endpoint)
		if err != nil || u.Host == "" {
			return nil, errors.New("blob storage: invalid endpoint")
		}
		endpoint, secure = u.Host, u.Scheme == "https"
	}
	creds := credentials.NewIAM("")
	if opts.AccessKeyID != "" {
		creds = credentials.NewStaticV4(opts.AccessKeyID, opts.SecretAccessKey, opts.SessionToken)
	}
	lookup := minio.BucketLookupAuto
	if opts.PathStyle {
		lookup = minio.BucketLookupPath
	}
	// Blob storage is the operator's, not a user's: it does not go through the egress policy.
	client, err := minio.New(endpoint, &minio.Options{Creds: creds, Secure: secure, Region: opts.Region, BucketLookup: lookup})
	if err != nil {
		return nil, fmt.Errorf("blob storage: %w", err)
	}
	if err := os.MkdirAll(cacheDir, 0o700); err != nil {
		return nil, fmt.Errorf("create blob cache directory: %w", err)
	}
	return &S3{client: client, opts: opts, cache: cacheDir}, nil
}

// Check makes sure the bucket is there and reachable (within 30 s), so a wrong BLOB_URL stops
// the start.
func (s *S3) Check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ok, err := s.client.BucketExists(ctx, s.opts.Bucket)
	if err != nil {
		return fmt.Errorf("blob storage: bucket %q: %w", s.opts.Bucket, err)
	}
	if !ok {
		return fmt.Errorf("blob storage: bucket %q does not exist", s.opts.Bucket)
	}
	return nil
}

func (s *S3) object(key string) (string, error) {
	if !validKey.MatchString(key) {
		return "", fmt.Errorf("invalid blob key %q", key)
	}
	return s.opts.Prefix + key, nil
}

func (s *S3) cachePath(key string) (string, error) {
	if !validKey.MatchString(key) {
		return "", fmt.Errorf("invalid blob key %q", key)
	}
	return filepath.Join(s.cache, filepath.FromSlash(key)), nil
}

// Put spools r to a file of the local cache (hashing it and enforcing limit, so an oversized
// upload never reaches the bucket), then uploads that file with its SHA-256 as metadata. The
// spooled file stays as the blob's cached copy. Memory holds at most s3Threads parts.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, limit int64) (int64, []byte, error) {
	name, err := s.object(key)
	if err != nil {
		return 0, nil, err
	}
	final, _ := s.cachePath(key)
	if err := os.MkdirAll(filepath.Dir(final), 0o700); err != nil {
		return 0, nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(final), ".upload-*")
	if err != nil {
		return 0, nil, err
	}
	defer func() { _ = tmp.Close(); _ = os.Remove(tmp.Name()) }() // no-ops once renamed
	n, sum, err := copyLimited(ctx, tmp, r, limit)
	if err != nil {
		return 0, nil, err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return 0, nil, err
	}
	_, err = s.client.PutObject(ctx, s.opts.Bucket, name, tmp, n, minio.PutObjectOptions{
		UserMetadata: map[string]string{metaSHA256: hex.EncodeToString(sum)},
		ContentType:  "application/octet-stream", PartSize: s3PartSize, NumThreads: s3Threads,
	})
	if err != nil {
		// The upload may have landed even though its answer did not reach us.
		s.removeQuietly(ctx, name)
		return 0, nil, fmt.Errorf("upload to blob storage: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return 0, nil, err
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		s.removeQuietly(ctx, name)
		return 0, nil, err
	}
	return n, sum, nil
}

func (s *S3) removeQuietly(ctx context.Context, name string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	_ = s.client.RemoveObject(ctx, s.opts.Bucket, name, minio.RemoveObjectOptions{})
}

// LocalPath returns the cached copy of the blob, downloading it first if this machine has
// none. A download is checked (size, and SHA-256 when the object records one) before it
// becomes the cached copy; a missing blob is os.ErrNotExist.
func (s *S3) LocalPath(ctx context.Context, key string) (string, error) {
	name, err := s.object(key)
	if err != nil {
		return "", err
	}
	final, _ := s.cachePath(key)
	if st, err := os.Stat(final); err == nil && st.Mode().IsRegular() {
		return final, nil
	}
	obj, err := s.client.GetObject(ctx, s.opts.Bucket, name, minio.GetObjectOptions{})
	if err != nil {
		return "", fmt.Errorf("download blob %s: %w", key, err)
	}
	defer func() { _ = obj.Close() }()
	info, err := obj.Stat()
	if err != nil {
		if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
			return "", fmt.Errorf("blob %s: %w", key, os.ErrNotExist)
		}
		return "", fmt.Errorf("download blob %s: %w", key, err)
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o700); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(filepath.Dir(final), ".download-*")
	if err != nil {
		return "", err
	}
	defer func() { _ = tmp.Close(); _ = os.Remove(tmp.Name()) }()
	n, sum, err := copyLimited(ctx, tmp, obj, info.Size)
	if errors.Is(err, ErrTooLarge) || (err == nil && n != info.Size) {
		return "", fmt.Errorf("download blob %s: got a size other than the object's %d bytes", key, info.Size)
	}
	if err != nil {
		return "", fmt.Errorf("download blob %s: %w", key, err)
	}
	if want := info.Metadata.Get("X-Amz-Meta-" + metaSHA256); want != "" && !strings.EqualFold(want, hex.EncodeToString(sum)) {
		return "", fmt.Errorf("download blob %s: its SHA-256 is not the one recorded at upload", key)
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return "", err
	}
	return final, nil
}

// Open opens the blob's local copy (see LocalPath).
func (s *S3) Open(ctx context.Context, key string) (File, error) {
	p, err := s.LocalPath(ctx, key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p) //nolint:gosec // a cache path built from a checked key
	if err != nil {
		return nil, err
	}
	return f, nil
}

// Delete removes the object and the local copy.
func (s *S3) Delete(ctx context.Context, key string) error {
	name, err := s.object(key)
	if err != nil {
		return err
	}
	final, _ := s.cachePath(key)
	if err := os.Remove(final); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := s.client.RemoveObject(ctx, s.opts.Bucket, name, minio.RemoveObjectOptions{}); err != nil &&
		minio.ToErrorResponse(err).Code != minio.NoSuchKey {
		return fmt.Errorf("delete blob %s: %w", key, err)
	}
	return nil
}
