package server

import (
	"bytes"
	"context"
	"errors"
	"io"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/transformation"
)

func toAPIImportCounts(c transformation.ImportCounts) api.ImportCounts {
	return api.ImportCounts{Transformations: c.Transformations, Macros: c.Macros, Seeds: c.Seeds, Sources: c.Sources,
		Tests: c.Tests, Snapshots: c.Snapshots}
}

// ImportTransformations reads a zipped dbt project into the org's project.
func (h *handlers) ImportTransformations(ctx context.Context, req api.ImportTransformationsRequestObject) (api.ImportTransformationsResponseObject, error) {
	missing := apperr.Invalidf([]apperr.FieldError{{Field: "file", Message: "is required"}}, "Send the zipped project as multipart/form-data in a part named file.")
	if req.Body == nil {
		return nil, missing
	}
	var data []byte
	for data == nil {
		part, err := req.Body.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, missing
		}
		if err != nil {
			return nil, apperr.New(apperr.BadRequest, "The multipart body is malformed.").WithCause(err)
		}
		if part.FormName() != "file" {
			_ = part.Close()
			continue
		}
		var buf bytes.Buffer
		n, err := io.Copy(&buf, io.LimitReader(part, transformation.MaxImportBytes+1))
		_ = part.Close()
		if err != nil {
			return nil, apperr.New(apperr.BadRequest, "The upload was cut off.").WithCause(err)
		}
		if n > transformation.MaxImportBytes {
			return nil, apperr.New(apperr.TooLarge, "A project zip may be at most 50 MiB.")
		}
		data = buf.Bytes()
	}
	onConflict := ""
	if req.Params.OnConflict != nil {
		onConflict = string(*req.Params.OnConflict)
	}
	rep, err := h.transformations.Import(ctx, principal(ctx), data, req.Params.DestinationConnectionId, onConflict)
	if err != nil {
		return nil, err
	}
	warnings := rep.Warnings
	if warnings == nil {
		warnings = []string{}
	}
	return api.ImportTransformations200JSONResponse(api.ImportReport{Created: toAPIImportCounts(rep.Created),
		Updated: toAPIImportCounts(rep.Updated), Skipped: toAPIImportCounts(rep.Skipped), Warnings: warnings}), nil
}

// ExportTransformations answers the org's project as a zip dbt-core runs.
func (h *handlers) ExportTransformations(ctx context.Context, req api.ExportTransformationsRequestObject) (api.ExportTransformationsResponseObject, error) {
	b, err := h.transformations.Export(ctx, principal(ctx), req.Params.DestinationConnectionId)
	if err != nil {
		return nil, err
	}
	return api.ExportTransformations200ApplicationzipResponse{Body: bytes.NewReader(b), ContentLength: int64(len(b))}, nil
}
