package transformation

import (
	"context"
	"sort"
	"strings"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/auth"
)

// LineageEdge is a dependency the org's projects imply between two nodes of the DAG: a model
// that ref()s another, a model that reads (source()) a schema a pipeline loads, a job whose
// selected models read a pipeline's schema or ref() a model outside the selection.
type LineageEdge struct {
	UpType   string
	UpID     int64
	DownType string
	DownID   int64
}

// Lineage lists the edges inferred from ref() and source() in every destination project of the
// org, inside the caller's transaction. A project that does not parse contributes no edges (its
// errors are the transformation pages' business, not the DAG's).
func (s *Service) Lineage(ctx context.Context, q *dbgen.Queries, p auth.Principal) ([]LineageEdge, error) {
	dests, err := q.LineageDestinations(ctx, p.OrgID)
	if err != nil {
		return nil, err
	}
	var out []LineageEdge
	seen := map[LineageEdge]bool{}
	add := func(e LineageEdge) {
		if (e.UpType != e.DownType || e.UpID != e.DownID) && !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	for _, connID := range dests {
		conn, err := q.GetConnection(ctx, dbgen.GetConnectionParams{OrgID: p.OrgID, ID: connID})
		if err != nil || DialectOf(conn.Type) == nil {
			continue
		}
		l, err := s.load(ctx, q, p, conn)
		if err != nil {
			return nil, err
		}
		parsed, err := l.parse(ctx, l.in)
		if err != nil || parsed == nil {
			continue
		}
		pipelines, err := q.ProjectPipelineSources(ctx, dbgen.ProjectPipelineSourcesParams{OrgID: p.OrgID, DestinationConnectionID: connID})
		if err != nil {
			return nil, err
		}
		bySchema := map[string][]int64{}
		for _, pl := range pipelines {
			bySchema[pl.DestinationSchema] = append(bySchema[pl.DestinationSchema], pl.ID)
		}
		schemaOf := map[string]string{}
		for _, src := range l.in.Sources {
			schemaOf[src.Name] = src.Schema
		}
		modelOfUID := map[string]int64{}
		for tid, i := range l.byID {
			modelOfUID[ModelID(l.in.Models[i])] = tid
		}
		// pipelinesRead lists the pipelines whose schema a node reads through source().
		pipelinesRead := func(uid string) []int64 {
			var ids []int64
			for _, parent := range parsed.DependsOn(uid) {
				if name, ok := sourceName(parent); ok {
					ids = append(ids, bySchema[schemaOf[name]]...)
				}
			}
			return ids
		}
		for uid, tid := range modelOfUID {
			for _, parent := range parsed.DependsOn(uid) {
				if up, ok := modelOfUID[parent]; ok {
					add(LineageEdge{UpType: "transformation", UpID: up, DownType: "transformation", DownID: tid})
				}
			}
			for _, pl := range pipelinesRead(uid) {
				add(LineageEdge{UpType: "pipeline", UpID: pl, DownType: "transformation", DownID: tid})
			}
		}
		jobs, err := q.JobsOfDestination(ctx, dbgen.JobsOfDestinationParams{OrgID: p.OrgID, DestinationConnectionID: connID})
		if err != nil {
			return nil, err
		}
		for _, j := range jobs {
			ids, err := parsed.Engine.Plan(j.Command, strings.TrimSpace(j.Select), strings.TrimSpace(j.Exclude))
			if err != nil {
				continue
			}
			selected := map[string]bool{}
			for _, id := range ids {
				selected[id] = true
			}
			for _, id := range ids {
				for _, pl := range pipelinesRead(id) {
					add(LineageEdge{UpType: "pipeline", UpID: pl, DownType: "job", DownID: j.ID})
				}
				for _, parent := range parsed.DependsOn(id) {
					if up, ok := modelOfUID[parent]; ok && !selected[parent] {
						add(LineageEdge{UpType: "transformation", UpID: up, DownType: "job", DownID: j.ID})
					}
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.UpType != b.UpType {
			return a.UpType < b.UpType
		}
		if a.UpID != b.UpID {
			return a.UpID < b.UpID
		}
		if a.DownType != b.DownType {
			return a.DownType < b.DownType
		}
		return a.DownID < b.DownID
	})
	return out, nil
}

// sourceName is the source's name of a source node's unique id (source.<project>.<name>.<table>).
func sourceName(uid string) (string, bool) {
	parts := strings.SplitN(uid, ".", 4)
	if len(parts) != 4 || parts[0] != "source" {
		return "", false
	}
	return parts[2], true
}
