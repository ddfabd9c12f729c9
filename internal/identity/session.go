// Sessions: sign-in, refresh-token rotation with reuse detection, sign-out and switching org.

package identity

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/audit"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/database"
)

// newSession stores a refresh token of family and signs an access token.
func (s *Service) newSession(ctx context.Context, tx pgx.Tx, user dbgen.User, org dbgen.Organization, role auth.Role, family uuid.UUID) (Session, error) {
	if err := database.SetScope(ctx, tx, database.Scope{OrgID: org.ID, UserID: user.ID}); err != nil {
		return Session{}, err
	}
	raw := auth.NewRefreshToken()
	if _, err := dbgen.New(tx).CreateRefreshToken(ctx, dbgen.CreateRefreshTokenParams{
		OrgID:     org.ID,
		UserID:    user.ID,
		TokenHash: auth.HashSecret(raw),
		Family:    pgtype.UUID{Bytes: family, Valid: true},
		ExpiresAt: pgtype.Timestamptz{Time: time.Now().Add(auth.RefreshTokenTTL), Valid: true},
	}); err != nil {
		return Session{}, fmt.Errorf("store refresh token: %w", err)
	}
	access, err := s.tokens.IssueAccess(user.ID, org.ID, role, family)
	if err != nil {
		return Session{}, fmt.Errorf("sign access token: %w", err)
	}
	return Session{
		User:         user,
		Org:          OrgSummary{ID: org.ID, Name: org.Name, Slug: org.Slug},
		Role:         role,
		AccessToken:  access,
		RefreshToken: raw,
		ExpiresIn:    int(auth.AccessTokenTTL.Seconds()),
	}, nil
}

// Login signs a user in to their first org. Unknown email, wrong password and inactive user get
// the same answer, in the same time.
func (s *Service) Login(ctx context.Context, rawEmail, password, clientIP string) (Session, error) {
	email := strings.ToLower(strings.TrimSpace(rawEmail))
	if err := s.limiter.Hit(ctx, s.limits.LoginPerIP, clientIP); err != nil {
		return Session{}, err
	}
	if err := s.limiter.Check(ctx, s.limits.LoginFailsEmail, email); err != nil {
		return Session{}, err
	}
	user, err := dbgen.New(s.db).GetUserByEmail(ctx, email)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		auth.VerifyPassword("", password)
		return Session{}, s.loginFailed(ctx, email)
	case err != nil:
		return Session{}, err
	}
	hash := ""
	if user.PasswordHash != nil {
		hash = *user.PasswordHash
	}
	if !auth.VerifyPassword(hash, password) || !user.IsActive {
		return Session{}, s.loginFailed(ctx, email)
	}
	_ = s.limiter.Clear(ctx, s.limits.LoginFailsEmail, email)

	return s.signIn(ctx, user, "password")
}

// signIn opens a session in the user's first org and records the sign-in.
func (s *Service) signIn(ctx context.Context, user dbgen.User, method string) (Session, error) {
	var sess Session
	err := database.InTx(ctx, s.db, database.Scope{UserID: user.ID}, func(tx pgx.Tx) error {
		q := dbgen.New(tx)
		memberships, err := q.ListUserMemberships(ctx, user.ID)
		if err != nil {
			return err
		}
		if len(memberships) == 0 {
			return apperr.New(apperr.Forbidden, "Your account is not a member of any organization. Ask an admin to invite you.")
		}
		m := memberships[0]
		org := dbgen.Organization{ID: m.OrgID, Name: m.OrgName, Slug: m.OrgSlug}
		role := auth.Role(m.Role)
		actx := auth.WithPrincipal(ctx, auth.Principal{UserID: user.ID, OrgID: org.ID, Role: role, Name: user.Email})
		if sess, err = s.newSession(actx, tx, user, org, role, uuid.New()); err != nil {
			return err
		}
		return audit.Write(actx, tx, audit.Entry{OrgID: org.ID, Action: "auth.login", ResourceType: "user",
			ResourceID: strconv.FormatInt(user.ID, 10), New: map[string]any{"method": method}})
	})
	return sess, err
}

// loginFailed counts a failure against the email (locking it after too many) and answers the
// one generic error.
func (s *Service) loginFailed(ctx context.Context, email string) error {
	if err := s.limiter.Hit(ctx, s.limits.LoginFailsEmail, email); err != nil {
		return err
	}
	return errBadCredentials
}

var errBadRefresh = apperr.New(apperr.Unauthenticated, "The session has expired or was signed out. Sign in again.")

// Refresh rotates a refresh token: the presented one is retired and a new pair issued in the
// same family. Presenting a retired token again is taken as theft: the whole family is revoked.
func (s *Service) Refresh(ctx context.Context, raw string) (Session, error) {
	if raw == "" {
		return Session{}, errBadRefresh
	}
	tok, err := dbgen.New(s.db).GetRefreshTokenByHash(ctx, auth.HashSecret(raw))
	if errors.Is(err, pgx.ErrNoRows) {
		return Session{}, errBadRefresh
	}
	if err != nil {
		return Session{}, err
	}
	scope := database.Scope{OrgID: tok.OrgID, UserID: tok.UserID}
	if tok.RotatedAt.Valid || tok.RevokedAt.Valid {
		if tok.RotatedAt.Valid && !tok.RevokedAt.Valid || tok.RotatedAt.Valid {
			s.revokeFamily(ctx, scope, tok.Family)
			s.logger.WarnContext(ctx, "refresh token reused; its session family was revoked", "user_id", tok.UserID, "org_id", tok.OrgID)
		}
		return Session{}, errBadRefresh
	}
	if tok.ExpiresAt.Time.Before(time.Now()) {
		return Session{}, errBadRefresh
	}

	var sess Session
	err = database.InTx(ctx, s.db, scope, func(tx pgx.Tx) error {
		q := dbgen.New(tx)
		user, err := q.GetUser(ctx, tok.UserID)
		if err != nil || !user.IsActive {
			return errBadRefresh
		}
		m, err := q.GetMembership(ctx, dbgen.GetMembershipParams{OrgID: tok.OrgID, UserID: tok.UserID})
		if err != nil {
			return errBadRefresh
		}
		org, err := q.GetOrganization(ctx, tok.OrgID)
		if err != nil {
			return errBadRefresh
		}
		if n, err := q.MarkRefreshTokenRotated(ctx, tok.ID); err != nil {
			return err
		} else if n != 1 {
			return errRefreshRace
		}
		sess, err = s.newSession(ctx, tx, user, org, auth.Role(m.Role), tok.Family.Bytes)
		return err
	})
	if errors.Is(err, errRefreshRace) {
		s.revokeFamily(ctx, scope, tok.Family)
		return Session{}, errBadRefresh
	}
	return sess, err
}

var errRefreshRace = errors.New("refresh token rotated concurrently")

func (s *Service) revokeFamily(ctx context.Context, scope database.Scope, family pgtype.UUID) {
	err := database.InTx(context.WithoutCancel(ctx), s.db, scope, func(tx pgx.Tx) error {
		return dbgen.New(tx).RevokeRefreshTokenFamily(ctx, family)
	})
	s.sessions.forget(family.Bytes)
	if err != nil {
		s.logger.ErrorContext(ctx, "revoke refresh token family", "error", err)
	}
}

// Logout ends a session: the family of the refresh token, and the session of the access token
// (a person's bearer token, for scripts that hold no refresh token). Its refresh tokens are
// revoked and its access tokens refused from then on. An unknown, invalid or already ended
// session is not an error.
func (s *Service) Logout(ctx context.Context, refresh, access string) error {
	type session struct {
		orgID, userID int64
		family        pgtype.UUID
	}
	var ends []session
	if refresh != "" {
		tok, err := dbgen.New(s.db).GetRefreshTokenByHash(ctx, auth.HashSecret(refresh))
		switch {
		case err == nil:
			ends = append(ends, session{tok.OrgID, tok.UserID, tok.Family})
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
	}
	if access != "" && !auth.IsAPIKey(access) {
		if userID, claims, err := s.tokens.ParseAccess(access); err == nil {
			sid := pgtype.UUID{Bytes: claims.Session(), Valid: true}
			if len(ends) == 0 || ends[0].family != sid {
				ends = append(ends, session{claims.OrgID, userID, sid})
			}
		}
	}
	for _, e := range ends {
		err := database.InTx(ctx, s.db, database.Scope{OrgID: e.orgID, UserID: e.userID}, func(tx pgx.Tx) error {
			q := dbgen.New(tx)
			if err := q.RevokeRefreshTokenFamily(ctx, e.family); err != nil {
				return err
			}
			user, err := q.GetUser(ctx, e.userID)
			if err != nil {
				return err
			}
			actx := auth.WithPrincipal(ctx, auth.Principal{UserID: user.ID, OrgID: e.orgID, Name: user.Email})
			return audit.Write(actx, tx, audit.Entry{OrgID: e.orgID, Action: "auth.logout", ResourceType: "user", ResourceID: strconv.FormatInt(user.ID, 10)})
		})
		s.sessions.forget(e.family.Bytes)
		if err != nil {
			return err
		}
	}
	return nil
}

// SwitchOrg issues a session for another org the signed-in user belongs to.
func (s *Service) SwitchOrg(ctx context.Context, p auth.Principal, orgID int64) (Session, error) {
	var sess Session
	err := database.InTx(ctx, s.db, database.Scope{OrgID: orgID, UserID: p.UserID}, func(tx pgx.Tx) error {
		q := dbgen.New(tx)
		m, err := q.GetMembership(ctx, dbgen.GetMembershipParams{OrgID: orgID, UserID: p.UserID})
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFoundf("You are not a member of organization %d.", orgID)
		}
		if err != nil {
			return err
		}
		org, err := q.GetOrganization(ctx, orgID)
		if err != nil {
			return apperr.NotFoundf("You are not a member of organization %d.", orgID)
		}
		user, err := q.GetUser(ctx, p.UserID)
		if err != nil {
			return err
		}
		sess, err = s.newSession(ctx, tx, user, org, auth.Role(m.Role), uuid.New())
		return err
	})
	return sess, err
}
