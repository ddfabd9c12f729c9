package connection

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/connectors"
	"github.com/datanika/datanika/internal/connectors/s3"
	"github.com/datanika/datanika/internal/load"
)

// Browsing a source as a pipeline would read it, before the pipeline exists: the objects an s3
// source's glob picks, the first page of a REST API resource as its table. Both go through the
// load engine's own code, so what the wizard shows is what a run does.

// browseTimeout bounds one listing or preview: a wizard waits for it.
const browseTimeout = connectors.StatementTimeout

// Objects lists, of a saved s3 connection, the objects a source with config.files.glob set
// to glob reads: at most limit, and whether more match.
func (s *Service) Objects(ctx context.Context, p auth.Principal, id int64, glob string, limit int) ([]s3.Object, bool, error) {
	conn, err := s.Get(ctx, p, id)
	if err != nil {
		return nil, false, err
	}
	if conn.Type != "s3" {
		return nil, false, apperr.Invalidf(nil, "A %s connection has no objects to list; only s3 connections do.", conn.Type)
	}
	if _, err := load.ObjectMatcher("", glob); err != nil {
		var ge *load.GlobError
		if errors.As(err, &ge) {
			return nil, false, apperr.Invalidf([]apperr.FieldError{{Field: "glob", Message: "is not valid: " + ge.Reason}}, "The glob is not valid.")
		}
		return nil, false, err
	}
	ctx, cancel := context.WithTimeout(ctx, browseTimeout)
	defer cancel()
	objs, more, err := load.ListS3Objects(ctx, conn.Config, s.envFor(conn), glob, limit)
	if err != nil {
		// The connector's message names the bucket, never a credential.
		return nil, false, apperr.New(apperr.Conflict, "The objects could not be listed: "+err.Error()).WithCause(err)
	}
	return objs, more, nil
}

// RESTPreview is the first page of resource of a saved rest_api connection as the table a
// pipeline of config (a pipeline config as JSON, nil for the defaults) would load: resource
// (an unsaved resource config, nil for the stored one) replaces the stored resource of that
// name, or is added, for this preview alone.
func (s *Service) RESTPreview(ctx context.Context, p auth.Principal, id int64, name string, resource, config map[string]any, limit int) (*load.RESTPreview, error) {
	conn, err := s.Get(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if conn.Type != "rest_api" {
		return nil, apperr.Invalidf(nil, "A %s connection has no resources to preview; only rest_api connections do.", conn.Type)
	}
	raw := []byte("{}")
	if config != nil {
		if raw, err = json.Marshal(config); err != nil {
			return nil, fmt.Errorf("encode the pipeline config: %w", err)
		}
	}
	cfg, err := load.ParseConfig(raw)
	if err != nil {
		return nil, pipelineConfigError(err)
	}
	connCfg := conn.Config
	if resource != nil {
		// An unsaved resource chooses the requests made with the connection's credentials: only
		// whoever may change the connection may send one.
		if !auth.Write.Allows(p.Role, p.IsAPIKey(), p.Scopes) {
			return nil, apperr.New(apperr.Forbidden, "Previewing an unsaved resource config needs the editor role; a viewer previews the stored resources.")
		}
		if connCfg, err = s.withResource(conn, name, resource); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, browseTimeout)
	defer cancel()
	out, err := load.PreviewREST(ctx, connCfg, s.envFor(conn), name, cfg, limit)
	var fe load.FieldErrors
	switch {
	case errors.Is(err, load.ErrNoTable):
		return nil, apperr.Invalidf([]apperr.FieldError{{Field: "resource", Message: "is not a resource of the connection"}}, "No resource %q.", name)
	case errors.As(err, &fe):
		return nil, pipelineConfigError(err)
	case err != nil:
		// The connector's messages are free of secrets (they are scrubbed where they are made).
		return nil, apperr.New(apperr.Conflict, "The resource could not be previewed: "+err.Error()).WithCause(err)
	}
	return out, nil
}

// withResource is the connection's config with resource (named name) in place of the stored
// resource of that name, or added; a config the type refuses is Invalid, its fields under
// resource_config.
func (s *Service) withResource(conn Connection, name string, resource map[string]any) (map[string]any, error) {
	if n, ok := resource["name"].(string); !ok || n != name {
		return nil, apperr.Invalidf([]apperr.FieldError{{Field: "resource_config.name", Message: "must be the resource's name"}}, "The resource config names another resource.")
	}
	stored, _ := conn.Config["resources"].([]any)
	resources := make([]any, 0, len(stored)+1)
	index := -1
	for _, r := range stored {
		if m, ok := r.(map[string]any); ok && m["name"] == name {
			index = len(resources)
			resources = append(resources, resource)
			continue
		}
		resources = append(resources, r)
	}
	if index < 0 {
		index = len(resources)
		resources = append(resources, resource)
	}
	cfg := make(map[string]any, len(conn.Config))
	for k, v := range conn.Config {
		cfg[k] = v
	}
	cfg["resources"] = resources
	err := s.validate(conn.Type, cfg)
	var aerr *apperr.Error
	if errors.As(err, &aerr) && aerr.Kind == apperr.Invalid {
		prefix := fmt.Sprintf("config.resources[%d]", index)
		fields := make([]apperr.FieldError, 0, len(aerr.Fields))
		for _, f := range aerr.Fields {
			if rest, ok := strings.CutPrefix(f.Field, prefix); ok {
				f.Field = "resource_config" + rest
			}
			fields = append(fields, f)
		}
		return nil, apperr.Invalidf(fields, "The resource config is invalid.")
	}
	return cfg, err
}

// pipelineConfigError is a pipeline config's validation failure, its fields under "config".
func pipelineConfigError(err error) error {
	var fe load.FieldErrors
	if !errors.As(err, &fe) {
		return err
	}
	return apperr.Invalidf(fe, "The pipeline config is invalid.")
}
