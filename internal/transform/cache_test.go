package transform

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/bench/transform/projectgen"
	"github.com/datanika/datanika/internal/transform/dialect"
	"github.com/datanika/datanika/internal/transform/project"
)

func loadEngine(t testing.TB, dir string, cache *Cache) *Engine {
	t.Helper()
	p, err := project.Load(os.DirFS(dir))
	require.NoError(t, err)
	// The generated models' calls can be read statically; rendering them exercises the cache.
	e, err := New(context.Background(), p, Options{Dialect: dialect.Postgres, TargetSchema: "bench", Threads: 2, Cache: cache, noStaticParse: true})
	require.NoError(t, err)
	return e
}

// compiledAll is every node's compiled SQL (or error) and parents, to compare two engines.
func compiledAll(t testing.TB, e *Engine) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, id := range e.graph.Order() {
		sql, err := e.CompileNode(context.Background(), id, nil)
		if err != nil {
			sql = "error: " + err.Error()
		}
		out[id] = fmt.Sprintf("%v\n%v\n%s", e.graph.Parents(id), e.nodes[id].config, sql)
	}
	return out
}

func writeFile(t testing.TB, dir, name, text string) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600))
}

func TestCache_ReparseRendersOnlyWhatChanged(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, projectgen.Generate(dir, 60))
	cache := NewCache()
	loadEngine(t, dir, cache)
	_, misses := cache.Stats()
	require.Equal(t, 60, misses, "the first load renders every model")

	// One model changes: it gains a ref and a config; only it is rendered again.
	writeFile(t, dir, "models/layer_00/m0040.sql", "{{ config(materialized='table', tags=['edited']) }}\nselect * from {{ ref('m0003') }} join {{ ref('m0019') }} using (id)\n")
	warm := loadEngine(t, dir, cache)
	hits, misses := cache.Stats()
	require.Equal(t, 1, misses)
	require.Equal(t, 59, hits)
	require.Equal(t, []string{"model.bench.m0003", "model.bench.m0019"}, warm.graph.Parents("model.bench.m0040"))
	require.Equal(t, "table", warm.nodes["model.bench.m0040"].config.Materialized())
	require.Equal(t, compiledAll(t, loadEngine(t, dir, nil)), compiledAll(t, warm), "a warm load gives what a cold one does")

	// A macro changes: everything renders again, and the new macro's output shows.
	writeFile(t, dir, "macros/add.sql", "{% macro add(column, amount=1) -%}({{ column }} + {{ amount }} + 0){%- endmacro %}\n")
	warm = loadEngine(t, dir, cache)
	hits, _ = cache.Stats()
	require.Zero(t, hits)
	sql, err := warm.CompileNode(context.Background(), "model.bench.m0041", nil)
	require.NoError(t, err)
	require.Contains(t, sql, "(score + 1 + 0) as score_1")

	// A var changes: everything renders again too.
	writeFile(t, dir, "dbt_project.yml", "name: bench\nversion: '1.0.0'\nvars:\n  start_date: '2021-01-01'\n  score_scale: 3\n")
	warm = loadEngine(t, dir, cache)
	hits, _ = cache.Stats()
	require.Zero(t, hits)
	sql, err = warm.CompileNode(context.Background(), "model.bench.m0041", nil)
	require.NoError(t, err)
	require.Contains(t, sql, "round(cents / 100.0, 3)")
	require.Equal(t, compiledAll(t, loadEngine(t, dir, nil)), compiledAll(t, warm))
}

func TestCache_KeepsTheErrorOfANodeThatCannotRender(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, projectgen.Generate(dir, 12))
	writeFile(t, dir, "models/layer_00/m0005.sql", "select * from {{ ref('m0002') }} where {{ no_such_macro() }}\n")
	cache := NewCache()
	cold := loadEngine(t, dir, cache)
	_, coldErr := cold.CompileNode(context.Background(), "model.bench.m0005", nil)
	require.Error(t, coldErr)
	warm := loadEngine(t, dir, cache)
	_, misses := cache.Stats()
	require.Zero(t, misses)
	_, warmErr := warm.CompileNode(context.Background(), "model.bench.m0005", nil)
	require.EqualError(t, warmErr, coldErr.Error())
	require.Equal(t, []string{"model.bench.m0002"}, warm.graph.Parents("model.bench.m0005"), "its edges before the error stay")

	// The ref target disappears: the cached calls are resolved against the new project.
	require.NoError(t, os.Remove(filepath.Join(dir, "models/layer_00/m0011.sql")))
	writeFile(t, dir, "models/layer_00/m0010.sql", "select * from {{ ref('m0011') }}\n")
	warm = loadEngine(t, dir, cache)
	_, err := warm.CompileNode(context.Background(), "model.bench.m0010", nil)
	require.ErrorContains(t, err, "ref('m0011')")
}

// BenchmarkReparse_1000Models is the IDE's case: one model of a 1,000-model project is edited
// and the project is loaded and parsed again with the cache of the previous load.
func BenchmarkReparse_1000Models(b *testing.B) {
	// static: LazyTemplates, the models' calls read statically (the command line's way);
	// rendered: every model rendered at load, as the platform checks a project on save,
	// which the cache spares for all but the edited one.
	for _, mode := range []struct {
		name     string
		noStatic bool
	}{{"static", false}, {"rendered", true}} {
		b.Run(mode.name, func(b *testing.B) {
			dir := b.TempDir()
			require.NoError(b, projectgen.Generate(dir, 1000))
			load := func(cache *Cache) {
				p, err := project.Load(os.DirFS(dir))
				require.NoError(b, err)
				_, err = New(context.Background(), p, Options{Dialect: dialect.Postgres, TargetSchema: "bench", Threads: 2, Cache: cache,
					LazyTemplates: !mode.noStatic, noStaticParse: mode.noStatic})
				require.NoError(b, err)
			}
			cache := NewCache()
			load(cache)
			i := 0
			var cpu time.Duration
			for b.Loop() {
				i++
				writeFile(b, dir, "models/layer_05/m0500.sql", fmt.Sprintf("-- edit %d\nselect * from {{ ref('m0249') }}\n", i))
				before := cpuTime()
				load(cache)
				cpu += cpuTime() - before
			}
			// CPU time (user+sys of the process, the garbage collector's included) tells more
			// than wall time on a busy machine.
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(i), "cpu-ms/op")
			if _, misses := cache.Stats(); mode.noStatic && misses != 1 {
				b.Fatalf("%d nodes rendered again, want 1", misses)
			}
		})
	}
}

// cpuTime is the process's user+sys CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Reading calls statically must give exactly what rendering every model gives: the same
// parents, configs and compiled SQL, on the generated project, jaffle_shop and every project
// of the compatibility suite.
func TestStaticParse_GivesWhatRenderingGives(t *testing.T) {
	t.Parallel()
	gen := t.TempDir()
	require.NoError(t, projectgen.Generate(gen, 120))
	dirs := []string{gen, filepath.Join("testdata", "jaffle_shop")}
	compat, err := os.ReadDir(filepath.Join("testdata", "compat"))
	require.NoError(t, err)
	for _, d := range compat {
		dirs = append(dirs, filepath.Join("testdata", "compat", d.Name()))
	}
	staticNodes := 0
	for _, dir := range dirs {
		p, err := project.Load(os.DirFS(dir))
		require.NoError(t, err, dir)
		engine := func(noStatic bool) *Engine {
			// The static engine is lazy too (as the command line runs it): trees built at compile.
			e, err := New(context.Background(), p, Options{Dialect: dialect.Postgres, TargetSchema: "s", Vars: map[string]any{"n": 1},
				noStaticParse: noStatic, LazyTemplates: !noStatic})
			require.NoError(t, err, dir)
			return e
		}
		static, rendered := engine(false), engine(true)
		for _, n := range static.nodes {
			if n.lazy {
				staticNodes++
			}
		}
		want, got := compiledAll(t, rendered), compiledAll(t, static)
		// A model whose render fails at parse time differs, for the better: the static
		// reading still knows its refs and schema (the render stopped before them), and it
		// fails when compiled all the same. Compare the others, and their children.
		for id, n := range rendered.nodes {
			broken := n.err != nil
			for _, parent := range rendered.graph.Parents(id) {
				broken = broken || rendered.nodes[parent].err != nil
			}
			if broken {
				if n.err != nil {
					require.Contains(t, got[id], "error: ", "%s %s fails either way", dir, id)
				}
				delete(want, id)
				delete(got, id)
			}
		}
		require.Equal(t, want, got, dir)
	}
	require.Greater(t, staticNodes, 120, "the static reading is used")
}

// Without LazyTemplates (the platform's way) every model renders when the project loads, so a
// template or render error is the node's load error; lazily, the node fails when it compiles.
func TestStaticParse_TemplateErrorsSurfaceAtLoadUnlessLazy(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"dbt_project.yml":    {Data: []byte("name: p\nversion: '1'\n")},
		"models/a.sql":       {Data: []byte("select 1 as id\n")},
		"models/bad.sql":     {Data: []byte("select * from {{ ref('a') }}\n{% if %}x{% endif %}\n")},
		"models/nomacro.sql": {Data: []byte("select * from {{ ref('a') }} where {{ no_such_macro() }}\n")},
	}
	p, err := project.Load(fsys)
	require.NoError(t, err)
	e, err := New(context.Background(), p, Options{Dialect: dialect.Postgres, TargetSchema: "s"})
	require.NoError(t, err)
	require.ErrorContains(t, e.nodes["model.p.bad"].err, "models/bad.sql:2")
	require.ErrorContains(t, e.nodes["model.p.nomacro"].err, "no_such_macro")

	lazy, err := New(context.Background(), p, Options{Dialect: dialect.Postgres, TargetSchema: "s", LazyTemplates: true})
	require.NoError(t, err)
	require.NoError(t, lazy.nodes["model.p.bad"].err)
	require.Equal(t, []string{"model.p.a"}, lazy.graph.Parents("model.p.bad"), "its refs are read statically")
	_, err = lazy.CompileNode(context.Background(), "model.p.bad", nil)
	require.ErrorContains(t, err, "models/bad.sql:2", "it fails when it compiles")
	_, err = lazy.CompileNode(context.Background(), "model.p.nomacro", nil)
	require.ErrorContains(t, err, "no_such_macro")
}

func TestStaticRefs_ReadsGeneratedTestTemplates(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	staticRefs("select * from {{ ref('orders') }} join {{ ref( \"pkg\" , 'items' ) }} join {{ source('raw', 'events') }}"+
		" {{ myref('no') }} {{ ref(x) }} {{ ref('a', 'b', 'c') }} {{ source('only_one') }} {{ ref('unclosed' }}", rec)
	require.Equal(t, [][2]string{{"", "orders"}, {"pkg", "items"}}, rec.refs)
	require.Equal(t, [][2]string{{"raw", "events"}}, rec.sources)

	// A test of a model version reads ref('m', version='2'), as dbt writes it.
	rec = &recorder{}
	staticRefs("{{ ref('m', version='2') }} {{ ref('pkg', 'm', v=3) }} {{ ref('m', version = \"1.5\" ) }}"+
		" {{ ref('m', other='1') }} {{ ref('m', version=x) }} {{ ref('m', version='1', v='2') }} {{ source('a', 'b', version='1') }}", rec)
	require.Equal(t, [][2]string{{"", "m" + project.VersionSep + "2"}, {"pkg", "m" + project.VersionSep + "3"}, {"", "m" + project.VersionSep + "1.5"}}, rec.refs)
	require.Empty(t, rec.sources)
}
