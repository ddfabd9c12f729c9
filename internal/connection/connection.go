// Package connection owns an org's connections: their names and rules, their configs sealed at
// rest (internal/secrets) and masked in answers, tests, catalogs (cached in catalog_entries) and
// read-only queries, all through the connector registry (internal/connectors) and the egress
// policy the registry's connectors dial through.
package connection

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/audit"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/database"
	"github.com/datanika/datanika/internal/secrets"
)

// Service implements connections.
type Service struct {
	db       database.DB
	registry *connectors.Registry
	keyring  *secrets.Keyring
	env      connectors.Env
	// managedEnv is env with the dialer that may reach the managed warehouse: the org's
	// managed connection alone uses it (see WithManagedDialer).
	managedEnv connectors.Env
	logger     *slog.Logger
}

// New returns the connections service.
func New(db database.DB, registry *connectors.Registry, keyring *secrets.Keyring, env connectors.Env, logger *slog.Logger) *Service {
	return &Service{db: db, registry: registry, keyring: keyring, env: env, managedEnv: env, logger: logger}
}

// WithManagedDialer sets the dialer of the org's managed-warehouse connection (the egress
// policy's ManagedDialer); without it, that connection dials like any other.
func (s *Service) WithManagedDialer(d connectors.Dialer) *Service {
	s.managedEnv.Dialer = d
	return s
}

// envFor is the Env a stored connection's connector gets: the managed connection's (marked by
// the server, never by a config) may reach the warehouse; every other follows the policy.
func (s *Service) envFor(c Connection) connectors.Env {
	if c.Managed {
		return s.managedEnv
	}
	return s.env
}

// Registry is the registry of connection types the service uses.
func (s *Service) Registry() *connectors.Registry { return s.registry }

// Connection is a stored connection with its config opened (secrets included: mask before answering).
type Connection struct {
	dbgen.Connection
	Config map[string]any
}

// Masked is the config with every secret replaced by "********".
func (s *Service) Masked(c Connection) map[string]any { return s.registry.Mask(c.Type, c.Config) }

func sealContext(orgID int64) []byte {
	return []byte("org:" + strconv.FormatInt(orgID, 10) + "/connection")
}

func (s *Service) open(c dbgen.Connection) (Connection, error) {
	plain, err := s.keyring.Open(c.ConfigSealed, sealContext(c.OrgID))
	if err != nil {
		return Connection{}, fmt.Errorf("open connection %d config: %w", c.ID, err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(plain, &cfg); err != nil {
		return Connection{}, fmt.Errorf("decode connection %d config: %w", c.ID, err)
	}
	return Connection{Connection: c, Config: cfg}, nil
}

func (s *Service) seal(orgID int64, cfg map[string]any) ([]byte, error) {
	b, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	return s.keyring.Seal(b, sealContext(orgID))
}

func direction(c connectors.Capabilities) string {
	switch {
	case c.Source && c.Destination:
		return "both"
	case c.Source:
		return "source"
	default:
		return "destination"
	}
}

func checkName(raw string) (string, error) {
	name := strings.TrimSpace(raw)
	if name == "" || len([]rune(name)) > 100 {
		return "", apperr.Invalidf([]apperr.FieldError{{Field: "name", Message: "must be 1 to 100 characters"}}, "The connection name is invalid.")
	}
	return name, nil
}

// offeredType returns a type users may create connections of.
func (s *Service) offeredType(name string) (connectors.Type, error) {
	t, ok := s.registry.Lookup(name)
	if !ok || !t.Available() {
		return connectors.Type{}, apperr.Invalidf([]apperr.FieldError{{Field: "type", Message: "is not a connection type this installation offers"}}, "Unknown connection type %q.", name)
	}
	return t, nil
}

func (s *Service) validate(typeName string, cfg map[string]any) error {
	if cfg == nil {
		cfg = map[string]any{}
	}
	fields := s.registry.Validate(typeName, cfg)
	if len(fields) == 0 {
		// Opening checks what a schema cannot say (two REST resources of one name, say); it
		// does not touch the network.
		_, err := s.registry.Open(typeName, cfg, s.env)
		var verr *connectors.ValidationError
		var aerr *apperr.Error
		switch {
		case errors.As(err, &verr):
			fields = verr.Fields
		case errors.As(err, &aerr) && aerr.Kind == apperr.Invalid:
			return aerr
		case err != nil:
			return apperr.Invalidf([]apperr.FieldError{{Field: "config", Message: err.Error()}}, "The connection config cannot be used.")
		default:
			return nil
		}
	}
	out := make([]apperr.FieldError, 0, len(fields))
	for _, f := range fields {
		out = append(out, apperr.FieldError(f))
	}
	return apperr.Invalidf(out, "The connection config is invalid.")
}

func duplicateName(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == "connections_name_live"
}

// Create stores a new connection.
func (s *Service) Create(ctx context.Context, p auth.Principal, rawName, typeName string, cfg map[string]any) (Connection, error) {
	name, err := checkName(rawName)
	if err != nil {
		return Connection{}, err
	}
	t, err := s.offeredType(typeName)
	if err != nil {
		return Connection{}, err
	}
	if err := s.validate(t.Name, cfg); err != nil {
		return Connection{}, err
	}
	sealed, err := s.seal(p.OrgID, cfg)
	if err != nil {
		return Connection{}, err
	}
	var out Connection
	err = database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		row, err := q.CreateConnection(ctx, dbgen.CreateConnectionParams{
			OrgID: p.OrgID, Name: name, Type: t.Name, Direction: direction(t.Capabilities), ConfigSealed: sealed, CreatedBy: &p.UserID,
		})
		if duplicateName(err) {
			return apperr.Conflictf("A connection named %q already exists.", name)
		}
		if err != nil {
			return err
		}
		out = Connection{Connection: row, Config: cfg}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, Action: "connection.create", ResourceType: "connection",
			ResourceID: strconv.FormatInt(row.ID, 10), New: map[string]any{"name": name, "type": t.Name, "config": s.registry.Mask(t.Name, cfg)}})
	})
	return out, err
}

// Get returns a connection of the principal's org.
func (s *Service) Get(ctx context.Context, p auth.Principal, id int64) (Connection, error) {
	var out Connection
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		row, err := q.GetConnection(ctx, dbgen.GetConnectionParams{OrgID: p.OrgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFoundf("No connection %d.", id)
		}
		if err != nil {
			return err
		}
		out, err = s.open(row)
		return err
	})
	return out, err
}

// List pages the org's connections.
func (s *Service) List(ctx context.Context, p auth.Principal, afterID int64, limit int32) ([]Connection, error) {
	var out []Connection
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		rows, err := q.ListConnections(ctx, dbgen.ListConnectionsParams{OrgID: p.OrgID, AfterID: afterID, Lim: limit})
		if err != nil {
			return err
		}
		for _, r := range rows {
			c, err := s.open(r)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return nil
	})
	return out, err
}

// Update renames a connection and/or changes its config; a secret sent as "********" or left out
// keeps its stored value. When the patch changes where the connection points (a field its type's
// schema marks x-target: host, port, URL, bucket…) no stored secret is kept: the update is refused
// with a 422 naming each secret to enter again, and nothing is stored (see connectors.Merge).
func (s *Service) Update(ctx context.Context, p auth.Principal, id int64, rawName *string, patch map[string]any) (Connection, error) {
	var out Connection
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		row, err := q.GetConnection(ctx, dbgen.GetConnectionParams{OrgID: p.OrgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFoundf("No connection %d.", id)
		}
		if err != nil {
			return err
		}
		current, err := s.open(row)
		if err != nil {
			return err
		}
		name := row.Name
		if rawName != nil {
			if name, err = checkName(*rawName); err != nil {
				return err
			}
		}
		cfg := current.Config
		if patch != nil && row.Managed {
			return apperr.Conflictf("The %q connection is the managed warehouse: the server keeps its settings.", row.Name)
		}
		if patch != nil {
			var verr *connectors.ValidationError
			cfg, err = s.registry.Merge(row.Type, current.Config, patch)
			if errors.As(err, &verr) {
				return apperr.Invalidf(verr.Fields, "The connection now points elsewhere: enter its secrets again, a stored secret is never sent to a new destination.")
			}
			if err != nil {
				return err
			}
			if err := s.validate(row.Type, cfg); err != nil {
				return err
			}
		}
		sealed, err := s.seal(p.OrgID, cfg)
		if err != nil {
			return err
		}
		updated, err := q.UpdateConnection(ctx, dbgen.UpdateConnectionParams{OrgID: p.OrgID, ID: id, Name: name, ConfigSealed: sealed})
		if duplicateName(err) {
			return apperr.Conflictf("A connection named %q already exists.", name)
		}
		if err != nil {
			return err
		}
		out = Connection{Connection: updated, Config: cfg}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, Action: "connection.update", ResourceType: "connection", ResourceID: strconv.FormatInt(id, 10),
			Old: map[string]any{"name": row.Name, "config": s.registry.Mask(row.Type, current.Config)},
			New: map[string]any{"name": name, "config": s.registry.Mask(row.Type, cfg)}})
	})
	return out, err
}

// Delete soft-deletes a connection. It refuses with a conflict while live pipelines or
// transformations use the connection, naming them. The soft delete runs first, so the
// connection row stays locked until commit: a pipeline created concurrently (which locks the
// row FOR SHARE) either waits and then sees it gone, or is seen here.
func (s *Service) Delete(ctx context.Context, p auth.Principal, id int64) error {
	return database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		row, err := q.SoftDeleteConnection(ctx, dbgen.SoftDeleteConnectionParams{OrgID: p.OrgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFoundf("No connection %d.", id)
		}
		if err != nil {
			return err
		}
		users, err := q.ConnectionUsers(ctx, dbgen.ConnectionUsersParams{ForOrg: p.OrgID, ConnID: id})
		if err != nil {
			return err
		}
		if len(users) > 0 {
			return apperr.Conflictf("Connection %q is used by %s; delete or repoint them first.", row.Name, describeUsers(users))
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, Action: "connection.delete", ResourceType: "connection",
			ResourceID: strconv.FormatInt(id, 10), Old: map[string]any{"name": row.Name, "type": row.Type}})
	})
}

// describeUsers names what uses a connection: "pipeline \"orders\" and transformation \"stg\"",
// at most 20 of them and a count of the rest.
func describeUsers(users []dbgen.ConnectionUsersRow) string {
	const shown = 20
	parts := make([]string, 0, min(len(users), shown))
	for i, u := range users {
		if i == shown {
			break
		}
		parts = append(parts, fmt.Sprintf("%s %q", u.Kind, u.Name))
	}
	out := strings.Join(parts, ", ")
	if len(users) > shown {
		out += " and more"
	}
	return out
}

func (s *Service) connector(ctx context.Context, env connectors.Env, typeName string, cfg map[string]any) (connectors.Connector, error) {
	c, err := s.registry.Open(typeName, cfg, env)
	var verr *connectors.ValidationError
	switch {
	case errors.As(err, &verr):
		return nil, s.validate(typeName, cfg)
	case errors.Is(err, connectors.ErrUnknownType), errors.Is(err, connectors.ErrUnavailable):
		_, terr := s.offeredType(typeName)
		return nil, terr
	case err != nil:
		return nil, err
	}
	_ = ctx
	return c, nil
}

// TestUnsaved tests a config before it is saved.
func (s *Service) TestUnsaved(ctx context.Context, typeName string, cfg map[string]any) (connectors.Result, error) {
	if _, err := s.offeredType(typeName); err != nil {
		return connectors.Result{}, err
	}
	c, err := s.connector(ctx, s.env, typeName, cfg)
	if err != nil {
		return connectors.Result{}, err
	}
	return c.Test(ctx), nil
}

// Test tests a saved connection and records the result.
func (s *Service) Test(ctx context.Context, p auth.Principal, id int64) (connectors.Result, time.Time, error) {
	conn, err := s.Get(ctx, p, id)
	if err != nil {
		return connectors.Result{}, time.Time{}, err
	}
	c, err := s.connector(ctx, s.envFor(conn), conn.Type, conn.Config)
	if err != nil {
		return connectors.Result{}, time.Time{}, err
	}
	res := c.Test(ctx)
	at := time.Now()
	err = database.InOrg(context.WithoutCancel(ctx), s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		return q.RecordConnectionTest(ctx, dbgen.RecordConnectionTestParams{
			OrgID: p.OrgID, ID: id, LastTestOk: &res.OK, LastTestMessage: &res.Message, LastTestLatencyMs: &res.LatencyMS,
		})
	})
	return res, at, err
}

// Query runs one read-only statement on a saved SQL connection.
func (s *Service) Query(ctx context.Context, p auth.Principal, id int64, sql string, limit int) (connectors.QueryResult, error) {
	if strings.TrimSpace(sql) == "" {
		return connectors.QueryResult{}, apperr.Invalidf([]apperr.FieldError{{Field: "sql", Message: "is required"}}, "Write a statement to run.")
	}
	conn, err := s.Get(ctx, p, id)
	if err != nil {
		return connectors.QueryResult{}, err
	}
	c, err := s.connector(ctx, s.envFor(conn), conn.Type, conn.Config)
	if err != nil {
		return connectors.QueryResult{}, err
	}
	q, ok := c.(connectors.Querier)
	if !ok {
		return connectors.QueryResult{}, apperr.Newf(apperr.Conflict, "A %s connection does not run SQL.", conn.Type)
	}
	res, err := q.Query(ctx, sql, min(connectors.RowLimit(limit), 1000))
	if err != nil {
		// The database's own answer (syntax error, read-only violation…), secrets scrubbed.
		return connectors.QueryResult{}, apperr.Invalidf([]apperr.FieldError{{Field: "sql", Message: err.Error()}}, "The statement failed: %s", err.Error())
	}
	return res, nil
}

// CatalogEntry is one cached table of a catalog.
type CatalogEntry = dbgen.CatalogEntry

// Catalog returns the cached catalog, discovering it first when asked to or when none is cached.
func (s *Service) Catalog(ctx context.Context, p auth.Principal, id int64, refresh bool) ([]CatalogEntry, error) {
	conn, err := s.Get(ctx, p, id)
	if err != nil {
		return nil, err
	}
	var cached []CatalogEntry
	if err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		cached, err = q.ListCatalogEntries(ctx, dbgen.ListCatalogEntriesParams{OrgID: p.OrgID, ConnectionID: id})
		return err
	}); err != nil {
		return nil, err
	}
	if len(cached) > 0 && !refresh {
		return cached, nil
	}
	c, err := s.connector(ctx, s.envFor(conn), conn.Type, conn.Config)
	if err != nil {
		return nil, err
	}
	cat, ok := c.(connectors.Cataloger)
	if !ok {
		return nil, apperr.Newf(apperr.Conflict, "A %s connection has no catalog yet.", conn.Type)
	}
	schemas, err := cat.Catalog(ctx)
	if err != nil {
		return nil, apperr.New(apperr.Conflict, "The catalog could not be read: "+err.Error()).WithCause(err)
	}
	err = database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		for _, sc := range schemas {
			for _, t := range sc.Tables {
				cols, _ := json.Marshal(t.Columns)
				if err := q.InsertCatalogEntry(ctx, dbgen.InsertCatalogEntryParams{
					OrgID: p.OrgID, ConnectionID: id, SchemaName: sc.Name, TableName: t.Name, Kind: t.Kind, Columns: cols,
				}); err != nil {
					return err
				}
			}
		}
		if err := q.DeleteStaleCatalogEntries(ctx, dbgen.DeleteStaleCatalogEntriesParams{OrgID: p.OrgID, ConnectionID: id}); err != nil {
			return err
		}
		cached, err = q.ListCatalogEntries(ctx, dbgen.ListCatalogEntriesParams{OrgID: p.OrgID, ConnectionID: id})
		return err
	})
	return cached, err
}

// RotateKeys re-wraps every connection's sealed config under the active key. It runs as the
// database owner (outside any tenant scope) and reports how many records changed.
func RotateKeys(ctx context.Context, owner *pgxpool.Pool, keyring *secrets.Keyring) (changed, total int, err error) {
	err = pgx.BeginFunc(ctx, owner, func(tx pgx.Tx) error {
		q := dbgen.New(tx)
		rows, err := q.ListAllSealedConnections(ctx)
		if err != nil {
			return err
		}
		total = len(rows)
		for _, r := range rows {
			rewrapped, did, err := keyring.Rewrap(r.ConfigSealed)
			if err != nil {
				return fmt.Errorf("connection %d: %w", r.ID, err)
			}
			if !did {
				continue
			}
			if err := q.SetConnectionSealed(ctx, dbgen.SetConnectionSealedParams{ID: r.ID, ConfigSealed: rewrapped}); err != nil {
				return err
			}
			changed++
		}
		return nil
	})
	return changed, total, err
}

// ManagedName is the name of the connection to an org's managed warehouse.
const ManagedName = "Warehouse"

// UpsertManaged creates or updates the org's managed-warehouse connection (a PostgreSQL
// connection with the credentials the warehouse provisioner made), as the system.
func (s *Service) UpsertManaged(ctx context.Context, orgID int64, cfg map[string]any) error {
	if err := s.validate("postgres", cfg); err != nil {
		return err
	}
	sealed, err := s.seal(orgID, cfg)
	if err != nil {
		return err
	}
	t, _ := s.registry.Lookup("postgres")
	return database.InTx(ctx, s.db, database.Scope{OrgID: orgID}, func(tx pgx.Tx) error {
		q := dbgen.New(tx)
		existing, err := q.GetManagedConnection(ctx, orgID)
		action := "connection.update"
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			// A tenant's own connection may already be called "Warehouse": the managed one
			// then takes another name rather than the tenant's connection being taken over.
			action = "connection.create"
			name := ManagedName
			if _, taken := q.GetConnectionByName(ctx, dbgen.GetConnectionByNameParams{OrgID: orgID, Name: name}); taken == nil {
				name = ManagedName + " (managed)"
			}
			existing, err = q.CreateManagedConnection(ctx, dbgen.CreateManagedConnectionParams{
				OrgID: orgID, Name: name, Type: "postgres", Direction: direction(t.Capabilities), ConfigSealed: sealed,
			})
		case err == nil:
			existing, err = q.UpdateConnection(ctx, dbgen.UpdateConnectionParams{OrgID: orgID, ID: existing.ID, Name: existing.Name, ConfigSealed: sealed})
		}
		if err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: orgID, Action: action, ResourceType: "connection", ResourceID: strconv.FormatInt(existing.ID, 10),
			New: map[string]any{"name": existing.Name, "type": "postgres", "managed": true, "config": s.registry.Mask("postgres", cfg)}})
	})
}
