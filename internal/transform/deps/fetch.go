package deps

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha1" //nolint:gosec // the hub publishes SHA-1 sums of its tarballs; checked as given
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/datanika/datanika/internal/transform/project"
)

// Limits on what a download may be.
const (
	maxIndexBytes   = 16 << 20
	maxTarballBytes = 256 << 20
	maxPackageBytes = 512 << 20
)

type fetcher struct {
	opts     Options
	hubIndex map[string]*hubPackage
}

// hubPackage is the hub's answer for one package: /api/v1/{org}/{name}.json.
type hubPackage struct {
	Versions map[string]struct {
		Downloads struct {
			Tarball string `json:"tarball"`
			SHA1    string `json:"sha1"`
		} `json:"downloads"`
	} `json:"versions"`
	RedirectNamespace string `json:"redirectnamespace"`
	RedirectName      string `json:"redirectname"`
}

func (f *fetcher) fetch(ctx context.Context, projectDir string, d project.Dependency) (source, error) {
	switch {
	case d.Package != "":
		return f.fetchHub(ctx, d)
	case d.Tarball != "":
		dir, err := f.fetchTarball(ctx, d.Tarball, "", filepath.Join(f.opts.CacheDir, "tarball", cacheKey(d.Tarball)))
		return source{dep: d, dir: dir}, err
	case d.Git != "":
		dir, sha, err := f.fetchGit(ctx, d)
		return source{dep: d, dir: dir, commit: sha}, err
	case d.Local != "":
		dir := d.Local
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(projectDir, filepath.FromSlash(dir))
		}
		if _, err := os.Stat(filepath.Join(dir, "dbt_project.yml")); err != nil {
			return source{}, fmt.Errorf("no dbt_project.yml in %s", dir)
		}
		return source{dep: d, dir: dir}, nil
	}
	return source{}, errors.New("an empty dependency")
}

func (f *fetcher) fetchHub(ctx context.Context, d project.Dependency) (source, error) {
	org, name, _ := strings.Cut(d.Package, "/")
	if !safeName(org) || !safeName(name) {
		return source{}, fmt.Errorf("%q is not a hub package name", d.Package)
	}
	idx, err := f.index(ctx, org, name)
	if err != nil {
		return source{}, err
	}
	versions := make([]string, 0, len(idx.Versions))
	for v := range idx.Versions {
		versions = append(versions, v)
	}
	sort.Strings(versions)
	version, err := pickVersion(versions, d.Version, d.InstallPrerelease)
	if err != nil {
		return source{}, err
	}
	dl := idx.Versions[version].Downloads
	if dl.Tarball == "" {
		return source{}, fmt.Errorf("the hub gives no tarball for version %s", version)
	}
	f.opts.Logger.Info("installing", "package", d.Package, "version", version)
	dir, err := f.fetchTarball(ctx, dl.Tarball, dl.SHA1, filepath.Join(f.opts.CacheDir, "hub", org, name, version))
	return source{dep: d, version: version, dir: dir}, err
}

// safeName is a hub org or package name: letters, digits, - _ and ., never a path.
func safeName(s string) bool {
	if s == "" || s == "." || s == ".." {
		return false
	}
	for _, r := range s {
		switch {
		case r == '-', r == '_', r == '.', r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		default:
			return false
		}
	}
	return true
}

func (f *fetcher) index(ctx context.Context, org, name string) (*hubPackage, error) {
	key := org + "/" + name
	if idx, ok := f.hubIndex[key]; ok {
		return idx, nil
	}
	for hop := 0; ; hop++ {
		u := f.opts.HubURL + "/api/v1/" + url.PathEscape(org) + "/" + url.PathEscape(name) + ".json"
		body, err := f.get(ctx, u, maxIndexBytes)
		if err != nil {
			return nil, fmt.Errorf("the package hub: %w", err)
		}
		var idx hubPackage
		if err := json.Unmarshal(body, &idx); err != nil {
			return nil, fmt.Errorf("the package hub's answer for %s is not its JSON: %w", key, err)
		}
		// A renamed package (fishtown-analytics/dbt_utils → dbt-labs/dbt_utils) points on.
		if len(idx.Versions) == 0 && idx.RedirectNamespace != "" && hop < 3 {
			org, name = idx.RedirectNamespace, idx.RedirectName
			if name == "" {
				name = key[strings.Index(key, "/")+1:]
			}
			if !safeName(org) || !safeName(name) {
				return nil, fmt.Errorf("the package hub redirects %s to an invalid name", key)
			}
			continue
		}
		f.hubIndex[key] = &idx
		return &idx, nil
	}
}

// get downloads a URL through the caller's client, up to limit bytes.
func (f *fetcher) get(ctx context.Context, u string, limit int64) ([]byte, error) {
	parsed, err := url.Parse(u)
	if err != nil || (parsed.Scheme != "https" && parsed.Scheme != "http") {
		return nil, fmt.Errorf("%q is not an http(s) URL", u)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := f.opts.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("GET %s: more than %d MiB", u, limit>>20)
	}
	return body, nil
}

// fetchTarball downloads and unpacks a .tar.gz into dir (kept as a cache when it exists),
// checking its SHA-1 when the hub gives one; it returns the folder holding dbt_project.yml.
func (f *fetcher) fetchTarball(ctx context.Context, u, sha1sum, dir string) (string, error) {
	if root, err := packageRoot(dir); err == nil {
		return root, nil
	}
	body, err := f.get(ctx, u, maxTarballBytes)
	if err != nil {
		return "", err
	}
	if sha1sum != "" {
		sum := sha1.Sum(body) //nolint:gosec // comparing with the hub's published SHA-1
		if !strings.EqualFold(hex.EncodeToString(sum[:]), sha1sum) {
			return "", fmt.Errorf("the tarball from %s does not match the hub's SHA-1 %s", u, sha1sum)
		}
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o750); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".unpack-")
	if err != nil {
		return "", err
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	if err := untar(body, tmp); err != nil {
		return "", fmt.Errorf("unpack %s: %w", u, err)
	}
	if _, err := packageRoot(tmp); err != nil {
		return "", fmt.Errorf("%s: %w", u, err)
	}
	_ = os.RemoveAll(dir)
	if err := os.Rename(tmp, dir); err != nil {
		return "", err
	}
	return packageRoot(dir)
}

// packageRoot is the shallowest folder of dir holding dbt_project.yml: dir itself or the one
// folder a tarball of a repository wraps everything in.
func packageRoot(dir string) (string, error) {
	if _, err := os.Stat(filepath.Join(dir, "dbt_project.yml")); err == nil {
		return dir, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		if e.IsDir() {
			if _, err := os.Stat(filepath.Join(dir, e.Name(), "dbt_project.yml")); err == nil {
				return filepath.Join(dir, e.Name()), nil
			}
		}
	}
	return "", errors.New("the package holds no dbt_project.yml")
}

// untar unpacks a gzipped tar into dir: regular files and folders only, every path inside
// dir, at most maxPackageBytes in all.
func untar(data []byte, dir string) error {
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("not a gzipped tarball: %w", err)
	}
	tr := tar.NewReader(gz)
	var total int64
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := path.Clean(strings.TrimPrefix(filepath.ToSlash(h.Name), "./"))
		if name == "." || path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
			if name == "." {
				continue
			}
			return fmt.Errorf("the tarball holds a path outside itself: %q", h.Name)
		}
		target := filepath.Join(dir, filepath.FromSlash(name))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o750); err != nil {
				return err
			}
		case tar.TypeReg:
			total += h.Size
			if total > maxPackageBytes {
				return fmt.Errorf("the tarball unpacks to more than %d MiB", maxPackageBytes>>20)
			}
			if err := os.MkdirAll(filepath.Dir(target), 0o750); err != nil {
				return err
			}
			out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600) //nolint:gosec // checked to be inside dir
			if err != nil {
				return err
			}
			if _, err := io.Copy(out, io.LimitReader(tr, h.Size)); err != nil {
				_ = out.Close()
				return err
			}
			if err := out.Close(); err != nil {
				return err
			}
		default:
			// Links and devices are no part of a dbt package.
		}
	}
}
