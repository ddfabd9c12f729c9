// Package driverenv switches off what the Snowflake driver does on its own when it is loaded.
// At package initialisation the driver starts writing an embedded native library to a
// temporary directory and loading it (telemetry, "minicore") unless SF_DISABLE_MINICORE is
// true. Setting that in the snowflake connector's own init would be too late: a package is
// initialised after the packages it imports. This package imports nothing but os, and Go
// initialises packages in import-path order among those whose imports are ready (the Go
// specification, "Package initialization"), so "github.com/datanika/…/driverenv" runs before
// "github.com/snowflakedb/gosnowflake". Builds through make also use -tags minicore_disabled,
// which leaves the library out altogether.
package driverenv

import "os"

// Variables holds the settings made here and their values; an operator's explicit value wins.
var Variables = map[string]string{
	// No native library written to disk and loaded into the process.
	"SF_DISABLE_MINICORE": "true",
	// No probes of the cloud metadata services of Datanika's own machine (AWS, Azure, GCP)
	// with HTTP clients outside the egress policy, made on the first connection.
	"SNOWFLAKE_DISABLE_PLATFORM_DETECTION": "true",
}

func init() {
	for k, v := range Variables {
		if _, set := os.LookupEnv(k); !set {
			_ = os.Setenv(k, v)
		}
	}
}
