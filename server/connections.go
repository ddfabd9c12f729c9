package server

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/connection"
	"github.com/datanika/datanika/internal/connectors"
)

func (h *handlers) toAPIConnection(c connection.Connection) api.Connection {
	out := api.Connection{
		Id: c.ID, Name: c.Name, Type: c.Type, Direction: api.ConnectionDirection(c.Direction), Managed: c.Managed,
		Config: h.connections.Masked(c), CreatedAt: c.CreatedAt.Time.UTC(), UpdatedAt: c.UpdatedAt.Time.UTC(),
	}
	if c.LastTestAt.Valid {
		t := api.ConnectionTestResult{At: timePtr(c.LastTestAt.Time, true)}
		if c.LastTestOk != nil {
			t.Ok = *c.LastTestOk
		}
		if c.LastTestMessage != nil {
			t.Message = *c.LastTestMessage
		}
		if c.LastTestLatencyMs != nil {
			t.LatencyMs = *c.LastTestLatencyMs
		}
		out.LastTest = &t
	}
	return out
}

// ListConnectionTypes lists the types this installation offers.
func (h *handlers) ListConnectionTypes(context.Context, api.ListConnectionTypesRequestObject) (api.ListConnectionTypesResponseObject, error) {
	out := api.ConnectionTypeList{Items: []api.ConnectionType{}}
	for _, t := range h.connections.Registry().Offered() {
		var schema map[string]any
		_ = json.Unmarshal(t.ConfigSchema, &schema)
		out.Items = append(out.Items, api.ConnectionType{
			Name: t.Name, Label: t.Label, ConfigSchema: schema,
			Capabilities: api.ConnectionCapabilities{Source: t.Capabilities.Source, Destination: t.Capabilities.Destination, Sql: t.Capabilities.SQL, TransformTarget: t.Capabilities.TransformTarget},
		})
	}
	return api.ListConnectionTypes200JSONResponse(out), nil
}

// ListConnections pages the org's connections.
func (h *handlers) ListConnections(ctx context.Context, req api.ListConnectionsRequestObject) (api.ListConnectionsResponseObject, error) {
	after, err := decodeCursor(req.Params.Cursor)
	if err != nil {
		return nil, err
	}
	limit := pageLimit(req.Params.Limit)
	rows, err := h.connections.List(ctx, principal(ctx), after, limit)
	if err != nil {
		return nil, err
	}
	var out api.ConnectionList
	out.Items, out.NextCursor = page(rows, limit, func(c connection.Connection) int64 { return c.ID }, h.toAPIConnection)
	return api.ListConnections200JSONResponse(out), nil
}

// CreateConnection stores a connection.
func (h *handlers) CreateConnection(ctx context.Context, req api.CreateConnectionRequestObject) (api.CreateConnectionResponseObject, error) {
	c, err := h.connections.Create(ctx, principal(ctx), req.Body.Name, req.Body.Type, req.Body.Config)
	if err != nil {
		return nil, err
	}
	return api.CreateConnection201JSONResponse(h.toAPIConnection(c)), nil
}

// GetConnection returns a connection.
func (h *handlers) GetConnection(ctx context.Context, req api.GetConnectionRequestObject) (api.GetConnectionResponseObject, error) {
	c, err := h.connections.Get(ctx, principal(ctx), req.Id)
	if err != nil {
		return nil, err
	}
	return api.GetConnection200JSONResponse(h.toAPIConnection(c)), nil
}

// UpdateConnection changes a connection.
func (h *handlers) UpdateConnection(ctx context.Context, req api.UpdateConnectionRequestObject) (api.UpdateConnectionResponseObject, error) {
	var patch map[string]any
	if req.Body.Config != nil {
		patch = *req.Body.Config
	}
	c, err := h.connections.Update(ctx, principal(ctx), req.Id, req.Body.Name, patch)
	if err != nil {
		return nil, err
	}
	return api.UpdateConnection200JSONResponse(h.toAPIConnection(c)), nil
}

// DeleteConnection deletes a connection.
func (h *handlers) DeleteConnection(ctx context.Context, req api.DeleteConnectionRequestObject) (api.DeleteConnectionResponseObject, error) {
	if err := h.connections.Delete(ctx, principal(ctx), req.Id); err != nil {
		return nil, err
	}
	return api.DeleteConnection204Response{}, nil
}

func toAPIConnectionTestResult(r connectors.Result, at *time.Time) api.ConnectionTestResult {
	return api.ConnectionTestResult{Ok: r.OK, Message: r.Message, LatencyMs: r.LatencyMS, At: at}
}

// TestUnsavedConnection tests a config before it is saved.
func (h *handlers) TestUnsavedConnection(ctx context.Context, req api.TestUnsavedConnectionRequestObject) (api.TestUnsavedConnectionResponseObject, error) {
	r, err := h.connections.TestUnsaved(ctx, req.Body.Type, req.Body.Config)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	return api.TestUnsavedConnection200JSONResponse(toAPIConnectionTestResult(r, &now)), nil
}

// TestConnection tests a saved connection.
func (h *handlers) TestConnection(ctx context.Context, req api.TestConnectionRequestObject) (api.TestConnectionResponseObject, error) {
	r, at, err := h.connections.Test(ctx, principal(ctx), req.Id)
	if err != nil {
		return nil, err
	}
	at = at.UTC()
	return api.TestConnection200JSONResponse(toAPIConnectionTestResult(r, &at)), nil
}

// GetConnectionCatalog returns the (cached) catalog of a connection.
func (h *handlers) GetConnectionCatalog(ctx context.Context, req api.GetConnectionCatalogRequestObject) (api.GetConnectionCatalogResponseObject, error) {
	refresh := req.Params.Refresh != nil && *req.Params.Refresh
	entries, err := h.connections.Catalog(ctx, principal(ctx), req.Id, refresh)
	if err != nil {
		return nil, err
	}
	out := api.Catalog{ConnectionId: req.Id, Schemas: []api.CatalogSchema{}}
	index := map[string]int{}
	for _, e := range entries {
		i, ok := index[e.SchemaName]
		if !ok {
			i = len(out.Schemas)
			index[e.SchemaName] = i
			out.Schemas = append(out.Schemas, api.CatalogSchema{Name: e.SchemaName, Tables: []api.CatalogTable{}})
		}
		cols := []api.CatalogColumn{}
		_ = json.Unmarshal(e.Columns, &cols)
		out.Schemas[i].Tables = append(out.Schemas[i].Tables, api.CatalogTable{Name: e.TableName, Kind: api.CatalogTableKind(e.Kind), Description: e.Description, Columns: cols})
		if out.RefreshedAt == nil || e.RefreshedAt.Time.After(*out.RefreshedAt) {
			out.RefreshedAt = timePtr(e.RefreshedAt.Time, true)
		}
	}
	return api.GetConnectionCatalog200JSONResponse(out), nil
}

// QueryConnection runs one read-only statement.
func (h *handlers) QueryConnection(ctx context.Context, req api.QueryConnectionRequestObject) (api.QueryConnectionResponseObject, error) {
	limit := 100
	if req.Body.Limit != nil {
		limit = *req.Body.Limit
	}
	r, err := h.connections.Query(ctx, principal(ctx), req.Id, req.Body.Sql, limit)
	if err != nil {
		return nil, err
	}
	return api.QueryConnection200JSONResponse{Columns: r.Columns, Rows: r.Rows, Truncated: r.Truncated}, nil
}

// ListConnectionObjects lists the objects of an s3 connection that a glob picks.
func (h *handlers) ListConnectionObjects(ctx context.Context, req api.ListConnectionObjectsRequestObject) (api.ListConnectionObjectsResponseObject, error) {
	glob, limit := "", 100
	if req.Params.Glob != nil {
		glob = *req.Params.Glob
	}
	if req.Params.Limit != nil {
		limit = int(*req.Params.Limit)
	}
	objs, more, err := h.connections.Objects(ctx, principal(ctx), req.Id, glob, limit)
	if err != nil {
		return nil, err
	}
	out := api.ObjectList{Objects: make([]api.StorageObject, 0, len(objs)), Truncated: more}
	for _, o := range objs {
		out.Objects = append(out.Objects, api.StorageObject{Key: o.Key, Size: o.Size, Etag: o.ETag, LastModified: o.LastModified.UTC()})
	}
	return api.ListConnectionObjects200JSONResponse(out), nil
}

// PreviewRestResource answers the first page of a REST API resource as the table it loads as.
func (h *handlers) PreviewRestResource(ctx context.Context, req api.PreviewRestResourceRequestObject) (api.PreviewRestResourceResponseObject, error) {
	limit := 100
	if req.Body.Limit != nil {
		limit = *req.Body.Limit
	}
	var resource, config map[string]any
	if req.Body.ResourceConfig != nil {
		resource = *req.Body.ResourceConfig
	}
	if req.Body.Config != nil {
		config = *req.Body.Config
	}
	p, err := h.connections.RESTPreview(ctx, principal(ctx), req.Id, req.Body.Resource, resource, config, limit)
	if err != nil {
		return nil, err
	}
	out := api.RestPreview{Table: p.Table, Columns: make([]api.RestPreviewColumn, 0, len(p.Columns)), Rows: p.Rows,
		Truncated: p.Truncated, ChildTables: p.ChildTables}
	for _, c := range p.Columns {
		out.Columns = append(out.Columns, api.RestPreviewColumn{Name: c.Name, Type: c.Type.String(), PrimaryKey: slices.Contains(p.PrimaryKey, c.Name)})
	}
	return api.PreviewRestResource200JSONResponse(out), nil
}
