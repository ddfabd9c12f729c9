package transform

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/bench/transform/projectgen"
	"github.com/datanika/datanika/internal/transform/dialect"
	"github.com/datanika/datanika/internal/transform/project"
)

// compileAll loads, parses, orders and compiles every node of a project, as `transform compile`
// does without the database.
func compileAll(ctx context.Context, dir string) (int, error) {
	p, err := project.Load(os.DirFS(dir))
	if err != nil {
		return 0, err
	}
	e, err := New(ctx, p, Options{Dialect: dialect.Postgres, TargetSchema: "bench", Threads: 4, LazyTemplates: true})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range e.graph.Order() {
		if _, err := e.CompileNode(ctx, id, nil); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

func TestGeneratedProject_CompilesEveryNode(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, projectgen.Generate(dir, 120))
	n, err := compileAll(context.Background(), dir)
	require.NoError(t, err)
	c := projectgen.Count(120)
	require.Equal(t, 120+12+(2*24+12+11)+12, n, "120 models, 12 source tables, tests on every fifth and tenth model and on every source table")
	require.Equal(t, c.Models+c.Sources+c.Tests, n)
}

func BenchmarkCompile_1000Models(b *testing.B) {
	dir := b.TempDir()
	require.NoError(b, projectgen.Generate(dir, 1000))
	for b.Loop() {
		_, err := compileAll(context.Background(), dir)
		require.NoError(b, err)
	}
}

// BenchmarkBuild_100Views builds the 100-model generated project (views) on the local
// PostgreSQL, each iteration in a fresh database, with 1 and 4 threads.
func BenchmarkBuild_100Views(b *testing.B) {
	dir := b.TempDir()
	require.NoError(b, projectgen.Generate(dir, 100))
	p, err := project.Load(os.DirFS(dir))
	require.NoError(b, err)
	for _, threads := range []int{1, 4} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			db := postgresTarget(b)
			db.SetMaxOpenConns(threads + 1)
			for b.Loop() {
				e, err := New(context.Background(), p, Options{Dialect: dialect.Postgres, TargetSchema: "bench", Threads: threads})
				require.NoError(b, err)
				s, err := e.Run(context.Background(), db, CmdBuild, "", "")
				require.NoError(b, err)
				require.Equal(b, StatusSuccess, s.Status)
			}
		})
	}
}
