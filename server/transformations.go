package server

import (
	"context"
	"encoding/json"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/transformation"
)

func toAPITransformation(t transformation.Transformation) api.Transformation {
	out := api.Transformation{
		Id: t.ID, Name: t.Name, Description: t.Description, SqlBody: t.SqlBody, Materialization: api.Materialization(t.Materialization),
		SchemaName: t.SchemaName, DestinationConnectionId: t.DestinationConnectionID, Tags: t.Tags, Path: t.Path,
		Config: t.Config, DependsOn: t.DependsOn, CreatedAt: t.CreatedAt.Time.UTC(), UpdatedAt: t.UpdatedAt.Time.UTC(),
	}
	if out.Tags == nil {
		out.Tags = []string{}
	}
	if t.Incremental != nil {
		out.IncrementalConfig = &t.Incremental
	}
	if t.Snapshot != nil {
		out.SnapshotConfig = &t.Snapshot
	}
	if t.Tests != nil {
		out.TestsConfig = &t.Tests
	}
	return out
}

func materializationPtr(m *api.Materialization) *string {
	if m == nil {
		return nil
	}
	s := string(*m)
	return &s
}

// ListTransformations pages the org's models.
func (h *handlers) ListTransformations(ctx context.Context, req api.ListTransformationsRequestObject) (api.ListTransformationsResponseObject, error) {
	after, err := decodeCursor(req.Params.Cursor)
	if err != nil {
		return nil, err
	}
	limit := pageLimit(req.Params.Limit)
	rows, err := h.transformations.List(ctx, principal(ctx), after, limit)
	if err != nil {
		return nil, err
	}
	var out api.TransformationList
	out.Items, out.NextCursor = page(rows, limit, func(t transformation.Transformation) int64 { return t.ID }, toAPITransformation)
	return api.ListTransformations200JSONResponse(out), nil
}

// CreateTransformation stores a model that parses in its project.
func (h *handlers) CreateTransformation(ctx context.Context, req api.CreateTransformationRequestObject) (api.CreateTransformationResponseObject, error) {
	b := req.Body
	t, err := h.transformations.Create(ctx, principal(ctx), transformation.Fields{
		Name: &b.Name, Description: b.Description, SQL: &b.SqlBody, Materialization: materializationPtr(b.Materialization),
		Schema: b.SchemaName, SchemaSet: b.SchemaName != nil, DestinationConnectionID: b.DestinationConnectionId, Tags: b.Tags,
		Incremental: b.IncrementalConfig, IncrementalSet: b.IncrementalConfig != nil,
		Snapshot: b.SnapshotConfig, SnapshotSet: b.SnapshotConfig != nil, Tests: b.TestsConfig, TestsSet: b.TestsConfig != nil,
		Path: b.Path, Config: b.Config,
	})
	if err != nil {
		return nil, err
	}
	return api.CreateTransformation201JSONResponse(toAPITransformation(t)), nil
}

// GetTransformation returns a model.
func (h *handlers) GetTransformation(ctx context.Context, req api.GetTransformationRequestObject) (api.GetTransformationResponseObject, error) {
	t, err := h.transformations.Get(ctx, principal(ctx), req.Id)
	if err != nil {
		return nil, err
	}
	return api.GetTransformation200JSONResponse(toAPITransformation(t)), nil
}

// UpdateTransformation changes a model; the project must still parse.
func (h *handlers) UpdateTransformation(ctx context.Context, req api.UpdateTransformationRequestObject) (api.UpdateTransformationResponseObject, error) {
	b := req.Body
	t, err := h.transformations.Update(ctx, principal(ctx), req.Id, transformation.Fields{
		Name: b.Name, Description: b.Description, SQL: b.SqlBody, Materialization: materializationPtr(b.Materialization),
		Schema: b.SchemaName, SchemaSet: b.SchemaName != nil, DestinationConnectionID: b.DestinationConnectionId, Tags: b.Tags,
		Incremental: b.IncrementalConfig, IncrementalSet: b.IncrementalConfig != nil,
		Snapshot: b.SnapshotConfig, SnapshotSet: b.SnapshotConfig != nil, Tests: b.TestsConfig, TestsSet: b.TestsConfig != nil,
		Path: b.Path, Config: b.Config,
	})
	if err != nil {
		return nil, err
	}
	return api.UpdateTransformation200JSONResponse(toAPITransformation(t)), nil
}

// DeleteTransformation soft-deletes a model nothing refers to.
func (h *handlers) DeleteTransformation(ctx context.Context, req api.DeleteTransformationRequestObject) (api.DeleteTransformationResponseObject, error) {
	if err := h.transformations.Delete(ctx, principal(ctx), req.Id); err != nil {
		return nil, err
	}
	return api.DeleteTransformation204Response{}, nil
}

// CompileTransformationSQL compiles unsaved SQL in the org's project.
func (h *handlers) CompileTransformationSQL(ctx context.Context, req api.CompileTransformationSQLRequestObject) (api.CompileTransformationSQLResponseObject, error) {
	b := req.Body
	in := transformation.CompileInput{SQL: b.SqlBody, DestinationConnectionID: b.DestinationConnectionId, Name: b.Name,
		Materialization: materializationPtr(b.Materialization), Schema: b.SchemaName}
	if b.Config != nil {
		in.Config = *b.Config
	}
	c, err := h.transformations.Compile(ctx, principal(ctx), in)
	if err != nil {
		return nil, err
	}
	return api.CompileTransformationSQL200JSONResponse(h.compileResult(ctx, c)), nil
}

// CompileTransformation compiles a saved model.
func (h *handlers) CompileTransformation(ctx context.Context, req api.CompileTransformationRequestObject) (api.CompileTransformationResponseObject, error) {
	c, err := h.transformations.CompileSaved(ctx, principal(ctx), req.Id)
	if err != nil {
		return nil, err
	}
	return api.CompileTransformation200JSONResponse(h.compileResult(ctx, c)), nil
}

// compileResult answers a compile with the destination's plan of the compiled SQL.
func (h *handlers) compileResult(ctx context.Context, c transformation.Compiled) api.CompileResult {
	plan := h.transformations.PlanOf(ctx, principal(ctx), c)
	out := api.CompileResult{CompiledSql: c.SQL, DependsOn: c.DependsOn,
		Plan: api.CompilePlan{Checked: plan.Checked, Ok: plan.OK, Unbuilt: plan.Unbuilt}}
	if out.Plan.Unbuilt == nil {
		out.Plan.Unbuilt = []string{}
	}
	if plan.Message != "" {
		out.Plan.Message = &plan.Message
	}
	if plan.Line > 0 {
		out.Plan.Line, out.Plan.Column = &plan.Line, &plan.Column
	}
	return out
}

// PreviewTransformation runs a model's query read-only with a row cap.
func (h *handlers) PreviewTransformation(ctx context.Context, req api.PreviewTransformationRequestObject) (api.PreviewTransformationResponseObject, error) {
	limit := 0
	if req.Body != nil && req.Body.Limit != nil {
		limit = *req.Body.Limit
	}
	cols, rows, err := h.transformations.Preview(ctx, principal(ctx), req.Id, limit)
	if err != nil {
		return nil, err
	}
	return api.PreviewTransformation200JSONResponse(api.PreviewResult{Columns: cols, Rows: rows}), nil
}

func toAPIMacro(m dbgen.Macro) api.Macro {
	return api.Macro{Id: m.ID, Name: m.Name, Description: m.Description, SqlBody: m.SqlBody,
		CreatedAt: m.CreatedAt.Time.UTC(), UpdatedAt: m.UpdatedAt.Time.UTC()}
}

// ListMacros pages the org's macro files.
func (h *handlers) ListMacros(ctx context.Context, req api.ListMacrosRequestObject) (api.ListMacrosResponseObject, error) {
	after, err := decodeCursor(req.Params.Cursor)
	if err != nil {
		return nil, err
	}
	limit := pageLimit(req.Params.Limit)
	rows, err := h.transformations.ListMacros(ctx, principal(ctx), after, limit)
	if err != nil {
		return nil, err
	}
	var out api.MacroList
	out.Items, out.NextCursor = page(rows, limit, func(m dbgen.Macro) int64 { return m.ID }, toAPIMacro)
	return api.ListMacros200JSONResponse(out), nil
}

// CreateMacro stores a macro file.
func (h *handlers) CreateMacro(ctx context.Context, req api.CreateMacroRequestObject) (api.CreateMacroResponseObject, error) {
	m, err := h.transformations.CreateMacro(ctx, principal(ctx), transformation.MacroInput{
		Name: &req.Body.Name, Description: req.Body.Description, SQL: &req.Body.SqlBody})
	if err != nil {
		return nil, err
	}
	return api.CreateMacro201JSONResponse(toAPIMacro(m)), nil
}

// GetMacro returns a macro file.
func (h *handlers) GetMacro(ctx context.Context, req api.GetMacroRequestObject) (api.GetMacroResponseObject, error) {
	m, err := h.transformations.GetMacro(ctx, principal(ctx), req.Id)
	if err != nil {
		return nil, err
	}
	return api.GetMacro200JSONResponse(toAPIMacro(m)), nil
}

// UpdateMacro changes a macro file.
func (h *handlers) UpdateMacro(ctx context.Context, req api.UpdateMacroRequestObject) (api.UpdateMacroResponseObject, error) {
	m, err := h.transformations.UpdateMacro(ctx, principal(ctx), req.Id, transformation.MacroInput{
		Name: req.Body.Name, Description: req.Body.Description, SQL: req.Body.SqlBody})
	if err != nil {
		return nil, err
	}
	return api.UpdateMacro200JSONResponse(toAPIMacro(m)), nil
}

// DeleteMacro removes a macro file no model needs.
func (h *handlers) DeleteMacro(ctx context.Context, req api.DeleteMacroRequestObject) (api.DeleteMacroResponseObject, error) {
	if err := h.transformations.DeleteMacro(ctx, principal(ctx), req.Id); err != nil {
		return nil, err
	}
	return api.DeleteMacro204Response{}, nil
}

func toAPISeed(s transformation.Seed) api.Seed {
	return api.Seed{Id: s.ID, Name: s.Name, Description: s.Description, FileId: s.FileID, SchemaName: s.SchemaName,
		ColumnTypes: s.ColumnTypes, RowCount: s.RowCount, DestinationConnectionId: s.DestinationConnectionID,
		CreatedAt: s.CreatedAt.Time.UTC(), UpdatedAt: s.UpdatedAt.Time.UTC()}
}

// ListSeeds pages the org's seeds.
func (h *handlers) ListSeeds(ctx context.Context, req api.ListSeedsRequestObject) (api.ListSeedsResponseObject, error) {
	after, err := decodeCursor(req.Params.Cursor)
	if err != nil {
		return nil, err
	}
	limit := pageLimit(req.Params.Limit)
	rows, err := h.transformations.ListSeeds(ctx, principal(ctx), after, limit)
	if err != nil {
		return nil, err
	}
	var out api.SeedList
	out.Items, out.NextCursor = page(rows, limit, func(s transformation.Seed) int64 { return s.ID }, toAPISeed)
	return api.ListSeeds200JSONResponse(out), nil
}

// CreateSeed makes a seed of an uploaded CSV.
func (h *handlers) CreateSeed(ctx context.Context, req api.CreateSeedRequestObject) (api.CreateSeedResponseObject, error) {
	b := req.Body
	in := transformation.SeedInput{Name: b.Name, Description: b.Description, FileID: b.FileId, Schema: b.SchemaName,
		DestinationConnectionID: b.DestinationConnectionId}
	if b.ColumnTypes != nil {
		in.ColumnTypes = *b.ColumnTypes
	}
	s, err := h.transformations.CreateSeed(ctx, principal(ctx), in)
	if err != nil {
		return nil, err
	}
	return api.CreateSeed201JSONResponse(toAPISeed(s)), nil
}

// GetSeed returns a seed.
func (h *handlers) GetSeed(ctx context.Context, req api.GetSeedRequestObject) (api.GetSeedResponseObject, error) {
	s, err := h.transformations.GetSeed(ctx, principal(ctx), req.Id)
	if err != nil {
		return nil, err
	}
	return api.GetSeed200JSONResponse(toAPISeed(s)), nil
}

// DeleteSeed removes a seed no model reads.
func (h *handlers) DeleteSeed(ctx context.Context, req api.DeleteSeedRequestObject) (api.DeleteSeedResponseObject, error) {
	if err := h.transformations.DeleteSeed(ctx, principal(ctx), req.Id); err != nil {
		return nil, err
	}
	return api.DeleteSeed204Response{}, nil
}

// convertJSON moves a value between the API's types and the service's through JSON, for shapes
// that are the same on both sides (source tables).
func convertJSON[T any](v any) (T, error) {
	var out T
	b, err := json.Marshal(v)
	if err != nil {
		return out, err
	}
	err = json.Unmarshal(b, &out)
	return out, err
}

func toAPISource(s transformation.Source) (api.Source, error) {
	tables, err := convertJSON[[]api.SourceTable](s.Tables)
	if err != nil {
		return api.Source{}, err
	}
	return api.Source{Id: s.ID, Name: s.Name, Description: s.Description, SchemaName: s.SchemaName, ConnectionId: s.ConnectionID,
		Tables: tables, CreatedAt: s.CreatedAt.Time.UTC(), UpdatedAt: s.UpdatedAt.Time.UTC()}, nil
}

func sourceTables(t *[]api.SourceTable) (*[]transformation.SourceTable, error) {
	if t == nil {
		return nil, nil
	}
	out, err := convertJSON[[]transformation.SourceTable](*t)
	return &out, err
}

// ListSources pages the org's stored sources.
func (h *handlers) ListSources(ctx context.Context, req api.ListSourcesRequestObject) (api.ListSourcesResponseObject, error) {
	after, err := decodeCursor(req.Params.Cursor)
	if err != nil {
		return nil, err
	}
	limit := pageLimit(req.Params.Limit)
	rows, err := h.transformations.ListSources(ctx, principal(ctx), after, limit)
	if err != nil {
		return nil, err
	}
	out := api.SourceList{Items: []api.Source{}}
	var convErr error
	out.Items, out.NextCursor = page(rows, limit, func(s transformation.Source) int64 { return s.ID }, func(s transformation.Source) api.Source {
		a, err := toAPISource(s)
		if err != nil {
			convErr = err
		}
		return a
	})
	if convErr != nil {
		return nil, convErr
	}
	return api.ListSources200JSONResponse(out), nil
}

// CreateSource stores a source.
func (h *handlers) CreateSource(ctx context.Context, req api.CreateSourceRequestObject) (api.CreateSourceResponseObject, error) {
	b := req.Body
	tables, err := sourceTables(&b.Tables)
	if err != nil {
		return nil, err
	}
	s, err := h.transformations.CreateSource(ctx, principal(ctx), transformation.SourceInput{
		Name: &b.Name, Description: b.Description, Schema: &b.SchemaName, ConnectionID: b.ConnectionId, Tables: tables})
	if err != nil {
		return nil, err
	}
	out, err := toAPISource(s)
	if err != nil {
		return nil, err
	}
	return api.CreateSource201JSONResponse(out), nil
}

// GetSource returns a source.
func (h *handlers) GetSource(ctx context.Context, req api.GetSourceRequestObject) (api.GetSourceResponseObject, error) {
	s, err := h.transformations.GetSource(ctx, principal(ctx), req.Id)
	if err != nil {
		return nil, err
	}
	out, err := toAPISource(s)
	if err != nil {
		return nil, err
	}
	return api.GetSource200JSONResponse(out), nil
}

// UpdateSource changes a source.
func (h *handlers) UpdateSource(ctx context.Context, req api.UpdateSourceRequestObject) (api.UpdateSourceResponseObject, error) {
	b := req.Body
	tables, err := sourceTables(b.Tables)
	if err != nil {
		return nil, err
	}
	s, err := h.transformations.UpdateSource(ctx, principal(ctx), req.Id, transformation.SourceInput{
		Name: b.Name, Description: b.Description, Schema: b.SchemaName, ConnectionID: b.ConnectionId, Tables: tables})
	if err != nil {
		return nil, err
	}
	out, err := toAPISource(s)
	if err != nil {
		return nil, err
	}
	return api.UpdateSource200JSONResponse(out), nil
}

// DeleteSource removes a source no model reads.
func (h *handlers) DeleteSource(ctx context.Context, req api.DeleteSourceRequestObject) (api.DeleteSourceResponseObject, error) {
	if err := h.transformations.DeleteSource(ctx, principal(ctx), req.Id); err != nil {
		return nil, err
	}
	return api.DeleteSource204Response{}, nil
}

func toAPIJob(j dbgen.Job) api.Job {
	return api.Job{Id: j.ID, Name: j.Name, Description: j.Description, Command: api.JobCommand(j.Command), Select: j.Select,
		Exclude: j.Exclude, FullRefresh: j.FullRefresh, Threads: int(j.Threads), DestinationConnectionId: j.DestinationConnectionID,
		CreatedAt: j.CreatedAt.Time.UTC(), UpdatedAt: j.UpdatedAt.Time.UTC()}
}

func commandPtr(c *api.JobCommand) *string {
	if c == nil {
		return nil
	}
	s := string(*c)
	return &s
}

// ListJobs pages the org's jobs.
func (h *handlers) ListJobs(ctx context.Context, req api.ListJobsRequestObject) (api.ListJobsResponseObject, error) {
	after, err := decodeCursor(req.Params.Cursor)
	if err != nil {
		return nil, err
	}
	limit := pageLimit(req.Params.Limit)
	rows, err := h.transformations.ListJobs(ctx, principal(ctx), after, limit)
	if err != nil {
		return nil, err
	}
	var out api.JobList
	out.Items, out.NextCursor = page(rows, limit, func(j dbgen.Job) int64 { return j.ID }, toAPIJob)
	return api.ListJobs200JSONResponse(out), nil
}

// CreateJob stores a job.
func (h *handlers) CreateJob(ctx context.Context, req api.CreateJobRequestObject) (api.CreateJobResponseObject, error) {
	b := req.Body
	j, err := h.transformations.CreateJob(ctx, principal(ctx), transformation.JobInput{
		Name: &b.Name, Description: b.Description, Command: commandPtr(&b.Command), Select: b.Select, Exclude: b.Exclude,
		FullRefresh: b.FullRefresh, Threads: b.Threads, DestinationConnectionID: b.DestinationConnectionId})
	if err != nil {
		return nil, err
	}
	return api.CreateJob201JSONResponse(toAPIJob(j)), nil
}

// GetJob returns a job.
func (h *handlers) GetJob(ctx context.Context, req api.GetJobRequestObject) (api.GetJobResponseObject, error) {
	j, err := h.transformations.GetJob(ctx, principal(ctx), req.Id)
	if err != nil {
		return nil, err
	}
	return api.GetJob200JSONResponse(toAPIJob(j)), nil
}

// UpdateJob changes a job.
func (h *handlers) UpdateJob(ctx context.Context, req api.UpdateJobRequestObject) (api.UpdateJobResponseObject, error) {
	b := req.Body
	j, err := h.transformations.UpdateJob(ctx, principal(ctx), req.Id, transformation.JobInput{
		Name: b.Name, Description: b.Description, Command: commandPtr(b.Command), Select: b.Select, Exclude: b.Exclude,
		FullRefresh: b.FullRefresh, Threads: b.Threads, DestinationConnectionID: b.DestinationConnectionId})
	if err != nil {
		return nil, err
	}
	return api.UpdateJob200JSONResponse(toAPIJob(j)), nil
}

// DeleteJob soft-deletes a job without an active run.
func (h *handlers) DeleteJob(ctx context.Context, req api.DeleteJobRequestObject) (api.DeleteJobResponseObject, error) {
	if err := h.transformations.DeleteJob(ctx, principal(ctx), req.Id); err != nil {
		return nil, err
	}
	return api.DeleteJob204Response{}, nil
}

// PlanJob lists the nodes a job being written would execute.
func (h *handlers) PlanJob(ctx context.Context, req api.PlanJobRequestObject) (api.PlanJobResponseObject, error) {
	b := req.Body
	in := transformation.PlanInput{Command: string(b.Command), DestinationConnectionID: b.DestinationConnectionId}
	if b.Select != nil {
		in.Select = *b.Select
	}
	if b.Exclude != nil {
		in.Exclude = *b.Exclude
	}
	nodes, err := h.transformations.PlanJob(ctx, principal(ctx), in)
	if err != nil {
		return nil, err
	}
	out := api.JobPlan{Nodes: make([]api.JobPlanNode, 0, len(nodes))}
	for _, n := range nodes {
		out.Nodes = append(out.Nodes, api.JobPlanNode{UniqueId: n.UniqueID, Name: n.Name, ResourceType: api.JobPlanNodeResourceType(n.ResourceType)})
	}
	return api.PlanJob200JSONResponse(out), nil
}
