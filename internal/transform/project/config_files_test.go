package project

import (
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
)

func TestFolderConfig_ResourceTypeLevelAppliesToEveryNode(t *testing.T) {
	t.Parallel()
	tree := map[string]any{
		"+quote_columns": false,
		"+materialized":  "table",
		"shop": map[string]any{
			"staging": map[string]any{"+materialized": "view"},
		},
	}
	staging := folderConfig(tree, []string{"shop", "staging", "stg_orders"})
	require.Equal(t, "view", staging.Materialized(), "a deeper level overrides")
	require.False(t, staging.Bool("quote_columns", true))
	mart := folderConfig(tree, []string{"shop", "marts", "orders"})
	require.Equal(t, "table", mart.Materialized())
	other := folderConfig(tree, []string{"other_package", "x"})
	require.False(t, other.Bool("quote_columns", true), "every package's nodes too")
}

func TestReadDependencies_EnvVarInPackagesYml(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{"packages.yml": {Data: []byte("packages:\n" +
		"  - git: \"https://{{ env_var('DBT_ENV_SECRET_GIT_CREDENTIAL') }}@git.example.com/acme/pkg.git\"\n" +
		"    revision: \"{{ env_var('PKG_REV', 'v1') }}\"\n")}}
	// Loading a project reads no environment: the variable renders as nothing, the default as itself.
	deps, _, err := ReadDependencies(fsys)
	require.NoError(t, err)
	require.Equal(t, "https://@git.example.com/acme/pkg.git", deps[0].Git)
	require.Equal(t, "v1", deps[0].Revision)

	deps, _, err = ReadDependenciesEnv(fsys, func(name string) (string, bool) {
		return map[string]string{"DBT_ENV_SECRET_GIT_CREDENTIAL": "ci:tok3n"}[name], name == "DBT_ENV_SECRET_GIT_CREDENTIAL"
	})
	require.NoError(t, err)
	require.Equal(t, "https://ci:tok3n@git.example.com/acme/pkg.git", deps[0].Git)
	require.NotContains(t, deps[0].String(), "tok3n", "a dependency prints without its credentials")

	bad := fstest.MapFS{"packages.yml": {Data: []byte("packages:\n  - package: \"{{ var('x') }}\"\n    version: 1.0.0\n")}}
	_, _, err = ReadDependencies(bad)
	require.ErrorContains(t, err, "only env_var('NAME') can be used")
}
