package transform_test

import (
	"context"
	"fmt"
	"testing/fstest"

	"github.com/datanika/datanika/internal/transform"
	"github.com/datanika/datanika/internal/transform/dialect"
	"github.com/datanika/datanika/internal/transform/project"
)

// Compile a two-model project for PostgreSQL without a database: ref() becomes the quoted
// relation, the project's macro and the {% for %} loop are rendered.
func ExampleEngine_CompileNode() {
	p, err := project.Load(fstest.MapFS{
		"dbt_project.yml":     {Data: []byte("name: shop\nmodels:\n  shop:\n    marts:\n      +schema: marts\n")},
		"macros/cents.sql":    {Data: []byte("{% macro dollars(col) %}{{ col }} / 100.0{% endmacro %}")},
		"models/orders.sql":   {Data: []byte("select 1 as id, 250 as amount_cents, 'card' as method")},
		"models/marts/by.sql": {Data: []byte("select\n{%- for m in ['card', 'cash'] %}\n  sum(case when method = '{{ m }}' then {{ dollars('amount_cents') }} end) as {{ m }}{% if not loop.last %},{% endif %}\n{%- endfor %}\nfrom {{ ref('orders') }}")},
	})
	if err != nil {
		panic(err)
	}
	e, err := transform.New(context.Background(), p, transform.Options{Dialect: dialect.Postgres, TargetSchema: "analytics"})
	if err != nil {
		panic(err)
	}
	sql, err := e.CompileNode(context.Background(), "model.shop.by", nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(sql)
	// Output:
	// select
	//   sum(case when method = 'card' then amount_cents / 100.0 end) as card,
	//   sum(case when method = 'cash' then amount_cents / 100.0 end) as cash
	// from "analytics"."orders"
}
