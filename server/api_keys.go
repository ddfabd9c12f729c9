package server

import (
	"context"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/org"
)

func toAPIKey(k org.APIKey) api.ApiKey {
	scopes := make([]api.ApiKeyScope, 0, len(k.Scopes))
	for _, s := range k.Scopes {
		scopes = append(scopes, api.ApiKeyScope(s))
	}
	return api.ApiKey{
		Id: k.ID, Name: k.Name, Prefix: k.Prefix, Scopes: scopes,
		ExpiresAt:  timePtr(k.ExpiresAt.Time, k.ExpiresAt.Valid),
		LastUsedAt: timePtr(k.LastUsedAt.Time, k.LastUsedAt.Valid),
		CreatedBy:  api.UserSummary{Id: k.CreatedBy, Email: k.CreatorEmail, FullName: k.CreatorName},
		CreatedAt:  k.CreatedAt.Time.UTC(),
	}
}

// ListApiKeys pages the org's live keys (never their secrets).
func (h *handlers) ListApiKeys(ctx context.Context, req api.ListApiKeysRequestObject) (api.ListApiKeysResponseObject, error) { //nolint:revive // name from the contract
	after, err := decodeCursor(req.Params.Cursor)
	if err != nil {
		return nil, err
	}
	limit := pageLimit(req.Params.Limit)
	rows, err := h.org.ListAPIKeys(ctx, principal(ctx), after, limit)
	if err != nil {
		return nil, err
	}
	var out api.ApiKeyList
	out.Items, out.NextCursor = page(rows, limit, func(k org.APIKey) int64 { return k.ID }, toAPIKey)
	return api.ListApiKeys200JSONResponse(out), nil
}

// CreateApiKey creates a key; the raw key is in this answer only.
func (h *handlers) CreateApiKey(ctx context.Context, req api.CreateApiKeyRequestObject) (api.CreateApiKeyResponseObject, error) { //nolint:revive // name from the contract
	scopes := make([]string, 0, len(req.Body.Scopes))
	for _, s := range req.Body.Scopes {
		scopes = append(scopes, string(s))
	}
	k, raw, err := h.org.CreateAPIKey(ctx, principal(ctx), org.CreateAPIKeyInput{Name: req.Body.Name, Scopes: scopes, ExpiresAt: req.Body.ExpiresAt})
	if err != nil {
		return nil, err
	}
	r := toAPIKey(k)
	return api.CreateApiKey201JSONResponse{
		Id: r.Id, Name: r.Name, Prefix: r.Prefix, Scopes: r.Scopes, ExpiresAt: r.ExpiresAt, LastUsedAt: r.LastUsedAt,
		CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, Key: raw,
	}, nil
}

// RevokeApiKey revokes a key.
func (h *handlers) RevokeApiKey(ctx context.Context, req api.RevokeApiKeyRequestObject) (api.RevokeApiKeyResponseObject, error) { //nolint:revive // name from the contract
	if err := h.org.RevokeAPIKey(ctx, principal(ctx), req.Id); err != nil {
		return nil, err
	}
	return api.RevokeApiKey204Response{}, nil
}
