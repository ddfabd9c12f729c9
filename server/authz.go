package server

import (
	"context"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/audit"
	"github.com/datanika/datanika/internal/auth"
)

type echoCtxKey struct{}

// echoContext returns the Echo context of the request a strict handler serves (for cookies and
// the client address, which the generated request objects do not carry).
func echoContext(ctx context.Context) echo.Context {
	c, _ := ctx.Value(echoCtxKey{}).(echo.Context)
	return c
}

// authorize runs before every operation: it authenticates the credential (unless the operation
// is public), checks the permission the operation needs in auth.OperationPermissions against the
// principal's current role and scopes, and puts the principal in the request context. An
// operation missing from the table is refused, so a new endpoint is closed until it is listed.
func (h *handlers) authorize(operationID string) echo.MiddlewareFunc {
	perm, listed := auth.OperationPermissions[operationID]
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if !listed {
				return apperr.Newf(apperr.Forbidden, "Operation %s has no permission rule.", operationID)
			}
			req := c.Request()
			ctx := context.WithValue(req.Context(), echoCtxKey{}, c)
			ctx = audit.WithRequest(ctx, audit.Request{IP: c.RealIP(), UserAgent: req.UserAgent()})
			if perm != auth.Public {
				p, err := h.identity.Authenticate(ctx, bearerToken(req))
				if err != nil {
					return err
				}
				if !perm.Allows(p.Role, p.IsAPIKey(), p.Scopes) {
					return forbidden(perm, p)
				}
				ctx = auth.WithPrincipal(ctx, p)
			}
			c.SetRequest(req.WithContext(ctx))
			return next(c)
		}
	}
}

func forbidden(perm auth.Permission, p auth.Principal) error {
	switch {
	case p.IsAPIKey() && perm == auth.Session:
		return apperr.New(apperr.Forbidden, "API keys cannot do this; sign in as a person.")
	case p.IsAPIKey() && perm == auth.Owner:
		return apperr.New(apperr.Forbidden, "Only an owner, signed in, can do this.")
	case p.IsAPIKey() && p.Role.AtLeast(minRoleOf(perm)):
		return apperr.Newf(apperr.Forbidden, "This API key lacks the scope for this (it needs %s).", perm)
	default:
		return apperr.Newf(apperr.Forbidden, "Your role (%s) cannot do this; it needs %s.", p.Role, minRoleOf(perm))
	}
}

func minRoleOf(perm auth.Permission) auth.Role {
	switch perm {
	case auth.Write, auth.Run:
		return auth.RoleEditor
	case auth.Admin:
		return auth.RoleAdmin
	case auth.Owner:
		return auth.RoleOwner
	default:
		return auth.RoleViewer
	}
}

func bearerToken(r *http.Request) string {
	h := r.Header.Get(echo.HeaderAuthorization)
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// principal returns the request's principal; operations that are not public always have one.
func principal(ctx context.Context) auth.Principal {
	p, _ := auth.PrincipalFrom(ctx)
	return p
}
