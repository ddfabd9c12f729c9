package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/datanika/datanika/internal/config"
	"github.com/datanika/datanika/internal/egress"
	"github.com/datanika/datanika/internal/transform/deps"
)

// cmdTransformDeps installs the packages a project declares into its dbt_packages folder, as
// dbt deps does: hub packages from DBT_HUB_URL (hub.getdbt.com by default), git packages, and
// local: ones. Every connection goes through the egress policy (EGRESS_ALLOW_PRIVATE,
// EGRESS_ALLOWLIST), as the server's do.
func cmdTransformDeps(ctx context.Context, args []string, getenv config.Getenv, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("transform deps", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("project", "", "the dbt project directory (with dbt_project.yml and packages.yml or dependencies.yml)")
	cacheDir := fs.String("cache-dir", "", "where downloaded packages are kept (default: the user's cache directory)/datanika/dbt-packages")
	output := fs.String("output", "text", "text or json")
	upgrade := fs.Bool("upgrade", false, "resolve the declared versions again instead of installing what package-lock.yml pins, and rewrite it")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() > 0 || *dir == "" || (*output != "text" && *output != "json") {
		fmt.Fprint(stderr, "datanika transform deps: --project is required; --output is text or json\n\n"+transformUsage)
		return exitUsage
	}
	if st, err := os.Stat(*dir); err != nil || !st.IsDir() {
		fmt.Fprintf(stderr, "datanika transform deps: --project must be a project directory (a zip is read-only: install its packages before zipping it)\n")
		return exitUsage
	}
	policy, err := egressFromEnv(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "datanika transform deps: %v\n", err)
		return exitUsage
	}
	if *cacheDir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			fmt.Fprintf(stderr, "datanika transform deps: no cache directory (pass --cache-dir): %v\n", err)
			return exitUsage
		}
		*cacheDir = filepath.Join(base, "datanika", "dbt-packages")
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	installed, err := deps.Install(ctx, *dir, deps.Options{
		HubURL: getenv("DBT_HUB_URL"), CacheDir: *cacheDir, HTTP: policy.HTTPClient(5 * time.Minute),
		Dial: policy.Dialer(30 * time.Second).DialContext, AllowLocalGit: true, Upgrade: *upgrade,
		Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		fmt.Fprintf(stderr, "datanika transform deps: %v\n", err)
		return exitFailure
	}
	if *output == "json" {
		if installed == nil {
			installed = []deps.Installed{}
		}
		if err := json.NewEncoder(stdout).Encode(map[string]any{"packages": installed}); err != nil {
			fmt.Fprintf(stderr, "datanika transform deps: %v\n", err)
			return exitFailure
		}
		return exitOK
	}
	for _, p := range installed {
		version := ""
		if p.Version != "" {
			version = " " + p.Version
		}
		fmt.Fprintf(stdout, "installed %s%s from %s in %s\n", p.Name, version, p.Source, p.Dir)
	}
	fmt.Fprintf(stdout, "deps: %d package(s) installed\n", len(installed))
	return exitOK
}

// egressFromEnv is the egress policy EGRESS_ALLOW_PRIVATE and EGRESS_ALLOWLIST describe, read
// alone: deps needs no database.
func egressFromEnv(getenv config.Getenv) (*egress.Policy, error) {
	allowPrivate := false
	switch v := strings.ToLower(strings.TrimSpace(getenv("EGRESS_ALLOW_PRIVATE"))); v {
	case "true", "1", "yes":
		allowPrivate = true
	case "", "false", "0", "no":
	default:
		return nil, fmt.Errorf("EGRESS_ALLOW_PRIVATE must be true or false, not %q", v)
	}
	p, err := egress.New(allowPrivate, getenv("EGRESS_ALLOWLIST"))
	if err != nil {
		return nil, fmt.Errorf("EGRESS_ALLOWLIST: %w", err)
	}
	return p, nil
}
