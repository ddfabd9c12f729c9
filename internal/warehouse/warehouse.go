// Package warehouse provisions the managed warehouse (SPEC §2): on the PostgreSQL server of
// WAREHOUSE_ADMIN_URL, each org gets its own database and login role, both named
// dnk_<installation id>_<org id> (so several installations can share one server), with CONNECT
// revoked from PUBLIC so no other org's role, and no tenant role at all on the metadata database,
// can connect.
package warehouse

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// Credentials are what a connection to an org's warehouse needs.
type Credentials struct {
	Host     string
	Port     uint16
	Database string
	User     string
	Password string
}

// Provisioner creates and drops org warehouses on one server.
type Provisioner struct {
	adminURL       string
	installationID string
}

var installationIDPattern = regexp.MustCompile(`^[a-z0-9]{8}$`)

// New returns a provisioner for the server of adminURL (a role with CREATEDB and CREATEROLE).
func New(adminURL, installationID string) (*Provisioner, error) {
	if _, err := pgx.ParseConfig(adminURL); err != nil {
		return nil, fmt.Errorf("invalid warehouse admin URL: %w", err)
	}
	if !installationIDPattern.MatchString(installationID) {
		return nil, fmt.Errorf("invalid installation id %q", installationID)
	}
	return &Provisioner{adminURL: adminURL, installationID: installationID}, nil
}

// Name is the database and role name of an org's warehouse.
func (p *Provisioner) Name(orgID int64) string {
	return "dnk_" + p.installationID + "_" + strconv.FormatInt(orgID, 10)
}

func (p *Provisioner) connect(ctx context.Context) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(p.adminURL)
	if err != nil {
		return nil, err
	}
	cfg.ConnectTimeout = 10 * time.Second
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to the warehouse server: %w", err)
	}
	return conn, nil
}

func newPassword() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	// base64url: letters, digits, '-' and '_' only, so it is safe inside a SQL string literal.
	return base64.RawURLEncoding.EncodeToString(b)
}

// Ensure creates the org's database and role when missing, and (re)sets the role's password,
// which it returns: the caller stores it sealed. It is safe to call again.
func (p *Provisioner) Ensure(ctx context.Context, orgID int64) (Credentials, error) {
	conn, err := p.connect(ctx)
	if err != nil {
		return Credentials{}, err
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()

	name := p.Name(orgID)
	ident := pgx.Identifier{name}.Sanitize()
	password := newPassword()

	var roleExists, dbExists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1), EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).
		Scan(&roleExists, &dbExists); err != nil {
		return Credentials{}, fmt.Errorf("look up warehouse %s: %w", name, err)
	}
	// Role options: a plain login, no privileges beyond its own database. Neither CREATE ROLE
	// nor ALTER ROLE takes parameters, hence the literal (see newPassword).
	// Only a superuser may name SUPERUSER or REPLICATION in ALTER ROLE, even to say NO; a role a
	// non-superuser admin made cannot have them.
	var super bool
	if err := conn.QueryRow(ctx, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user").Scan(&super); err != nil {
		return Credentials{}, fmt.Errorf("look up the warehouse admin: %w", err)
	}
	options := " LOGIN NOCREATEDB NOCREATEROLE CONNECTION LIMIT 50 PASSWORD '" + password + "'"
	if roleExists {
		if super {
			options = " NOSUPERUSER NOREPLICATION" + options
		}
		_, err = conn.Exec(ctx, "ALTER ROLE "+ident+options)
	} else {
		_, err = conn.Exec(ctx, "CREATE ROLE "+ident+" NOSUPERUSER NOREPLICATION"+options)
	}
	if err != nil {
		return Credentials{}, fmt.Errorf("create warehouse role %s: %w", name, err)
	}
	// An admin that is not a superuser (a role of its own with CREATEDB and CREATEROLE, as it
	// should be) must be a member of the role to make it a database's owner and to drop that
	// database later. PostgreSQL 16 gives the creator of a role only ADMIN OPTION on it, which
	// lets it grant that membership to itself; 15 lets any CREATEROLE role grant it.
	if !super {
		var member bool
		if err := conn.QueryRow(ctx, "SELECT pg_has_role(current_user, $1, 'MEMBER')", name).Scan(&member); err != nil {
			return Credentials{}, fmt.Errorf("look up warehouse role %s: %w", name, err)
		}
		if !member {
			if _, err := conn.Exec(ctx, "GRANT "+ident+" TO CURRENT_USER"); err != nil {
				return Credentials{}, fmt.Errorf("take warehouse role %s: %w", name, err)
			}
		}
	}
	if !dbExists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident+" OWNER "+ident); err != nil {
			return Credentials{}, fmt.Errorf("create warehouse database %s: %w", name, err)
		}
	}
	if _, err := conn.Exec(ctx, "REVOKE CONNECT, TEMPORARY ON DATABASE "+ident+" FROM PUBLIC"); err != nil {
		return Credentials{}, fmt.Errorf("close warehouse database %s: %w", name, err)
	}
	if _, err := conn.Exec(ctx, "GRANT CONNECT, TEMPORARY ON DATABASE "+ident+" TO "+ident); err != nil {
		return Credentials{}, fmt.Errorf("open warehouse database %s to its role: %w", name, err)
	}
	cfg := conn.Config()
	return Credentials{Host: cfg.Host, Port: cfg.Port, Database: name, User: name, Password: password}, nil
}

// Drop removes the org's database and role (deleting an org).
func (p *Provisioner) Drop(ctx context.Context, orgID int64) error {
	conn, err := p.connect(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	ident := pgx.Identifier{p.Name(orgID)}.Sanitize()
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop warehouse database: %w", err)
	}
	if _, err := conn.Exec(ctx, "DROP ROLE IF EXISTS "+ident); err != nil {
		return fmt.Errorf("drop warehouse role: %w", err)
	}
	return nil
}

// ErrNotConfigured is returned where a managed warehouse is needed but WAREHOUSE_ADMIN_URL is unset.
var ErrNotConfigured = errors.New("no managed warehouse: WAREHOUSE_ADMIN_URL is not set")
