package sqlgen

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/datanika/datanika/internal/connectors"
	chconn "github.com/datanika/datanika/internal/connectors/clickhouse"
	msconn "github.com/datanika/datanika/internal/connectors/mssql"
	rsconn "github.com/datanika/datanika/internal/connectors/redshift"
	"github.com/datanika/datanika/internal/connectors/s3"
	sfconn "github.com/datanika/datanika/internal/connectors/snowflake"
	"github.com/datanika/datanika/internal/load"
)

// Register makes load.OpenDestination open this package's destinations: mssql, clickhouse,
// snowflake and redshift, each connected with its connector's own config code (dialing
// through the Env's Dialer). BigQuery's driver is package bqload (its SDK is too heavy for
// this package). The program calls it (package builtin); it may be called more than once.
func Register() {
	load.RegisterDestination("mssql", openMSSQL)
	load.RegisterDestination("clickhouse", openClickHouse)
	load.RegisterDestination("snowflake", openSnowflake)
	load.RegisterDestination("redshift", openRedshift)
}

// ready sets up the session on the destination's connection, closing everything on failure;
// the error names the destination and carries none of the config's secrets.
func ready(ctx context.Context, d *Destination, secrets []string) (load.Destination, error) {
	if _, err := d.connection(ctx); err != nil {
		_ = d.Close()
		return nil, connectors.ScrubError(err, secrets)
	}
	return d, nil
}

func connectErr(typ string, err error) error {
	return fmt.Errorf("connect to the %s destination: %w", typ, err)
}

func openMSSQL(ctx context.Context, e load.Endpoint, schema string) (load.Destination, error) {
	c, err := msconn.New(e.Config, e.Env)
	if err != nil {
		return nil, err
	}
	db, conn, err := c.Open(ctx)
	if err != nil {
		return nil, connectErr("mssql", err)
	}
	return ready(ctx, &Destination{DB: db, conn: conn, Dialect: MSSQL, Schema: schema},
		connectors.SecretValues(msconn.Type().ConfigSchema, e.Config))
}

func openClickHouse(ctx context.Context, e load.Endpoint, schema string) (load.Destination, error) {
	c, err := chconn.New(e.Config, e.Env)
	if err != nil {
		return nil, err
	}
	return ready(ctx, &Destination{DB: c.OpenDB(ctx), Dialect: ClickHouse, Schema: schema},
		connectors.SecretValues(chconn.Type().ConfigSchema, e.Config))
}

func openSnowflake(ctx context.Context, e load.Endpoint, schema string) (load.Destination, error) {
	c, err := sfconn.New(e.Config, e.Env)
	if err != nil {
		return nil, err
	}
	db, conn, err := c.OpenLoad(ctx)
	if err != nil {
		return nil, connectErr("snowflake", err)
	}
	return ready(ctx, &Destination{DB: db, conn: conn, Dialect: Snowflake, Schema: schema},
		connectors.SecretValues(sfconn.Type().ConfigSchema, e.Config))
}

// openRedshift connects with the redshift connector's config (pgx through database/sql) and
// stages the rows through the connection's s3_staging bucket, uploaded with the s3
// connector.
func openRedshift(ctx context.Context, e load.Endpoint, schema string) (load.Destination, error) {
	c, err := rsconn.New(e.Config, e.Env)
	if err != nil {
		return nil, err
	}
	st, err := c.Staging()
	if err != nil {
		return nil, err
	}
	store, err := s3.New(stagingConfig(st), e.Env)
	if err != nil {
		return nil, fmt.Errorf("redshift s3_staging: %w", err)
	}
	cc, err := c.LoadConnConfig()
	if err != nil {
		return nil, err
	}
	db := stdlib.OpenDB(*cc)
	db.SetMaxOpenConns(1)
	d := &Destination{DB: db, Dialect: Redshift, Schema: schema, Staging: &S3Staging{Store: store, IAMRole: st.IAMRole,
		AccessKeyID: st.AccessKeyID, SecretAccessKey: st.SecretAccessKey, SessionToken: st.SessionToken, Region: st.Region}}
	return ready(ctx, d, connectors.SecretValues(rsconn.Type().ConfigSchema, e.Config))
}

// stagingConfig is the s3 connector's config of the staging bucket: gzip CSV files.
func stagingConfig(st rsconn.S3Staging) map[string]any {
	cfg := map[string]any{"bucket": st.Bucket, "format": "csv", "compression": "gzip",
		"access_key_id": st.AccessKeyID, "secret_access_key": st.SecretAccessKey, "force_path_style": st.ForcePathStyle}
	for k, v := range map[string]string{"prefix": st.Prefix, "region": st.Region, "endpoint": st.Endpoint, "session_token": st.SessionToken} {
		if v != "" {
			cfg[k] = v
		}
	}
	return cfg
}
