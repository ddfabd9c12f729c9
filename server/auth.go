package server

import (
	"context"
	"net/http"
	"time"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/identity"
)

// refreshCookie holds the refresh token for the SPA: HttpOnly (no script reads it), SameSite
// Strict (no other site sends it), scoped to the auth endpoints.
const (
	refreshCookieName = "datanika_refresh"
	refreshCookiePath = "/api/v1/auth"
)

func (h *handlers) refreshCookie(token string, maxAge time.Duration) *string {
	c := http.Cookie{ //nolint:gosec // Secure is set in production (behind TLS); plain-HTTP local use needs it off
		Name:     refreshCookieName,
		Value:    token,
		Path:     refreshCookiePath,
		MaxAge:   int(maxAge.Seconds()),
		HttpOnly: true,
		Secure:   h.production,
		SameSite: http.SameSiteStrictMode,
	}
	if maxAge <= 0 {
		c.MaxAge = -1
	}
	s := c.String()
	return &s
}

func cookieToken(ctx context.Context) string {
	if c := echoContext(ctx); c != nil {
		if ck, err := c.Cookie(refreshCookieName); err == nil {
			return ck.Value
		}
	}
	return ""
}

func clientIP(ctx context.Context) string {
	if c := echoContext(ctx); c != nil {
		return c.RealIP()
	}
	return ""
}

func toAPITokenResponse(s identity.Session) api.TokenResponse {
	return api.TokenResponse{
		User:         toAPIUserSummary(s.User),
		Org:          api.OrgSummary{Id: s.Org.ID, Name: s.Org.Name, Slug: s.Org.Slug},
		Role:         api.Role(s.Role),
		AccessToken:  s.AccessToken,
		RefreshToken: s.RefreshToken,
		ExpiresIn:    int32(s.ExpiresIn), //nolint:gosec // 900 seconds
		TokenType:    api.TokenResponseTokenTypeBearer,
	}
}

func toAPIUserSummary(u dbgen.User) api.UserSummary {
	return api.UserSummary{Id: u.ID, Email: u.Email, FullName: u.FullName}
}

// Signup creates an account (and org) or accepts an invitation.
func (h *handlers) Signup(ctx context.Context, req api.SignupRequestObject) (api.SignupResponseObject, error) {
	in := identity.SignupInput{Email: req.Body.Email, Password: req.Body.Password, FullName: req.Body.FullName}
	if req.Body.OrgName != nil {
		in.OrgName = *req.Body.OrgName
	}
	if req.Body.InviteToken != nil {
		in.InviteToken = *req.Body.InviteToken
	}
	s, err := h.identity.Signup(ctx, in, clientIP(ctx))
	if err != nil {
		return nil, err
	}
	return api.Signup201JSONResponse{Body: toAPITokenResponse(s), Headers: api.Signup201ResponseHeaders{SetCookie: h.refreshCookie(s.RefreshToken, auth.RefreshTokenTTL)}}, nil
}

// Login signs in with email and password.
func (h *handlers) Login(ctx context.Context, req api.LoginRequestObject) (api.LoginResponseObject, error) {
	s, err := h.identity.Login(ctx, req.Body.Email, req.Body.Password, clientIP(ctx))
	if err != nil {
		return nil, err
	}
	return api.Login200JSONResponse{Body: toAPITokenResponse(s), Headers: api.Login200ResponseHeaders{SetCookie: h.refreshCookie(s.RefreshToken, auth.RefreshTokenTTL)}}, nil
}

// csrfHeader must accompany a request that relies on the refresh cookie: a cross-site page can
// make a browser send the cookie (SameSite aside), but cannot add a custom header without a CORS
// preflight, which this server never grants.
const csrfHeader = "X-Requested-With"

// tokenFromBodyOrCookie picks the refresh token of a request: the body's (scripts), else the
// cookie's (the SPA), which needs the CSRF header.
func tokenFromBodyOrCookie(ctx context.Context, body *api.RefreshRequest) (string, error) {
	if body != nil && body.RefreshToken != nil && *body.RefreshToken != "" {
		return *body.RefreshToken, nil
	}
	raw := cookieToken(ctx)
	if raw != "" {
		if c := echoContext(ctx); c == nil || c.Request().Header.Get(csrfHeader) == "" {
			return "", apperr.Newf(apperr.Forbidden, "A request that uses the session cookie must send the %s header.", csrfHeader)
		}
	}
	return raw, nil
}

// RefreshTokens rotates the refresh token from the body or the cookie.
func (h *handlers) RefreshTokens(ctx context.Context, req api.RefreshTokensRequestObject) (api.RefreshTokensResponseObject, error) {
	raw, err := tokenFromBodyOrCookie(ctx, req.Body)
	if err != nil {
		return nil, err
	}
	s, err := h.identity.Refresh(ctx, raw)
	if err != nil {
		return nil, err
	}
	return api.RefreshTokens200JSONResponse{Body: toAPITokenResponse(s), Headers: api.RefreshTokens200ResponseHeaders{SetCookie: h.refreshCookie(s.RefreshToken, auth.RefreshTokenTTL)}}, nil
}

// Logout ends the session of the refresh token (body or cookie) and of the bearer access token,
// if sent, and clears the cookie.
func (h *handlers) Logout(ctx context.Context, req api.LogoutRequestObject) (api.LogoutResponseObject, error) {
	raw, err := tokenFromBodyOrCookie(ctx, req.Body)
	if err != nil {
		return nil, err
	}
	bearer := ""
	if c := echoContext(ctx); c != nil {
		bearer = bearerToken(c.Request())
	}
	if err := h.identity.Logout(ctx, raw, bearer); err != nil {
		return nil, err
	}
	if c := echoContext(ctx); c != nil {
		c.Response().Header().Add("Set-Cookie", *h.refreshCookie("", 0))
	}
	return api.Logout204Response{}, nil
}

// SwitchOrg issues tokens for another org of the user.
func (h *handlers) SwitchOrg(ctx context.Context, req api.SwitchOrgRequestObject) (api.SwitchOrgResponseObject, error) {
	s, err := h.identity.SwitchOrg(ctx, principal(ctx), req.Body.OrgId)
	if err != nil {
		return nil, err
	}
	if old := cookieToken(ctx); old != "" {
		_ = h.identity.Logout(ctx, old, "")
	}
	return api.SwitchOrg200JSONResponse{Body: toAPITokenResponse(s), Headers: api.SwitchOrg200ResponseHeaders{SetCookie: h.refreshCookie(s.RefreshToken, auth.RefreshTokenTTL)}}, nil
}

func toAPIMe(me identity.Me) api.Me {
	out := api.Me{
		User:        toAPIUserSummary(me.User),
		Org:         api.OrgSummary{Id: me.Org.ID, Name: me.Org.Name, Slug: me.Org.Slug},
		Role:        api.Role(me.Role),
		Memberships: make([]api.Membership, 0, len(me.Memberships)),
	}
	for _, m := range me.Memberships {
		out.Memberships = append(out.Memberships, api.Membership{
			Org:  api.OrgSummary{Id: m.OrgID, Name: m.OrgName, Slug: m.OrgSlug},
			Role: api.Role(m.Role),
		})
	}
	return out
}

// GetMe returns the signed-in user.
func (h *handlers) GetMe(ctx context.Context, _ api.GetMeRequestObject) (api.GetMeResponseObject, error) {
	me, err := h.identity.GetMe(ctx, principal(ctx))
	if err != nil {
		return nil, err
	}
	return api.GetMe200JSONResponse(toAPIMe(me)), nil
}

// UpdateMe changes the user's name or password.
func (h *handlers) UpdateMe(ctx context.Context, req api.UpdateMeRequestObject) (api.UpdateMeResponseObject, error) {
	me, err := h.identity.UpdateMe(ctx, principal(ctx), identity.UpdateMeInput{
		FullName: req.Body.FullName, Password: req.Body.Password, CurrentPassword: req.Body.CurrentPassword,
	})
	if err != nil {
		return nil, err
	}
	return api.UpdateMe200JSONResponse(toAPIMe(me)), nil
}
