package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
)

func toAPIFile(f dbgen.File) api.File {
	cols := []api.DetectedColumn{}
	_ = json.Unmarshal(f.DetectedColumns, &cols)
	return api.File{
		Id: f.ID, Name: f.Name, Size: f.Size, Sha256: f.Sha256, Format: api.FileFormat(f.Format),
		Compression: api.FileCompression(f.Compression), DetectedColumns: cols, CreatedAt: f.CreatedAt.Time.UTC(),
	}
}

// UploadFile streams the multipart part "file" to storage.
func (h *handlers) UploadFile(ctx context.Context, req api.UploadFileRequestObject) (api.UploadFileResponseObject, error) {
	if req.Body == nil {
		return nil, apperr.Invalidf([]apperr.FieldError{{Field: "file", Message: "is required"}}, "Send the file as multipart/form-data in a part named file.")
	}
	for {
		part, err := req.Body.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, apperr.Invalidf([]apperr.FieldError{{Field: "file", Message: "is required"}}, "Send the file as multipart/form-data in a part named file.")
		}
		if err != nil {
			return nil, apperr.New(apperr.BadRequest, "The multipart body is malformed.").WithCause(err)
		}
		if part.FormName() != "file" {
			_ = part.Close()
			continue
		}
		f, err := h.files.Upload(ctx, principal(ctx), part.FileName(), part)
		_ = part.Close()
		if err != nil {
			return nil, err
		}
		return api.UploadFile201JSONResponse(toAPIFile(f)), nil
	}
}

// ListFiles pages the org's files.
func (h *handlers) ListFiles(ctx context.Context, req api.ListFilesRequestObject) (api.ListFilesResponseObject, error) {
	after, err := decodeCursor(req.Params.Cursor)
	if err != nil {
		return nil, err
	}
	limit := pageLimit(req.Params.Limit)
	rows, err := h.files.List(ctx, principal(ctx), after, limit)
	if err != nil {
		return nil, err
	}
	var out api.FileList
	out.Items, out.NextCursor = page(rows, limit, func(f dbgen.File) int64 { return f.ID }, toAPIFile)
	return api.ListFiles200JSONResponse(out), nil
}

// DeleteFile deletes a file.
func (h *handlers) DeleteFile(ctx context.Context, req api.DeleteFileRequestObject) (api.DeleteFileResponseObject, error) {
	if err := h.files.Delete(ctx, principal(ctx), req.Id); err != nil {
		return nil, err
	}
	return api.DeleteFile204Response{}, nil
}
