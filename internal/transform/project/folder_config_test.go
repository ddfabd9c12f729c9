package project

import (
	"testing"

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
