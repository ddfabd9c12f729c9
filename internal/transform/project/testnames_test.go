package project

import (
	"os"
	"sort"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
)

// testNames are the names of a project's generic tests, sorted.
func testNames(p *Project) []string {
	var names []string
	for _, n := range p.Nodes {
		if n.ResourceType == Test && n.Test != nil {
			names = append(names, n.Name)
		}
	}
	sort.Strings(names)
	return names
}

// testNamed is the one generic test of a project with that name.
func testNamed(t *testing.T, p *Project, name string) *Node {
	t.Helper()
	var found *Node
	for _, n := range p.Nodes {
		if n.ResourceType == Test && n.Name == name {
			require.Nil(t, found, "two tests named %s", name)
			found = n
		}
	}
	require.NotNil(t, found, "no test named %s among %v", name, testIDs(p))
	return found
}

// The unique ids dbt gives the generic tests of the jaffle_shop project (as its manifest.json
// lists them): test.<project>.<name>.<last 10 hex of md5(name + repr(test metadata))>. Our
// copy of its models/schema.yml declares the same tests on customers and orders.
func TestLoad_TestIDsAreDbtsOnJaffleShop(t *testing.T) {
	t.Parallel()
	p, err := Load(os.DirFS("../testdata/jaffle_shop"))
	require.NoError(t, err)
	ids := testIDs(p)
	for _, want := range []string{
		"test.jaffle_shop.unique_customers_customer_id.c5af1ff4b1",
		"test.jaffle_shop.not_null_customers_customer_id.5c9bf9911d",
		"test.jaffle_shop.unique_orders_order_id.fed79b3a6e",
		"test.jaffle_shop.not_null_orders_order_id.cf6c17daed",
		"test.jaffle_shop.not_null_orders_customer_id.c5f02694af",
		"test.jaffle_shop.not_null_orders_amount.106140f9fd",
		// relationships: column_name, field, to, in sorted order; ref('customers') cleaned.
		"test.jaffle_shop.relationships_orders_customer_id__customer_id__ref_customers_.c6ec7f58f2",
		// accepted_values: the column, then the list's values, each joined with "__".
		"test.jaffle_shop.accepted_values_orders_status__placed__shipped__completed__return_pending__returned.be6b5b5ec3",
		// models/staging/schema.yml
		"test.jaffle_shop.unique_stg_customers_customer_id.c7614daada",
		"test.jaffle_shop.not_null_stg_customers_customer_id.e2cfb1f9aa",
		"test.jaffle_shop.unique_stg_orders_order_id.e3b841c71a",
		"test.jaffle_shop.not_null_stg_orders_order_id.81cfe2fe64",
		"test.jaffle_shop.accepted_values_stg_orders_status__placed__shipped__completed__return_pending__returned.080fb20aad",
		"test.jaffle_shop.unique_stg_payments_payment_id.3744510712",
		"test.jaffle_shop.not_null_stg_payments_payment_id.c19cc50075",
		"test.jaffle_shop.accepted_values_stg_payments_payment_method__credit_card__coupon__bank_transfer__gift_card.3c3820f278",
	} {
		require.Contains(t, ids, want)
	}
	n := p.Nodes["test.jaffle_shop.unique_customers_customer_id.c5af1ff4b1"]
	require.Equal(t, "unique_customers_customer_id", n.Name)
	require.Equal(t, []string{"jaffle_shop", "unique_customers_customer_id"}, n.FQN, "fqn: package, the yml's folders below models/, name")
	require.Equal(t, "unique_customers_customer_id", n.Alias())
	require.Equal(t, "unique_customers_customer_id", n.Test.CompiledName)
	// dbt_utils.accepted_range: namespace first, its argument after the column.
	testNamed(t, p, "dbt_utils_accepted_range_customers_customer_lifetime_value__0")
	// A staging test: its fqn has the yml's folder.
	for _, n := range p.Nodes {
		if n.ResourceType == Test && n.Path == "models/staging/schema.yml" {
			require.Equal(t, []string{"jaffle_shop", "staging", n.Name}, n.FQN)
		}
	}
}

// Names and ids of the cases the brief lists, each checked against dbt's rules (dbt-core's
// generic_test_builders.synthesize_generic_test_names and schema_generic_tests'
// create_test_node); the expected hashes come from the same rules run under Python itself
// (its str(), repr() and md5), so the repr we write in Go is checked against the real one.
func TestLoad_TestNamesAsDbt(t *testing.T) {
	t.Parallel()
	const schema = `version: 2
sources:
  - name: raw
    tables:
      - name: orders
        columns:
          - name: id
            data_tests: [unique]
models:
  - name: orders
    data_tests:
      - dbt_utils.expression_is_true:
          expression: "amount > 0"
      - dbt_utils.expression_is_true:
          arguments:
            expression: "amount = credit_card_amount + coupon_amount + bank_transfer_amount + gift_card_amount"
      - row_check
      - combo:
          by: {z: "it's", a: [1, x]}
          opt: null
          severity: warn
          config: {where: "1 = 1"}
      - combo:
          name: my_combo
          by: {z: 1}
    columns:
      - name: x
        data_tests:
          - dbt_utils.not_null_proportion:
              at_least: 0.95
      - name: status
        data_tests:
          - accepted_values:
              values: [a, b]
              quote: false
      - name: "n"
        data_tests:
          - accepted_values:
              values: [1, 2.0, 1.0e+20, 0.00001]
  - name: a_model_with_quite_a_long_name
    columns:
      - name: status_col
        data_tests:
          - accepted_values: {values: [xyzw]}
          - accepted_values: {values: [xyzwv]}
`
	p, err := Load(fstest.MapFS{
		"dbt_project.yml":                           {Data: []byte("name: shop\n")},
		"models/orders.sql":                         {Data: []byte("select 1")},
		"models/a_model_with_quite_a_long_name.sql": {Data: []byte("select 1")},
		"models/marts/schema.yml":                   {Data: []byte(schema)},
	})
	require.NoError(t, err)
	for _, c := range []struct{ rule, id, alias string }{
		// A namespaced test keeps its namespace; without a column its arguments follow the
		// target after one "_".
		{"namespace, no column", "test.shop.dbt_utils_expression_is_true_orders_amount_0.5789afd631", ""},
		// 64 characters or more: the full name stays the node's (and its id's), the alias is
		// the first 30 characters of type_target, "_" and the md5 of the full name.
		{"long name", "test.shop.dbt_utils_expression_is_true_orders_amount_credit_card_amount_coupon_amount_bank_transfer_amount_gift_card_amount.8784e4d04e",
			"dbt_utils_expression_is_true_o_3440a4c953e866bb2753dc8b2178010b"},
		// A source's test: "source_" before the test, the target <source>_<table>.
		{"source", "test.shop.source_unique_raw_orders_id.56401af608", ""},
		// column_name sorts among the arguments: at_least comes before it.
		{"column_name sorted", "test.shop.dbt_utils_not_null_proportion_orders_0_95__x.b6930104df", ""},
		// str(False) is "False"; quote sorts before values.
		{"python str of a bool", "test.shop.accepted_values_orders_status__False__a__b.99a3abb16d", ""},
		// str() of numbers: 2.0 stays 2.0, 1e20 is 1e+20, 0.00001 is 1e-05.
		{"python str of floats", "test.shop.accepted_values_orders_n__1__2_0__1e_20__1e_05.c7a432e0bd", ""},
		// No argument at all: the name ends with the "_" before the (empty) arguments.
		{"no arguments", "test.shop.row_check_orders_.06a6bb9cf6", ""},
		// A map's values in the order written; None for null; configs are not arguments.
		{"map argument", "test.shop.combo_orders_it_s___1_x___None.0919723218", ""},
		// 63 characters: kept; 64: hashed.
		{"63 characters", "test.shop.accepted_values_a_model_with_quite_a_long_name_status_col__xyzw.47eae0a185", ""},
		{"64 characters", "test.shop.accepted_values_a_model_with_quite_a_long_name_status_col__xyzwv.5c95064751",
			"accepted_values_a_model_with_q_3bf496cedcff1655f7f44d246087c343"},
	} {
		n := p.Nodes[c.id]
		require.NotNil(t, n, "%s: no %s among %v", c.rule, c.id, testIDs(p))
		alias := c.alias
		if alias == "" {
			alias = n.Name
		}
		require.Equal(t, alias, n.Alias(), c.rule)
		require.Equal(t, alias, n.Test.CompiledName, c.rule)
		require.Equal(t, []string{"shop", "marts", n.Name}, n.FQN, c.rule)
	}
	combo := testNamed(t, p, "combo_orders_it_s___1_x___None")
	require.Equal(t, "warn", combo.Config.String("severity"))
	require.Equal(t, "1 = 1", combo.Config.String("where"))
	require.NotContains(t, combo.Test.Kwargs, "severity")
	// name: is the test's name, as written; its id still has the hash.
	custom := testNamed(t, p, "my_combo")
	require.Equal(t, "test.shop.my_combo.d7640e8672", custom.UniqueID)
	require.Equal(t, "my_combo", custom.Alias())
	require.NotContains(t, custom.Test.Kwargs, "name")
}

// A version's tests: the target is <model>_v<version>, and the model argument dbt hashes is
// ref('<model>', version='<v>').
func TestLoad_VersionTestIDsAsDbt(t *testing.T) {
	t.Parallel()
	p, err := Load(fstest.MapFS{
		"dbt_project.yml":    {Data: []byte("name: shop\n")},
		"models/dim_v1.sql":  {Data: []byte("select 1")},
		"models/dim_v2.sql":  {Data: []byte("select 1")},
		"models/schema.yml":  {Data: []byte("version: 2\nmodels:\n  - name: dim\n    columns:\n      - name: id\n        data_tests: [unique]\n    versions:\n      - v: 1\n      - v: 2\n")},
		"macros/nothing.sql": {Data: []byte("")},
	})
	require.NoError(t, err)
	require.Contains(t, testIDs(p), "test.shop.unique_dim_v2_id.fb0fd31dac")
}

func TestPyFloat(t *testing.T) {
	t.Parallel()
	for f, want := range map[float64]string{
		0: "0.0", 1: "1.0", -2.5: "-2.5", 0.1: "0.1", 0.95: "0.95", 1e16: "1e+16", 1e15: "1000000000000000.0",
		1e-4: "0.0001", 1e-5: "1e-05", 123456.789: "123456.789", 1.5e-7: "1.5e-07", -1e20: "-1e+20",
	} {
		require.Equal(t, want, pyFloat(f), "%v", f)
	}
}

func TestPyQuote(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]string{
		"a":         `'a'`,
		"it's":      `"it's"`,
		`say "hi"`:  `'say "hi"'`,
		`it's "x"`:  `'it\'s "x"'`,
		"a\\b\nc\t": `'a\\b\nc\t'`,
		"é\x01":     `'é\x01'`,
	} {
		require.Equal(t, want, pyQuote(s), "%q", s)
	}
}
