package server

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/identity"
	"github.com/datanika/datanika/internal/oauth"
)

// The flow cookie must travel on the provider's top-level redirect back to us, so it is
// SameSite=Lax (Strict would not be sent), HttpOnly, and scoped to the OAuth endpoints.
const (
	oauthCookieName = "datanika_oauth"
	oauthCookiePath = "/api/v1/auth/oauth"
)

// safeRedirect keeps only an app path ("/pipelines?x=1"): never another origin.
func safeRedirect(r *string) string {
	if r == nil || *r == "" || !strings.HasPrefix(*r, "/") || strings.HasPrefix(*r, "//") || strings.Contains(*r, `\`) {
		return "/"
	}
	return *r
}

func (h *handlers) provider(name api.Provider) (*oauth.Provider, error) {
	p, ok := h.oauth[string(name)]
	if !ok {
		return nil, apperr.NotFoundf("Sign-in with %s is not enabled on this installation.", name)
	}
	return p, nil
}

func (h *handlers) setFlowCookie(ctx context.Context, value string, maxAge int) {
	c := echoContext(ctx)
	if c == nil {
		return
	}
	ck := http.Cookie{ //nolint:gosec // Secure is set in production (behind TLS)
		Name: oauthCookieName, Value: value, Path: oauthCookiePath, MaxAge: maxAge,
		HttpOnly: true, Secure: h.production, SameSite: http.SameSiteLaxMode,
	}
	c.Response().Header().Add("Set-Cookie", ck.String())
}

// ListAuthProviders lists the enabled providers.
func (h *handlers) ListAuthProviders(context.Context, api.ListAuthProvidersRequestObject) (api.ListAuthProvidersResponseObject, error) {
	out := api.AuthProviderList{Providers: []api.AuthProvider{}}
	for _, name := range []string{"google", "github"} {
		if p, ok := h.oauth[name]; ok {
			out.Providers = append(out.Providers, api.AuthProvider{
				Name: api.AuthProviderName(name), Label: p.Label, StartUrl: "/api/v1/auth/oauth/" + name + "/start",
			})
		}
	}
	return api.ListAuthProviders200JSONResponse(out), nil
}

// StartOAuth sends the browser to the provider.
func (h *handlers) StartOAuth(ctx context.Context, req api.StartOAuthRequestObject) (api.StartOAuthResponseObject, error) {
	p, err := h.provider(req.Provider)
	if err != nil {
		return nil, err
	}
	authURL, flow := p.Start(safeRedirect(req.Params.Redirect), 0)
	h.setFlowCookie(ctx, oauth.SealFlow(h.secretKey, flow), int(oauth.FlowTTL.Seconds()))
	return api.StartOAuth302Response{Headers: api.StartOAuth302ResponseHeaders{Location: &authURL}}, nil
}

// LinkOAuth starts a flow that links the provider account to the signed-in user.
func (h *handlers) LinkOAuth(ctx context.Context, req api.LinkOAuthRequestObject) (api.LinkOAuthResponseObject, error) {
	p, err := h.provider(req.Provider)
	if err != nil {
		return nil, err
	}
	var redirect *string
	if req.Body != nil {
		redirect = req.Body.Redirect
	}
	authURL, flow := p.Start(safeRedirect(redirect), principal(ctx).UserID)
	h.setFlowCookie(ctx, oauth.SealFlow(h.secretKey, flow), int(oauth.FlowTTL.Seconds()))
	return api.LinkOAuth200JSONResponse{AuthorizeUrl: authURL}, nil
}

// OauthCallback finishes a flow and returns the browser to the app, signed in (the refresh
// cookie is set; the app then calls /auth/refresh) or with an error code. No token is ever in
// the redirect URL.
func (h *handlers) OauthCallback(ctx context.Context, req api.OauthCallbackRequestObject) (api.OauthCallbackResponseObject, error) {
	fail := func(code string) (api.OauthCallbackResponseObject, error) {
		h.setFlowCookie(ctx, "", -1)
		loc := "/sign-in?oauth_error=" + url.QueryEscape(code)
		return api.OauthCallback302Response{Headers: api.OauthCallback302ResponseHeaders{Location: &loc}}, nil
	}
	p, err := h.provider(req.Provider)
	if err != nil {
		return nil, err
	}
	c := echoContext(ctx)
	ck, err := c.Cookie(oauthCookieName)
	if err != nil {
		return fail("failed")
	}
	flow, err := oauth.OpenFlow(h.secretKey, ck.Value)
	if err != nil || flow.Provider != p.Name || req.Params.State == nil || *req.Params.State != flow.State {
		return fail("failed")
	}
	if req.Params.Error != nil || req.Params.Code == nil {
		return fail("denied")
	}
	id, err := p.Finish(ctx, h.oauthClient, flow, *req.Params.Code)
	if err != nil {
		h.logger.WarnContext(ctx, "OAuth exchange failed", "provider", p.Name, "error", err)
		return fail("failed")
	}
	sess, err := h.identity.OAuthSignIn(ctx, p.Name, id, flow.LinkUserID)
	switch {
	case errors.Is(err, identity.ErrEmailUnverified):
		return fail("email_unverified")
	case errors.Is(err, identity.ErrAccountExists):
		return fail("account_exists")
	case errors.Is(err, identity.ErrIdentityTaken):
		return fail("identity_taken")
	case err != nil:
		if apperr.KindOf(err) == apperr.Internal {
			return nil, err
		}
		return fail("failed")
	}
	h.setFlowCookie(ctx, "", -1)
	c.Response().Header().Add("Set-Cookie", *h.refreshCookie(sess.RefreshToken, auth.RefreshTokenTTL))
	loc := "/auth/complete?redirect=" + url.QueryEscape(flow.Redirect)
	return api.OauthCallback302Response{Headers: api.OauthCallback302ResponseHeaders{Location: &loc}}, nil
}
