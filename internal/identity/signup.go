// Sign-up: a user with an org of their own and its owner membership in one transaction, or
// joining an org through an invitation.

package identity

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/audit"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/database"
)

// SignupInput is what sign-up takes.
type SignupInput struct {
	Email       string
	Password    string
	FullName    string
	OrgName     string
	InviteToken string
}

var errBadCredentials = apperr.New(apperr.Unauthenticated, "The email or password is wrong.")

// NormalizeEmail trims and lower-cases an email and checks its form.
func NormalizeEmail(raw, field string) (string, error) {
	email := strings.ToLower(strings.TrimSpace(raw))
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || !strings.Contains(email[strings.LastIndex(email, "@")+1:], ".") || len(email) > 254 {
		return "", apperr.Invalidf([]apperr.FieldError{{Field: field, Message: "must be a valid email address"}}, "The email address is not valid.")
	}
	return email, nil
}

func checkName(name, field string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len([]rune(name)) > 200 {
		return "", apperr.Invalidf([]apperr.FieldError{{Field: field, Message: "must be 1 to 200 characters"}}, "The %s is invalid.", strings.ReplaceAll(field, "_", " "))
	}
	return name, nil
}

// Signup creates an account. Without an invitation it also creates an org named after the user
// (or OrgName) with a unique slug, and makes the user its owner; with one, the user joins the
// inviting org with the invited role. Everything happens in one transaction.
func (s *Service) Signup(ctx context.Context, in SignupInput, clientIP string) (Session, error) {
	email, err := NormalizeEmail(in.Email, "email")
	if err != nil {
		return Session{}, err
	}
	fullName, err := checkName(in.FullName, "full_name")
	if err != nil {
		return Session{}, err
	}
	if err := auth.CheckPassword(in.Password, email, "password"); err != nil {
		return Session{}, err
	}
	orgName := strings.TrimSpace(in.OrgName)
	if orgName == "" {
		orgName = fullName
	}
	if len([]rune(orgName)) > 100 {
		return Session{}, apperr.Invalidf([]apperr.FieldError{{Field: "org_name", Message: "must be 1 to 100 characters"}}, "The organization name is too long.")
	}
	if err := s.limiter.Hit(ctx, s.limits.SignupPerIP, clientIP); err != nil {
		return Session{}, err
	}
	hash, err := auth.HashPassword(in.Password)
	if err != nil {
		return Session{}, fmt.Errorf("hash password: %w", err)
	}

	var invitation *dbgen.Invitation
	if in.InviteToken != "" {
		inv, err := dbgen.New(s.db).GetInvitationByHash(ctx, auth.HashSecret(in.InviteToken))
		if err != nil || inv.AcceptedAt.Valid || inv.RevokedAt.Valid || inv.ExpiresAt.Time.Before(time.Now()) {
			return Session{}, apperr.Invalidf([]apperr.FieldError{{Field: "invite_token", Message: "is invalid, expired or already used"}}, "The invitation is no longer valid.")
		}
		if inv.Email != email {
			return Session{}, apperr.Invalidf([]apperr.FieldError{{Field: "email", Message: "must be the address the invitation was sent to"}}, "The invitation is for another email address.")
		}
		invitation = &inv
	}

	return s.createAccount(ctx, email, &hash, fullName, orgName, invitation, nil)
}

// createAccount creates a user (with a password hash, or none for a provider account) and either
// joins them to an invitation's org or creates their own org. onUser runs in the same
// transaction once the user exists (to link a provider identity).
func (s *Service) createAccount(ctx context.Context, email string, hash *string, fullName, orgName string, invitation *dbgen.Invitation,
	onUser func(q *dbgen.Queries, user dbgen.User) error) (Session, error) {
	// A concurrent sign-up may take the slug between our check and our insert: try again.
	for attempt := 0; ; attempt++ {
		sess, err := s.signupTx(ctx, email, hash, fullName, orgName, invitation, attempt, onUser)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			if pgErr.ConstraintName == "users_email" {
				return Session{}, apperr.Conflictf("An account with this email already exists. Sign in instead.")
			}
			if pgErr.ConstraintName == "organizations_slug_live" && attempt < 3 {
				continue
			}
		}
		return sess, err
	}
}

func (s *Service) signupTx(ctx context.Context, email string, hash *string, fullName, orgName string, invitation *dbgen.Invitation, attempt int,
	onUser func(q *dbgen.Queries, user dbgen.User) error) (Session, error) {
	var sess Session
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		q := dbgen.New(tx)
		user, err := q.CreateUser(ctx, dbgen.CreateUserParams{Email: email, PasswordHash: hash, FullName: fullName})
		if err != nil {
			return err
		}
		if onUser != nil {
			if err := onUser(q, user); err != nil {
				return err
			}
		}
		var org dbgen.Organization
		role := auth.RoleOwner
		if invitation != nil {
			if err := database.SetScope(ctx, tx, database.Scope{OrgID: invitation.OrgID, UserID: user.ID}); err != nil {
				return err
			}
			if n, err := q.AcceptInvitation(ctx, dbgen.AcceptInvitationParams{OrgID: invitation.OrgID, ID: invitation.ID}); err != nil {
				return err
			} else if n != 1 {
				return apperr.Invalidf([]apperr.FieldError{{Field: "invite_token", Message: "is invalid, expired or already used"}}, "The invitation is no longer valid.")
			}
			if org, err = q.GetOrganization(ctx, invitation.OrgID); err != nil {
				return apperr.Invalidf([]apperr.FieldError{{Field: "invite_token", Message: "belongs to an organization that no longer exists"}}, "The invitation is no longer valid.")
			}
			role = auth.Role(invitation.Role)
		} else {
			slug, err := uniqueSlug(ctx, q, orgName, attempt)
			if err != nil {
				return err
			}
			if org, err = q.CreateOrganization(ctx, dbgen.CreateOrganizationParams{Name: orgName, Slug: slug, DefaultSchema: "analytics"}); err != nil {
				return err
			}
			if err := database.SetScope(ctx, tx, database.Scope{OrgID: org.ID, UserID: user.ID}); err != nil {
				return err
			}
			if s.orgCreated != nil {
				if err := s.orgCreated(ctx, tx, org.ID); err != nil {
					return err
				}
			}
		}
		if _, err := q.CreateMembership(ctx, dbgen.CreateMembershipParams{OrgID: org.ID, UserID: user.ID, Role: string(role)}); err != nil {
			return err
		}
		actor := auth.Principal{UserID: user.ID, OrgID: org.ID, Role: role, Name: user.Email}
		ctx := auth.WithPrincipal(ctx, actor)
		if invitation == nil {
			if err := audit.Write(ctx, tx, audit.Entry{OrgID: org.ID, Action: "org.create", ResourceType: "organization",
				ResourceID: strconv.FormatInt(org.ID, 10), New: map[string]any{"name": org.Name, "slug": org.Slug}}); err != nil {
				return err
			}
		}
		if err := audit.Write(ctx, tx, audit.Entry{OrgID: org.ID, Action: "auth.signup", ResourceType: "user",
			ResourceID: strconv.FormatInt(user.ID, 10), New: map[string]any{"email": user.Email, "full_name": user.FullName, "role": role}}); err != nil {
			return err
		}
		sess, err = s.newSession(ctx, tx, user, org, role, uuid.New())
		return err
	})
	return sess, err
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// uniqueSlug derives a slug from name and appends -2, -3… until it is free. After a lost race
// (attempt > 0) it appends a random suffix instead.
func uniqueSlug(ctx context.Context, q *dbgen.Queries, name string, attempt int) (string, error) {
	base := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(name), "-"), "-")
	if len(base) > 50 {
		base = strings.Trim(base[:50], "-")
	}
	if len(base) < 2 {
		base = "org"
	}
	if attempt > 0 {
		return base + "-" + uuid.NewString()[:6], nil
	}
	for i := 1; i <= 50; i++ {
		candidate := base
		if i > 1 {
			candidate = base + "-" + strconv.Itoa(i)
		}
		taken, err := q.SlugTaken(ctx, candidate)
		if err != nil {
			return "", err
		}
		if !taken {
			return candidate, nil
		}
	}
	return base + "-" + uuid.NewString()[:6], nil
}
