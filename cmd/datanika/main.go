// Command datanika is the whole product in one binary: `serve` runs the API, the web app and the
// workers; `migrate` applies the database schema; `version` prints the build.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/riverqueue/river"

	"github.com/datanika/datanika"
	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/frontend"
	"github.com/datanika/datanika/internal/blob"
	"github.com/datanika/datanika/internal/buildinfo"
	"github.com/datanika/datanika/internal/config"
	"github.com/datanika/datanika/internal/connection"
	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/connectors/builtin"
	"github.com/datanika/datanika/internal/dag"
	"github.com/datanika/datanika/internal/database"
	"github.com/datanika/datanika/internal/egress"
	"github.com/datanika/datanika/internal/files"
	"github.com/datanika/datanika/internal/mail"
	"github.com/datanika/datanika/internal/notify"
	"github.com/datanika/datanika/internal/oauth"
	"github.com/datanika/datanika/internal/queue"
	"github.com/datanika/datanika/internal/ratelimit"
	runs "github.com/datanika/datanika/internal/run"
	"github.com/datanika/datanika/internal/schedule"
	"github.com/datanika/datanika/internal/secrets"
	"github.com/datanika/datanika/internal/transformation"
	"github.com/datanika/datanika/internal/warehouse"
	"github.com/datanika/datanika/server"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // a runtime failure: database unreachable, port taken…
	exitUsage   = 2 // bad flags or configuration
)

const usage = `Usage: datanika <command> [flags]

Commands:
  serve [--role all|api|worker]   run the API, the web app and the workers (default role: all)
  migrate [--create-database]     apply the database schema and exit
  transform <command> [flags]     run a dbt-compatible project (build|run|test|seed|snapshot|compile|freshness|deps)
  load --source URL --destination URL --name NAME   extract tables and load them (see datanika load --help)
  rotate-keys                     re-seal every stored credential under the first ENCRYPTION_KEYS key
  version                         print the version

Configuration comes from environment variables; see the README.
`

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, getenv config.Getenv, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "serve":
		return cmdServe(ctx, args[1:], getenv, stderr)
	case "migrate":
		return cmdMigrate(ctx, args[1:], getenv, stdout, stderr)
	case "rotate-keys":
		return cmdRotateKeys(ctx, getenv, stdout, stderr)
	case "transform":
		if len(args) > 1 && args[1] == "deps" {
			return cmdTransformDeps(ctx, args[2:], getenv, stdout, stderr)
		}
		return cmdTransform(ctx, args[1:], stdout, stderr)
	case "load":
		return cmdLoad(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-v":
		bi := buildinfo.Get()
		fmt.Fprintf(stdout, "datanika %s (commit %s, %s)\n", bi.Version, bi.Commit, bi.GoVersion)
		return exitOK
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "datanika: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
}

// loadConfig reads the configuration, printing every problem on one line.
func loadConfig(getenv config.Getenv, stderr io.Writer) (config.Config, bool) {
	cfg, err := config.Load(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "datanika: invalid configuration: %s\n", strings.ReplaceAll(err.Error(), "\n", "; "))
		return cfg, false
	}
	return cfg, true
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func cmdMigrate(ctx context.Context, args []string, getenv config.Getenv, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	create := fs.Bool("create-database", false, "create the database named in DATABASE_URL if it does not exist")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	cfg, ok := loadConfig(getenv, stderr)
	if !ok {
		return exitUsage
	}
	logger := newLogger(cfg, stderr)
	if *create {
		created, err := database.EnsureDatabase(ctx, cfg.DatabaseURL)
		if err != nil {
			fmt.Fprintf(stderr, "datanika: %v\n", err)
			return exitFailure
		}
		if created {
			logger.Info("created the database")
		}
	}
	pool, err := database.Connect(ctx, cfg.DatabaseURL, cfg.DatabaseConnectTimeout, logger)
	if err != nil {
		fmt.Fprintf(stderr, "datanika: %v\n", err)
		return exitFailure
	}
	defer pool.Close()
	res, err := database.Migrate(ctx, pool, logger)
	if err != nil {
		fmt.Fprintf(stderr, "datanika: %v\n", err)
		return exitFailure
	}
	if res.Changed() {
		fmt.Fprintf(stdout, "migrated the schema from version %d to %d (queue migrations applied: %v)\n", res.FromVersion, res.ToVersion, res.RiverApplied)
	} else {
		fmt.Fprintf(stdout, "the schema is up to date at version %d\n", res.ToVersion)
	}
	return exitOK
}

// cmdRotateKeys re-wraps every sealed credential under the active key, so older keys can then
// be removed from ENCRYPTION_KEYS.
func cmdRotateKeys(ctx context.Context, getenv config.Getenv, stdout, stderr io.Writer) int {
	cfg, ok := loadConfig(getenv, stderr)
	if !ok {
		return exitUsage
	}
	keyring, err := secrets.NewKeyring(cfg.EncryptionKeys)
	if err != nil {
		fmt.Fprintf(stderr, "datanika: %v\n", err)
		return exitUsage
	}
	logger := newLogger(cfg, stderr)
	pool, err := database.Connect(ctx, cfg.DatabaseURL, cfg.DatabaseConnectTimeout, logger)
	if err != nil {
		fmt.Fprintf(stderr, "datanika: %v\n", err)
		return exitFailure
	}
	defer pool.Close()
	if _, err := database.Migrate(ctx, pool, logger); err != nil {
		fmt.Fprintf(stderr, "datanika: %v\n", err)
		return exitFailure
	}
	changed, total, err := connection.RotateKeys(ctx, pool, keyring)
	if err != nil {
		fmt.Fprintf(stderr, "datanika: rotate keys: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "re-sealed %d of %d connection configs under key %q\n", changed, total, keyring.ActiveKeyID())
	return exitOK
}

// Roles a serve process can take.
const (
	roleAll    = "all"
	roleAPI    = "api"
	roleWorker = "worker"
)

func cmdServe(ctx context.Context, args []string, getenv config.Getenv, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	role := fs.String("role", roleAll, "what this process does: all, api (HTTP only) or worker (jobs, plus health endpoints)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *role != roleAll && *role != roleAPI && *role != roleWorker {
		fmt.Fprintf(stderr, "datanika: --role must be all, api or worker, not %q\n", *role)
		return exitUsage
	}
	cfg, ok := loadConfig(getenv, stderr)
	if !ok {
		return exitUsage
	}
	logger := newLogger(cfg, stderr)
	if err := serve(ctx, cfg, *role, logger); err != nil {
		fmt.Fprintf(stderr, "datanika: %v\n", err)
		return exitFailure
	}
	return exitOK
}

func serve(ctx context.Context, cfg config.Config, role string, logger *slog.Logger) error {
	ctx, stopSignals := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stopSignals()

	// Listen before anything slow, so a taken port fails at once.
	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	defer func() { _ = ln.Close() }()

	owner, err := database.Connect(ctx, cfg.DatabaseURL, cfg.DatabaseConnectTimeout, logger)
	if err != nil {
		return err
	}
	res, err := database.Migrate(ctx, owner, logger)
	owner.Close()
	if err != nil {
		return err
	}
	// Everything else runs as the non-owner app role, so row-level security applies.
	pool, err := database.Connect(ctx, cfg.DatabaseURL, cfg.DatabaseConnectTimeout, logger, database.AsAppRole)
	if err != nil {
		return err
	}
	defer pool.Close()
	if res.Changed() {
		logger.Info("migrations applied", "from_version", res.FromVersion, "to_version", res.ToVersion, "queue_versions", res.RiverApplied)
	} else {
		logger.Info("database schema up to date", "version", res.ToVersion)
	}

	registry := prometheus.NewRegistry()
	registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		queue.NewCollector(pool, logger),
	)

	keyring, err := secrets.NewKeyring(cfg.EncryptionKeys)
	if err != nil {
		return err
	}
	policy, err := egressPolicy(ctx, cfg)
	if err != nil {
		return err
	}
	var register func(*river.Workers)
	if cfg.WarehouseAdminURL != "" {
		inst, err := dbgen.New(pool).GetInstallation(ctx)
		if err != nil {
			return fmt.Errorf("read the installation id: %w", err)
		}
		prov, err := warehouse.New(cfg.WarehouseAdminURL, inst.InstallationID)
		if err != nil {
			return err
		}
		conns := connection.New(pool, builtin.Registry(), keyring, connectors.Env{}, logger)
		register = func(w *river.Workers) { warehouse.Register(w, prov, conns.UpsertManaged) }
	}

	var blobs blob.Store
	if cfg.Blob != nil { // BLOB_URL: uploads in a bucket, local copies in DATA_DIR/cache
		s3, err := blob.NewS3(*cfg.Blob, filepath.Join(cfg.DataDir, "cache"))
		if err != nil {
			return err
		}
		if err := s3.Check(ctx); err != nil {
			return err
		}
		blobs = s3
	} else if blobs, err = blob.NewDir(filepath.Join(cfg.DataDir, "files")); err != nil {
		return err
	}

	// Pipeline runs: the worker role works them, the api role only inserts them (River must
	// know the kinds it inserts).
	runFiles := files.NewService(pool, blobs, cfg.MaxUploadBytes, logger)
	runWorker := runs.NewPipelineRunWorker(runs.WorkerConfig{
		Pool:                pool,
		Connections:         connection.New(pool, builtin.Registry(), keyring, connectors.Env{}, logger),
		Env:                 runs.OrgEnv(policy.Dialer(30*time.Second), policy.ManagedDialer(30*time.Second), runFiles.Path),
		MaxConcurrentPerOrg: cfg.OrgMaxConcurrentRuns,
		Timeout:             cfg.RunTimeout,
		Heartbeat:           runs.HeartbeatFor(cfg.RunHeartbeatTimeout),
		DependencyWait:      cfg.DependencyWait,
		Logger:              logger,
	})
	transformWorker := runs.NewTransformRunWorker(runs.WorkerConfig{
		Pool:                pool,
		Connections:         connection.New(pool, builtin.Registry(), keyring, connectors.Env{}, logger),
		Env:                 runs.OrgEnv(policy.Dialer(30*time.Second), policy.ManagedDialer(30*time.Second), runFiles.Path),
		MaxConcurrentPerOrg: cfg.OrgMaxConcurrentRuns,
		Timeout:             cfg.RunTimeout,
		Heartbeat:           runs.HeartbeatFor(cfg.RunHeartbeatTimeout),
		DependencyWait:      cfg.DependencyWait,
		Logger:              logger,
	}, transformation.New(pool, nil, logger))
	registerWarehouse := register
	register = func(w *river.Workers) {
		if registerWarehouse != nil {
			registerWarehouse(w)
		}
		runs.Register(w, runWorker)
		runs.RegisterTransform(w, transformWorker)
		// Notification deliveries: every attempt through the egress policy (SPEC §8).
		notify.Register(w, &notify.DeliveryWorker{Pool: pool, Keyring: keyring, Sender: notify.NewSender(policy), Logger: logger})
		river.AddWorker(w, &runs.ReaperWorker{Pool: pool, Stale: cfg.RunHeartbeatTimeout, Logger: logger, Settle: runWorker.SettleReaped})
	}

	working := role != roleAPI
	client, err := queue.New(pool, queue.Options{Logger: logger, Work: working, MaxWorkers: cfg.WorkerConcurrency, Register: register,
		Periodic: runs.PeriodicJobs(cfg.RunHeartbeatTimeout)})
	if err != nil {
		return err
	}
	public := cmp.Or(cfg.PublicURL, publicURL(ln.Addr()))
	notifier := notify.New(pool, keyring, client, nil, public)
	var cascades *dag.Service
	if working {
		// Not ctx: a signal must stop the worker softly (queue.Stop below), not cancel its jobs.
		if err := client.Start(context.WithoutCancel(ctx)); err != nil {
			return fmt.Errorf("start the worker: %w", err)
		}
		// Ended runs move their cascades on and notify once their ending is committed; every
		// worker process dispatches, the outbox's row locks share the work.
		cascades = dag.New(pool, runs.NewService(pool, client), transformation.New(pool, nil, logger))
		dispatcher := dag.NewDispatcher(pool, cascades, logger)
		dispatcher.Handle(func(ctx context.Context, q *dbgen.Queries, tx pgx.Tx, ev dag.Event, r dbgen.Run) error {
			return notifier.OnRunEnded(ctx, q, tx, notify.RunEnded(ev), r)
		})
		go dispatcher.Run(ctx, pool)
	}
	// Schedules: every worker process runs a scheduler (they share the schedules table, each
	// fire claimed once); every process, API ones too, runs the overdue watchdog.
	var background sync.WaitGroup
	defer background.Wait()
	bgCtx, stopBackground := context.WithCancel(ctx)
	defer stopBackground() // before the Wait above
	if working {
		sched := &schedule.Scheduler{DB: pool, Trigger: schedule.NodeTrigger{Dag: cascades}, Logger: logger}
		background.Go(func() { sched.Run(bgCtx) })
	}
	watchdog := &schedule.Watchdog{DB: pool, Logger: logger, Notifier: overdueNotifier{notifier}}
	background.Go(func() { watchdog.Run(bgCtx) })

	limits := ratelimit.NewRules(int32(min(cfg.LoginRateLimit, 1<<30)), int32(min(cfg.SignupRateLimit, 1<<30))) //nolint:gosec // bounded
	mailer, _ := mail.Parse(cfg.SMTPURL)                                                                        // validated with the configuration
	stopping := make(chan struct{})
	endStreams := sync.OnceFunc(func() { close(stopping) })
	defer endStreams()
	e, err := server.New(server.Deps{
		Pool:           pool,
		Logger:         logger,
		Spec:           datanika.OpenAPISpec,
		App:            frontend.Dist(),
		Registry:       registry,
		MaxBodyBytes:   cfg.MaxBodyBytes,
		Production:     cfg.Production(),
		OperationsOnly: role == roleWorker,
		SecretKey:      cfg.SecretKey,
		PublicURL:      public,
		OAuth: oauth.Providers(oauth.Settings{
			GoogleClientID: cfg.GoogleClientID, GoogleClientSecret: cfg.GoogleClientSecret,
			GitHubClientID: cfg.GitHubClientID, GitHubClientSecret: cfg.GitHubClientSecret,
			RedirectBase: public,
		}),
		Mailer:           mailer,
		Blobs:            blobs,
		MaxUploadBytes:   cfg.MaxUploadBytes,
		Keyring:          keyring,
		Egress:           policy,
		Connectors:       builtin.Registry(),
		Queue:            client,
		ManagedWarehouse: cfg.WarehouseAdminURL != "",
		RateLimits:       &limits,
		Stopping:         stopping,
	})
	if err != nil {
		return err
	}
	srv := server.NewHTTPServer(cfg.HTTPAddr, e)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	logger.Info("datanika is up", "url", publicURL(ln.Addr()), "role", role, "version", buildinfo.Get().Version)

	var runErr error
	select {
	case <-ctx.Done():
		logger.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	case err := <-serveErr:
		runErr = fmt.Errorf("http server: %w", err)
	}

	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	// Live-log streams end first: srv.Shutdown waits for every open response, and a stream
	// would otherwise hold the drain — and the workers' time to finish — for SHUTDOWN_TIMEOUT.
	endStreams()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Warn("HTTP connections did not drain in time", "error", err)
	}
	if working {
		if err := queue.Stop(shutdownCtx, client); err != nil {
			logger.Warn("the worker did not stop cleanly", "error", err)
		}
	}
	logger.Info("stopped")
	return runErr
}

// overdueNotifier tells the org's notification channels of an overdue schedule.
type overdueNotifier struct{ n *notify.Service }

func (o overdueNotifier) ScheduleOverdue(ctx context.Context, tx pgx.Tx, s schedule.OverdueSchedule) error {
	return o.n.ScheduleOverdue(ctx, tx, notify.OverdueSchedule(s))
}

// publicURL is the address people can open: the listen address with localhost for a wildcard.
func publicURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// egressPolicy is the policy every connection users configure dials through (EGRESS_*): the
// metadata database's server is closed to all of them, and only the org's managed connection
// reaches the managed warehouse's host and port (WAREHOUSE_ADMIN_URL), so a managed warehouse
// opens nothing to tenants.
func egressPolicy(ctx context.Context, cfg config.Config) (*egress.Policy, error) {
	policy, err := egress.New(cfg.EgressAllowPrivate, cfg.EgressAllowlist)
	if err != nil {
		return nil, err
	}
	meta, err := pgconn.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	servers := []*pgconn.FallbackConfig{{Host: meta.Host, Port: meta.Port}}
	servers = append(servers, meta.Fallbacks...)
	for _, s := range servers {
		if err := policy.Protect(ctx, s.Host, s.Port); err != nil {
			return nil, fmt.Errorf("egress policy: the metadata database's host: %w", err)
		}
	}
	if cfg.WarehouseAdminURL != "" {
		wh, err := pgconn.ParseConfig(cfg.WarehouseAdminURL)
		if err != nil {
			return nil, fmt.Errorf("WAREHOUSE_ADMIN_URL: %w", err)
		}
		if err := policy.Manage(ctx, wh.Host, wh.Port); err != nil {
			return nil, fmt.Errorf("egress policy: the managed warehouse's host: %w", err)
		}
	}
	return policy, nil
}
