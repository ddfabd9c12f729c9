package redshift

import (
	"errors"

	"github.com/jackc/pgx/v5"
)

// S3Staging is the config's s3_staging: the bucket where the load engine writes the gzip CSV
// files and the manifest that Redshift's COPY reads (Redshift has no COPY FROM STDIN).
// Datanika uploads with the access keys; Redshift reads with the IAM role when there is one,
// otherwise with the same keys.
type S3Staging struct {
	Bucket          string `json:"bucket"`
	Prefix          string `json:"prefix"`
	Region          string `json:"region"`
	Endpoint        string `json:"endpoint"`
	ForcePathStyle  bool   `json:"force_path_style"`
	IAMRole         string `json:"iam_role"`
	AccessKeyID     string `json:"access_key_id"`
	SecretAccessKey string `json:"secret_access_key"`
	SessionToken    string `json:"session_token"`
}

// Staging returns the S3 staging settings a load needs, or an error naming the first one
// missing. Queries and transformations do not need them.
func (c *Connector) Staging() (S3Staging, error) {
	s := c.cfg.S3Staging
	switch {
	case s == nil:
		return S3Staging{}, errors.New("loading into Redshift needs the connection's s3_staging settings (bucket, access keys, iam_role): COPY reads the rows from S3")
	case s.Bucket == "":
		return S3Staging{}, errors.New("loading into Redshift needs s3_staging.bucket")
	case s.AccessKeyID == "" || s.SecretAccessKey == "":
		return S3Staging{}, errors.New("loading into Redshift needs s3_staging.access_key_id and s3_staging.secret_access_key to upload the staged files")
	}
	return *s, nil
}

// LoadConnConfig is the connection config of the load engine: the same hardened config as
// the connector's own calls, without the statement timeout and the read-only transaction,
// which are the console's (a load runs DDL and long COPYs).
func (c *Connector) LoadConnConfig() (*pgx.ConnConfig, error) {
	return c.connConfig()
}
