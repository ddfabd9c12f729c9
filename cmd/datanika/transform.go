package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/datanika/datanika/internal/transform"
	"github.com/datanika/datanika/internal/transform/project"
)

const transformUsage = `Usage: datanika transform <build|run|test|seed|snapshot|compile|freshness> --project DIR --target URL
       [--schema NAME] [--select SEL] [--exclude SEL] [--full-refresh] [--threads N] [--vars JSON] [--output text|json]
       datanika transform deps --project DIR [--cache-dir DIR] [--upgrade] [--output text|json]
`

// cmdTransform runs a dbt-compatible project against a PostgreSQL or MySQL/MariaDB target.
func cmdTransform(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || !slices.Contains(transform.Commands, args[0]) {
		fmt.Fprint(stderr, transformUsage)
		return exitUsage
	}
	command := args[0]
	fs := flag.NewFlagSet("transform "+command, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("project", "", "the dbt project: a directory with dbt_project.yml, or a .zip of one")
	target := fs.String("target", "", "postgres://… or mysql://… URL of the warehouse")
	schema := fs.String("schema", "", "target schema (default: the URL's search_path or database)")
	sel := fs.String("select", "", "dbt selector: name, +name, name+, tag:x, path:x, config.materialized:x…")
	exclude := fs.String("exclude", "", "dbt selector of nodes to leave out")
	fullRefresh := fs.Bool("full-refresh", false, "rebuild incremental models and recreate seeds")
	threads := fs.Int("threads", 4, "models built at once")
	varsJSON := fs.String("vars", "", `JSON object of vars, e.g. {"start":"2020-01-01"}`)
	output := fs.String("output", "text", "text or json")
	if err := fs.Parse(joinSelectorArgs(args[1:])); err != nil {
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "datanika transform: unexpected argument %q (quote a selector of several terms, or put them after --select)\n\n%s", fs.Arg(0), transformUsage)
		return exitUsage
	}
	if *dir == "" || *target == "" || (*output != "text" && *output != "json") || *threads < 1 {
		fmt.Fprint(stderr, "datanika transform: --project and --target are required; --output is text or json; --threads ≥ 1\n\n"+transformUsage)
		return exitUsage
	}
	vars := map[string]any{}
	if *varsJSON != "" {
		if err := json.Unmarshal([]byte(*varsJSON), &vars); err != nil {
			fmt.Fprintf(stderr, "datanika transform: --vars must be a JSON object: %v\n", err)
			return exitUsage
		}
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	tgt, err := transform.OpenTarget(*target, *schema, *threads)
	if err != nil {
		fmt.Fprintf(stderr, "datanika transform: %v\n", err)
		return exitUsage
	}
	defer func() { _ = tgt.DB.Close() }()
	proj, err := loadProject(*dir)
	if err != nil {
		fmt.Fprintf(stderr, "datanika transform: %v\n", err)
		return exitFailure
	}
	engine, err := transform.New(ctx, proj, transform.Options{
		Dialect: tgt.Dialect, TargetSchema: tgt.Schema, TargetDatabase: tgt.Database, LazyTemplates: true, Vars: vars, FullRefresh: *fullRefresh,
		Threads: *threads, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		fmt.Fprintf(stderr, "datanika transform: %v\n", err)
		return exitFailure
	}
	summary, err := engine.Run(ctx, tgt.DB, command, *sel, *exclude)
	if err != nil {
		fmt.Fprintf(stderr, "datanika transform: %v\n", err)
		return exitFailure
	}
	if *output == "json" {
		if err := writeSummaryJSON(stdout, summary); err != nil {
			fmt.Fprintf(stderr, "datanika transform: %v\n", err)
			return exitFailure
		}
	} else {
		printSummary(stdout, command, summary)
	}
	if summary.Status != transform.StatusSuccess {
		return exitFailure
	}
	return exitOK
}

// joinSelectorArgs accepts several selector arguments after --select or --exclude, as dbt
// does (--select a b): the words up to the next flag join into one space-separated selector,
// which is a union.
func joinSelectorArgs(args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || (name != "select" && name != "exclude") {
			out = append(out, a)
			continue
		}
		var words []string
		if hasValue {
			words = append(words, value)
		}
		for i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			i++
			words = append(words, args[i])
		}
		if len(words) == 0 {
			// Let the flag package say the value is missing.
			out = append(out, a)
			continue
		}
		out = append(out, "--"+name+"="+strings.Join(words, " "))
	}
	return out
}

func printSummary(w io.Writer, command string, s *transform.Summary) {
	counts := map[string]int{}
	for _, r := range s.Nodes {
		counts[r.Status]++
		if command == transform.CmdCompile {
			fmt.Fprintf(w, "-- %s\n%s\n\n", r.UniqueID, strings.TrimSpace(r.CompiledSQL))
			continue
		}
		line := fmt.Sprintf("%-7s %-60s %6.2fs", strings.ToUpper(r.Status), r.UniqueID, r.Seconds)
		if r.RowsAffected > 0 {
			line += fmt.Sprintf("  %d rows", r.RowsAffected)
		}
		if r.Failures > 0 {
			line += fmt.Sprintf("  %d failing rows", r.Failures)
		}
		fmt.Fprintln(w, line)
		if r.Status == transform.StatusError || r.Status == transform.StatusFail || r.Status == transform.StatusWarn || r.Status == transform.StatusSkipped {
			fmt.Fprintf(w, "        %s\n", strings.ReplaceAll(r.Message, "\n", "\n        "))
		}
	}
	for _, warning := range s.Warnings {
		fmt.Fprintf(w, "WARNING %s\n", warning)
	}
	var parts []string
	for _, st := range []string{transform.StatusSuccess, transform.StatusPass, transform.StatusWarn, transform.StatusFail, transform.StatusError, transform.StatusSkipped} {
		if counts[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
		}
	}
	fmt.Fprintf(w, "\n%s: %s in %.2fs (%s)\n", command, s.Status, s.Seconds, strings.Join(parts, ", "))
}

// loadProject reads a project directory or a zipped one.
func loadProject(path string) (*project.Project, error) {
	// The command loads its project once: the decoded properties files kept for a reload
	// would only hold memory.
	defer project.ForgetDecoded()
	if !strings.HasSuffix(strings.ToLower(path), ".zip") {
		return project.LoadDir(path)
	}
	data, err := os.ReadFile(path) //nolint:gosec // the operator names the file to read
	if err != nil {
		return nil, err
	}
	fsys, err := project.OpenZip(data)
	if err != nil {
		return nil, err
	}
	return project.Load(fsys)
}

// writeSummaryJSON writes what json.Encoder.Encode(s) writes, one node at a time: the whole
// document of a 10,000-model compile (8 MB) was built in memory at the moment the run held
// the most.
func writeSummaryJSON(w io.Writer, s *transform.Summary) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	put := func(prefix string, v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		_, _ = bw.WriteString(prefix)
		_, err = bw.Write(b)
		return err
	}
	if err := put(`{"status":`, s.Status); err != nil {
		return err
	}
	if err := put(`,"seconds":`, s.Seconds); err != nil {
		return err
	}
	_, _ = bw.WriteString(`,"nodes":`)
	if s.Nodes == nil {
		_, _ = bw.WriteString("null")
	} else {
		sep := "["
		for i := range s.Nodes {
			if err := put(sep, &s.Nodes[i]); err != nil {
				return err
			}
			sep = ","
		}
		if len(s.Nodes) == 0 {
			_, _ = bw.WriteString("[")
		}
		_, _ = bw.WriteString("]")
	}
	if len(s.Warnings) > 0 {
		if err := put(`,"warnings":`, s.Warnings); err != nil {
			return err
		}
	}
	_, _ = bw.WriteString("}\n")
	return bw.Flush()
}
