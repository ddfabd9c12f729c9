// Authenticating each request: an access token (its session still live) or an API key, with
// the membership's current role, cached for a few seconds.

package identity

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/database"
)

// Forget drops the cached role of a membership (after its role changed or it was removed).
func (s *Service) Forget(userID, orgID int64) {
	s.roles.forget(membershipKey{userID, orgID})
}

// ForgetOrg drops every cached role in an org (after the org was deleted).
func (s *Service) ForgetOrg(orgID int64) {
	s.roles.forgetIf(func(k membershipKey, _ cachedRole) bool { return k.orgID == orgID })
}

var errNoCredential = apperr.New(apperr.Unauthenticated, "Sign in, or send an API key as a bearer token.")
var errBadCredential = apperr.New(apperr.Unauthenticated, "The access token or API key is invalid or expired.")

var errSessionEnded = apperr.New(apperr.Unauthenticated, "This session was signed out. Sign in again.")

// Authenticate turns a bearer credential (an access token or an API key) into a principal with
// the membership's current role. An access token also needs its session to be live: one that
// was signed out, revoked for refresh-token reuse or ended by a password change is refused.
func (s *Service) Authenticate(ctx context.Context, bearer string) (auth.Principal, error) {
	if bearer == "" {
		return auth.Principal{}, errNoCredential
	}
	if auth.IsAPIKey(bearer) {
		return s.authenticateKey(ctx, bearer)
	}
	userID, claims, err := s.tokens.ParseAccess(bearer)
	if err != nil {
		return auth.Principal{}, errBadCredential.WithCause(err)
	}
	sid := claims.Session()
	mk := membershipKey{userID, claims.OrgID}
	r, roleKnown := s.roles.get(mk)
	sess, sessionKnown := s.sessions.get(sid)
	if !roleKnown || !sessionKnown || sess.userID != userID {
		// One transaction reads whatever the caches lack.
		err := database.InTx(ctx, s.db, database.Scope{OrgID: claims.OrgID, UserID: userID}, func(tx pgx.Tx) error {
			q := dbgen.New(tx)
			live, err := q.SessionIsLive(ctx, dbgen.SessionIsLiveParams{Family: pgtype.UUID{Bytes: sid, Valid: true}, UserID: userID})
			if err != nil {
				return err
			}
			sess = cachedSession{userID: userID, live: live}
			if !live || roleKnown {
				return nil
			}
			r, err = loadRole(ctx, q, userID, claims.OrgID)
			return err
		})
		if err != nil {
			return auth.Principal{}, err
		}
		s.sessions.put(sid, sess)
		if sess.live && !roleKnown {
			s.roles.put(mk, r)
		}
	}
	if !sess.live {
		return auth.Principal{}, errSessionEnded
	}
	return auth.Principal{UserID: userID, OrgID: claims.OrgID, Role: r.role, Name: r.email, SessionID: sid}, nil
}

// loadRole reads a membership's current role (and the user's email for the audit log).
func loadRole(ctx context.Context, q *dbgen.Queries, userID, orgID int64) (cachedRole, error) {
	user, err := q.GetUser(ctx, userID)
	if err != nil || !user.IsActive {
		return cachedRole{}, errBadCredential
	}
	m, err := q.GetMembership(ctx, dbgen.GetMembershipParams{OrgID: orgID, UserID: userID})
	if err != nil {
		return cachedRole{}, apperr.New(apperr.Unauthenticated, "You are no longer a member of this organization.")
	}
	if _, err := q.GetOrganization(ctx, orgID); err != nil {
		return cachedRole{}, apperr.New(apperr.Unauthenticated, "This organization no longer exists.")
	}
	return cachedRole{role: auth.Role(m.Role), email: user.Email}, nil
}

func (s *Service) currentRole(ctx context.Context, userID, orgID int64) (auth.Role, string, error) {
	mk := membershipKey{userID, orgID}
	if r, ok := s.roles.get(mk); ok {
		return r.role, r.email, nil
	}
	var r cachedRole
	err := database.InTx(ctx, s.db, database.Scope{OrgID: orgID, UserID: userID}, func(tx pgx.Tx) error {
		var err error
		r, err = loadRole(ctx, dbgen.New(tx), userID, orgID)
		return err
	})
	if err != nil {
		return "", "", err
	}
	s.roles.put(mk, r)
	return r.role, r.email, nil
}

func (s *Service) authenticateKey(ctx context.Context, raw string) (auth.Principal, error) {
	key, err := dbgen.New(s.db).GetAPIKeyByHash(ctx, auth.HashSecret(raw))
	if errors.Is(err, pgx.ErrNoRows) || err == nil && (key.RevokedAt.Valid || key.ExpiresAt.Valid && key.ExpiresAt.Time.Before(time.Now())) {
		return auth.Principal{}, errBadCredential
	}
	if err != nil {
		return auth.Principal{}, err
	}
	// The key acts as its creator, with the creator's current role: it dies with the membership.
	role, _, err := s.currentRole(ctx, key.CreatedBy, key.OrgID)
	if err != nil {
		return auth.Principal{}, errBadCredential
	}
	scopes := make([]auth.Scope, 0, len(key.Scopes))
	for _, sc := range key.Scopes {
		scopes = append(scopes, auth.Scope(sc))
	}
	if !key.LastUsedAt.Valid || time.Since(key.LastUsedAt.Time) > time.Minute {
		err := database.InTx(ctx, s.db, database.Scope{OrgID: key.OrgID}, func(tx pgx.Tx) error {
			return dbgen.New(tx).TouchAPIKey(ctx, dbgen.TouchAPIKeyParams{OrgID: key.OrgID, ID: key.ID})
		})
		if err != nil {
			s.logger.WarnContext(ctx, "record API key use", "error", err)
		}
	}
	return auth.Principal{UserID: key.CreatedBy, OrgID: key.OrgID, Role: role, APIKeyID: key.ID, Scopes: scopes, Name: key.Name}, nil
}
