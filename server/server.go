// Package server is Datanika's HTTP layer: the Echo server implementing the strict interface
// generated from openapi.yaml (one file per resource), its middleware (request ids, access log,
// metrics, security headers, body limit), the single error mapper that answers every error as
// application/problem+json, the API docs and the embedded single-page app.
package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/blob"
	"github.com/datanika/datanika/internal/connection"
	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/dag"
	"github.com/datanika/datanika/internal/database"
	"github.com/datanika/datanika/internal/egress"
	"github.com/datanika/datanika/internal/files"
	"github.com/datanika/datanika/internal/history"
	"github.com/datanika/datanika/internal/idempotency"
	"github.com/datanika/datanika/internal/identity"
	"github.com/datanika/datanika/internal/mail"
	"github.com/datanika/datanika/internal/notify"
	"github.com/datanika/datanika/internal/oauth"
	"github.com/datanika/datanika/internal/org"
	"github.com/datanika/datanika/internal/pipeline"
	"github.com/datanika/datanika/internal/queue"
	"github.com/datanika/datanika/internal/ratelimit"
	"github.com/datanika/datanika/internal/run"
	"github.com/datanika/datanika/internal/schedule"
	"github.com/datanika/datanika/internal/secrets"
	"github.com/datanika/datanika/internal/transformation"
	"github.com/datanika/datanika/internal/warehouse"
)

// Deps is what the HTTP layer needs from the process.
type Deps struct {
	Pool *pgxpool.Pool
	// DB is what the services run on; nil: Pool. The fast test tier gives a transaction, rolled
	// back when the test ends (each service call a savepoint in it).
	DB     database.DB
	Logger *slog.Logger
	// Spec is openapi.yaml as served at /api/v1/openapi.yaml.
	Spec []byte
	// App is the built SPA (index.html, assets/…); nil serves no app.
	App fs.FS
	// Registry receives the HTTP metrics and is served at /metrics.
	Registry *prometheus.Registry
	// MaxBodyBytes bounds request bodies (413 beyond).
	MaxBodyBytes int64
	// Production turns on HSTS.
	Production bool
	// OperationsOnly serves only /healthz, /readyz and /metrics (the worker role).
	OperationsOnly bool
	// SecretKey signs access tokens.
	SecretKey string
	// PublicURL is where people open the app (links in invitations).
	PublicURL string
	// OAuth are the enabled sign-in providers; OAuthClient calls them (nil: a default client).
	OAuth       map[string]*oauth.Provider
	OAuthClient *http.Client
	// Mailer sends invitations; nil returns their links to the admin instead.
	Mailer *mail.Sender
	// Blobs stores uploaded files; MaxUploadBytes bounds one upload.
	Blobs          blob.Store
	MaxUploadBytes int64
	// Keyring seals connection configs; Egress polices where connectors may connect.
	Keyring *secrets.Keyring
	Egress  *egress.Policy
	// Connectors holds the connection types offered (builtin.Registry in the program).
	Connectors *connectors.Registry
	// Queue inserts jobs; with ManagedWarehouse, each new org gets its warehouse provisioned
	// (and a deleted org's dropped) by jobs enqueued with the org's own transaction.
	Queue            *queue.Client
	ManagedWarehouse bool
	// RateLimits of sign-in and sign-up; nil means ratelimit.DefaultRules().
	RateLimits *ratelimit.Rules
	// Stopping is closed when the process begins to shut down: open live-log streams end at
	// once rather than hold the HTTP drain (and with it the workers' time to finish their jobs)
	// for the whole SHUTDOWN_TIMEOUT; their clients reconnect elsewhere with Last-Event-ID. Nil:
	// streams end only with their run or their client.
	Stopping <-chan struct{}
}

// handlers implements api.StrictServerInterface; its methods live in one file per resource.
type handlers struct {
	pool            *pgxpool.Pool
	spec            []byte
	gatherer        prometheus.Gatherer
	production      bool
	identity        *identity.Service
	org             *org.Service
	files           *files.Service
	connections     *connection.Service
	history         *history.Service
	idempotency     *idempotency.Store
	pipelines       *pipeline.Service
	transformations *transformation.Service
	runs            *run.Service
	schedules       *schedule.Service
	dag             *dag.Service
	notifications   *notify.Service
	logger          *slog.Logger
	stopping        <-chan struct{} // Deps.Stopping

	secretKey   []byte
	oauth       map[string]*oauth.Provider
	oauthClient *http.Client
}

var _ api.StrictServerInterface = (*handlers)(nil)

// New builds the Echo server with every route and middleware.
func New(d Deps) (*echo.Echo, error) {
	if d.Connectors == nil {
		return nil, errors.New("server: Deps.Connectors is required")
	}
	e := echo.New()
	e.JSONSerializer = exactJSON{}
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = ErrorHandler(d.Logger)
	// The client address comes from the connection only; X-Forwarded-For is trusted nowhere until
	// a deployment configures its proxies (Echo trusts it by default, which would let anyone
	// choose the IP that rate limits key on).
	e.IPExtractor = echo.ExtractIPDirect()

	metrics, err := newHTTPMetrics(d.Registry)
	if err != nil {
		return nil, err
	}
	e.Use(
		middleware.RecoverWithConfig(middleware.RecoverConfig{
			DisableStackAll: true,
			LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
				d.Logger.Error("panic while serving a request", "request_id", requestIDOf(c), "error", err, "stack", string(stack))
				return fmt.Errorf("panic: %w", err)
			},
		}),
		requestID(),
		metrics.middleware(),
		accessLog(d.Logger),
		securityHeaders(d.Production),
		bodyLimit(d.MaxBodyBytes, map[string]int64{"/api/v1/files": d.MaxUploadBytes, "/api/v1/transformations/import": d.MaxUploadBytes}),
	)

	validators, err := operationValidators(d.Spec)
	if err != nil {
		return nil, err
	}
	var db database.DB = d.Pool
	if d.DB != nil {
		db = d.DB
	}
	ident := identity.New(db, auth.NewTokens(d.SecretKey, nil), d.Logger)
	if d.RateLimits != nil {
		ident.SetRateLimits(*d.RateLimits)
	}
	h := &handlers{
		pool: d.Pool, spec: d.Spec, gatherer: d.Registry, production: d.Production,
		identity: ident, org: org.New(db, ident, d.PublicURL, d.Mailer, d.Logger), logger: d.Logger,
		secretKey: []byte(d.SecretKey), oauth: d.OAuth, oauthClient: d.OAuthClient, stopping: d.Stopping,
		files:   files.NewService(db, d.Blobs, d.MaxUploadBytes, d.Logger),
		history: history.New(db), idempotency: idempotency.New(db, d.Keyring),
	}
	if d.ManagedWarehouse && d.Queue != nil {
		ident.OnOrgCreated(func(ctx context.Context, tx pgx.Tx, orgID int64) error {
			_, err := d.Queue.InsertTx(ctx, tx, warehouse.ProvisionArgs{OrgID: orgID}, nil)
			return err
		})
		h.org.OnOrgDeleted(func(ctx context.Context, tx pgx.Tx, orgID int64) error {
			_, err := d.Queue.InsertTx(ctx, tx, warehouse.DropArgs{OrgID: orgID}, nil)
			return err
		})
	}
	h.connections = connection.New(db, d.Connectors, d.Keyring, connectors.Env{
		Dialer: d.Egress.Dialer(connectors.TestTimeout),
		Files: func(ctx context.Context, fileID int64) (string, error) {
			return h.files.Path(ctx, principal(ctx), fileID)
		},
	}, d.Logger).WithManagedDialer(d.Egress.ManagedDialer(connectors.TestTimeout))
	h.pipelines = pipeline.New(db, d.Connectors, d.Logger)
	h.transformations = transformation.New(db, func(ctx context.Context, p auth.Principal, id int64) ([]byte, error) {
		path, err := h.files.Path(ctx, p, id)
		if err != nil {
			return nil, err
		}
		return os.ReadFile(path) //nolint:gosec // the blob store's own path of an upload of this org
	}, d.Logger).WithConnections(h.connections)
	runQueue := d.Queue
	if runQueue == nil {
		// Runs need a queue to be triggered: without one given, an insert-only client on the pool
		// (the jobs wait for a worker process).
		register := func(w *river.Workers) {
			run.RegisterKinds(w)
			notify.RegisterKinds(w)
		}
		if runQueue, err = queue.New(d.Pool, queue.Options{Logger: d.Logger, Register: register}); err != nil {
			return nil, err
		}
	}
	h.runs = run.NewService(db, runQueue)
	h.schedules = schedule.New(db)
	h.dag = dag.New(db, h.runs, h.transformations)
	h.notifications = notify.New(db, d.Keyring, runQueue, notify.NewSender(d.Egress), d.PublicURL)
	if h.oauthClient == nil {
		h.oauthClient = &http.Client{Timeout: 15 * time.Second}
	}
	// Each operation: authenticate and authorize first, then replay or claim an Idempotency-Key
	// (POSTs), then validate the request.
	middlewares := map[string][]echo.MiddlewareFunc{}
	for op, vs := range validators {
		middlewares[op] = append([]echo.MiddlewareFunc{h.authorize(op), h.idempotent}, vs...)
	}
	middlewares["updateNotification"] = append(middlewares["updateNotification"], notificationTargetGiven)
	strict := api.NewStrictHandler(h, nil)
	var router api.EchoRouter = e
	if d.OperationsOnly {
		router = operationsRouter{e}
	}
	api.RegisterHandlersWithOptions(router, strict, api.RegisterHandlersOptions{OperationMiddlewares: middlewares})
	if d.OperationsOnly {
		return e, nil
	}

	e.GET(docsPath, docsHandler())
	e.GET(docsPath+"/*", docsHandler())
	// Unknown API paths answer a problem+json 404 for every method, never the SPA.
	e.RouteNotFound("/api", apiNotFound(e))
	e.RouteNotFound("/api/*", apiNotFound(e))
	if d.App != nil {
		app, err := newSPA(d.App)
		if err != nil {
			return nil, fmt.Errorf("load the web app: %w", err)
		}
		e.GET("/*", app.handle)
		e.HEAD("/*", app.handle)
	}
	return e, nil
}

// apiNotFound answers 405 with an Allow header when the path exists for other methods (Echo's
// router would otherwise fall through to this catch-all), else 404.
func apiNotFound(e *echo.Echo) echo.HandlerFunc {
	methods := []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}
	return func(c echo.Context) error {
		var allowed []string
		for _, m := range methods {
			if m == c.Request().Method {
				continue
			}
			probe := e.NewContext(nil, nil)
			e.Router().Find(m, c.Request().URL.Path, probe)
			if p := probe.Path(); p != "" && p != "/api" && p != "/api/*" {
				allowed = append(allowed, m)
			}
		}
		if len(allowed) > 0 {
			c.Response().Header().Set(echo.HeaderAllow, strings.Join(allowed, ", "))
			return echo.ErrMethodNotAllowed
		}
		return echo.ErrNotFound
	}
}

// operationsRouter registers only the operations endpoints, for processes in the worker role:
// every other route the generated code registers is dropped.
type operationsRouter struct{ e *echo.Echo }

var operationsPaths = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

func (r operationsRouter) GET(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	if operationsPaths[path] {
		return r.e.GET(path, h, m...)
	}
	return nil
}

func (operationsRouter) CONNECT(string, echo.HandlerFunc, ...echo.MiddlewareFunc) *echo.Route {
	return nil
}
func (operationsRouter) DELETE(string, echo.HandlerFunc, ...echo.MiddlewareFunc) *echo.Route {
	return nil
}
func (operationsRouter) HEAD(string, echo.HandlerFunc, ...echo.MiddlewareFunc) *echo.Route {
	return nil
}
func (operationsRouter) OPTIONS(string, echo.HandlerFunc, ...echo.MiddlewareFunc) *echo.Route {
	return nil
}
func (operationsRouter) PATCH(string, echo.HandlerFunc, ...echo.MiddlewareFunc) *echo.Route {
	return nil
}
func (operationsRouter) POST(string, echo.HandlerFunc, ...echo.MiddlewareFunc) *echo.Route {
	return nil
}
func (operationsRouter) PUT(string, echo.HandlerFunc, ...echo.MiddlewareFunc) *echo.Route {
	return nil
}
func (operationsRouter) TRACE(string, echo.HandlerFunc, ...echo.MiddlewareFunc) *echo.Route {
	return nil
}

// NewHTTPServer wraps e in an http.Server with timeouts that bound slow clients.
func NewHTTPServer(addr string, e *echo.Echo) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           e,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		// Long enough for large downloads; streaming endpoints extend their own deadline.
		WriteTimeout:   5 * time.Minute,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
	}
}
