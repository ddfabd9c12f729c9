package identity

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/oauth"
)

// Why a provider sign-in was refused; the callback sends the code to the app.
var (
	ErrEmailUnverified = apperr.New(apperr.Forbidden, "The provider has not verified this email address.")
	ErrAccountExists   = apperr.New(apperr.Conflict, "An account with this email exists: sign in with your password, then link the provider from your profile.")
	ErrIdentityTaken   = apperr.New(apperr.Conflict, "This provider account is already linked to another user.")
)

// OAuthSignIn signs in with a provider identity. A linked identity signs its user in. With
// linkUserID (a flow started by a signed-in user) the identity is linked to that user. An unknown
// identity whose email has no account gets a new account and org; one whose email belongs to an
// existing account is refused: linking needs that account's owner signed in, never an email match.
func (s *Service) OAuthSignIn(ctx context.Context, provider string, id oauth.Identity, linkUserID int64) (Session, error) {
	if id.Email == "" || !id.EmailVerified || id.Subject == "" {
		return Session{}, ErrEmailUnverified
	}
	q := dbgen.New(s.db)
	existing, err := q.GetOAuthIdentity(ctx, dbgen.GetOAuthIdentityParams{Provider: provider, Subject: id.Subject})
	switch {
	case err == nil:
		if linkUserID != 0 && existing.UserID != linkUserID {
			return Session{}, ErrIdentityTaken
		}
		user, err := q.GetUser(ctx, existing.UserID)
		if err != nil || !user.IsActive {
			return Session{}, errBadCredentials
		}
		return s.signIn(ctx, user, provider)
	case !errors.Is(err, pgx.ErrNoRows):
		return Session{}, err
	}

	link := func(q *dbgen.Queries, user dbgen.User) error {
		_, err := q.CreateOAuthIdentity(ctx, dbgen.CreateOAuthIdentityParams{UserID: user.ID, Provider: provider, Subject: id.Subject, Email: id.Email})
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			return ErrIdentityTaken
		}
		return err
	}
	if linkUserID != 0 {
		user, err := q.GetUser(ctx, linkUserID)
		if err != nil || !user.IsActive {
			return Session{}, errBadCredentials
		}
		if err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error { return link(dbgen.New(tx), user) }); err != nil {
			return Session{}, err
		}
		return s.signIn(ctx, user, provider)
	}
	if _, err := q.GetUserByEmail(ctx, id.Email); err == nil {
		return Session{}, ErrAccountExists
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return Session{}, err
	}
	name := id.Name
	if name == "" {
		name = id.Email
	}
	if len([]rune(name)) > 100 {
		name = string([]rune(name)[:100])
	}
	return s.createAccount(ctx, id.Email, nil, name, name, nil, link)
}
