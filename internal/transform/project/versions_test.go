package project

import (
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
)

const versionedSchema = `version: 2
models:
  - name: dim
    description: the model
    config: {tags: [base], materialized: table}
    latest_version: 2
    data_tests:
      - row_check: {min: 1}
    columns:
      - name: id
        description: the key
        data_tests: [unique, not_null]
      - name: label
        data_tests: [not_null]
      - name: country
        data_tests: [not_null]
    versions:
      - v: 1
        description: the first
        config: {materialized: view}
        columns:
          - include: all
            exclude: [country]
      - v: 2
        config: {materialized: incremental}
        data_tests: []
        columns:
          - include: [id]
          - name: label
            description: the version's own
            data_tests: [accepted_values: {values: [a, b]}]
      - v: 3
`

func testIDs(p *Project) []string {
	var out []string
	for id := range p.Nodes {
		if strings.HasPrefix(id, "test.") {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

func TestLoad_VersionsGetTheirColumnsAndTestsNamedByVersion(t *testing.T) {
	t.Parallel()
	p := load(t, map[string]string{
		"dbt_project.yml":    "name: shop\n",
		"models/dim_v1.sql":  "select 1",
		"models/dim_v2.sql":  "select 2",
		"models/dim_v3.sql":  "select 3",
		"models/schema.yml":  versionedSchema,
		"models/other.sql":   "select 1",
		"models/other.yml":   "version: 2\nmodels:\n  - name: other\n    columns:\n      - name: id\n        data_tests: [unique]\n",
		"macros/nothing.sql": "",
	})
	require.Equal(t, []string{
		"accepted_values_dim_v2_label__a__b",
		"not_null_dim_v1_id",
		"not_null_dim_v1_label",
		"not_null_dim_v2_id",
		"not_null_dim_v3_country",
		"not_null_dim_v3_id",
		"not_null_dim_v3_label",
		"row_check_dim_v1_1",
		"row_check_dim_v3_1",
		"unique_dim_v1_id",
		"unique_dim_v2_id",
		"unique_dim_v3_id",
		"unique_other_id",
	}, testNames(p), "every version gets the entry's columns it includes and the model tests, unless it has its own; an unversioned model's tests keep their names")

	u1 := testNamed(t, p, "unique_dim_v1_id").Test
	require.Equal(t, "ref('dim', version='1')", u1.Attached)
	require.Equal(t, "model.shop.dim.v1", u1.AttachedID)
	require.Equal(t, "model.shop.dim.v2", testNamed(t, p, "accepted_values_dim_v2_label__a__b").Test.AttachedID)
	r3 := testNamed(t, p, "row_check_dim_v3_1").Test
	require.Equal(t, "model.shop.dim.v3", r3.AttachedID)
	require.Equal(t, "ref('dim', version='3')", r3.Attached)
	require.Empty(t, r3.Column)
	require.Equal(t, "ref('other')", testNamed(t, p, "unique_other_id").Test.Attached)

	v1, v2, v3 := p.Nodes["model.shop.dim.v1"], p.Nodes["model.shop.dim.v2"], p.Nodes["model.shop.dim.v3"]
	require.Equal(t, []Column{{Name: "id", Description: "the key"}, {Name: "label"}}, v1.Columns)
	require.Equal(t, []Column{{Name: "id", Description: "the key"}, {Name: "label", Description: "the version's own"}}, v2.Columns)
	require.Equal(t, []Column{{Name: "id", Description: "the key"}, {Name: "label"}, {Name: "country"}}, v3.Columns)
	require.Equal(t, "the first", v1.Description, "a version's description is its own")
	require.Equal(t, "the model", v2.Description, "else the entry's")
	require.Equal(t, "view", v1.Config.Materialized(), "a version's config wins over the entry's")
	require.Equal(t, "incremental", v2.Config.Materialized(), "the latest version's too")
	require.Equal(t, "table", v3.Config.Materialized())
	require.Equal(t, v2, p.ByName("dim"), "the bare name is the latest version")
	require.NotContains(t, p.Nodes, "model.shop.dim", "no node under the bare name")
	require.Equal(t, []string{"base"}, testNamed(t, p, "unique_dim_v1_id").Config.Strings("tags"), "a test inherits its version's tags")
}

func TestLoad_VersionsInAPackageRefThePackage(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"dbt_project.yml":                         {Data: []byte("name: root\n")},
		"dbt_packages/pkg/dbt_project.yml":        {Data: []byte("name: pkg\n")},
		"dbt_packages/pkg/models/m_v1.sql":        {Data: []byte("select 1")},
		"dbt_packages/pkg/models/m_v2.sql":        {Data: []byte("select 2")},
		"dbt_packages/pkg/models/schema.yml":      {Data: []byte("version: 2\nmodels:\n  - name: m\n    columns:\n      - name: id\n        data_tests: [unique]\n    versions:\n      - v: 1\n      - v: 2\n")},
		"dbt_packages/pkg/macros/placeholder.sql": {Data: []byte("")},
	}
	p, err := Load(fsys)
	require.NoError(t, err)
	require.Equal(t, "ref('pkg', 'm', version='1')", testNamed(t, p, "unique_m_v1_id").Test.Attached)
	require.Equal(t, "ref('pkg', 'm', version='2')", testNamed(t, p, "unique_m_v2_id").Test.Attached)
}

func TestLoad_VersionColumnsIncludeExcludeErrors(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct{ columns, want string }{
		"two include elements":         {"[{include: all}, {include: [id]}]", "at most one include/exclude"},
		"exclude with an include list": {"[{include: [id], exclude: [id]}]", "exclude only with include: all"},
		"include is not all":           {"[{include: some}]", "include: must be all, * or a list"},
		"a column without a name":      {"[{description: x}]", "needs a name"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(fstest.MapFS{
				"dbt_project.yml":   {Data: []byte("name: p\n")},
				"models/m_v1.sql":   {Data: []byte("select 1")},
				"models/schema.yml": {Data: []byte("version: 2\nmodels:\n  - name: m\n    columns: [{name: id}]\n    versions:\n      - v: 1\n        columns: " + tc.columns + "\n")},
			})
			require.ErrorContains(t, err, tc.want)
		})
	}
}
