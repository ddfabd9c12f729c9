// Package identity owns accounts and sessions: sign-up (user, org and owner membership in one
// transaction, or joining through an invitation), sign-in, refresh-token rotation with reuse
// detection, sign-out, switching org, the user's own profile, and authenticating each request
// (access token or API key) with the membership's current role.
package identity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/audit"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/database"
	"github.com/datanika/datanika/internal/ratelimit"
)

// Service implements identity on the metadata database.
type Service struct {
	// orgCreated runs in the transaction that creates an org (to enqueue its warehouse).
	orgCreated func(ctx context.Context, tx pgx.Tx, orgID int64) error

	db      database.DB
	tokens  *auth.Tokens
	limiter *ratelimit.Limiter
	limits  ratelimit.Rules
	logger  *slog.Logger
	// roles caches memberships' current roles and sessions whether they are live, each for at
	// most authCacheTTL: a demotion, removal or sign-out reaches every process within it.
	roles    *ttlCache[membershipKey, cachedRole]
	sessions *ttlCache[uuid.UUID, cachedSession]
}

// authCacheTTL is how long a process trusts what it read about a role or a session.
const authCacheTTL = 2 * time.Second

type membershipKey struct{ userID, orgID int64 }

type cachedRole struct {
	role  auth.Role
	email string
}

type cachedSession struct {
	userID int64
	live   bool
}

// New returns the identity service.
func New(db database.DB, tokens *auth.Tokens, logger *slog.Logger) *Service {
	return &Service{db: db, tokens: tokens, limiter: ratelimit.New(db), limits: ratelimit.DefaultRules(), logger: logger, roles: newTTLCache[membershipKey, cachedRole](authCacheTTL), sessions: newTTLCache[uuid.UUID, cachedSession](authCacheTTL)}
}

// SetRateLimits replaces the sign-in and sign-up limits.
func (s *Service) SetRateLimits(r ratelimit.Rules) { s.limits = r }

// OnOrgCreated sets a hook run in the transaction that creates each org.
func (s *Service) OnOrgCreated(fn func(ctx context.Context, tx pgx.Tx, orgID int64) error) {
	s.orgCreated = fn
}

// OrgSummary names an org.
type OrgSummary struct {
	ID   int64
	Name string
	Slug string
}

// Session is the answer of every sign-in: who, where, with which role, and the tokens.
type Session struct {
	User         dbgen.User
	Org          OrgSummary
	Role         auth.Role
	AccessToken  string
	RefreshToken string
	ExpiresIn    int
}

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

// Me is the signed-in user with their memberships.
type Me struct {
	User        dbgen.User
	Org         OrgSummary
	Role        auth.Role
	Memberships []dbgen.ListUserMembershipsRow
}

// GetMe returns the principal's user and memberships.
func (s *Service) GetMe(ctx context.Context, p auth.Principal) (Me, error) {
	var me Me
	err := database.InTx(ctx, s.db, database.Scope{OrgID: p.OrgID, UserID: p.UserID}, func(tx pgx.Tx) error {
		var err error
		me, err = loadMe(ctx, dbgen.New(tx), p)
		return err
	})
	return me, err
}

func loadMe(ctx context.Context, q *dbgen.Queries, p auth.Principal) (Me, error) {
	user, err := q.GetUser(ctx, p.UserID)
	if err != nil {
		return Me{}, err
	}
	ms, err := q.ListUserMemberships(ctx, p.UserID)
	if err != nil {
		return Me{}, err
	}
	me := Me{User: user, Role: p.Role, Memberships: ms}
	for _, m := range ms {
		if m.OrgID == p.OrgID {
			me.Org = OrgSummary{ID: m.OrgID, Name: m.OrgName, Slug: m.OrgSlug}
		}
	}
	return me, nil
}

// UpdateMeInput changes the user's own profile; nil fields stay.
type UpdateMeInput struct {
	FullName        *string
	Password        *string
	CurrentPassword *string
}

// UpdateMe changes the user's name and/or password. A new password needs the current one and
// ends every other session of the user, in every org (their refresh tokens and access tokens);
// the session making the change stays signed in.
func (s *Service) UpdateMe(ctx context.Context, p auth.Principal, in UpdateMeInput) (Me, error) {
	passwordChanged := false
	var me Me
	err := database.InTx(ctx, s.db, database.Scope{OrgID: p.OrgID, UserID: p.UserID}, func(tx pgx.Tx) error {
		q := dbgen.New(tx)
		user, err := q.GetUser(ctx, p.UserID)
		if err != nil {
			return err
		}
		oldValues, newValues := map[string]any{}, map[string]any{}
		if in.FullName != nil {
			name, err := checkName(*in.FullName, "full_name")
			if err != nil {
				return err
			}
			oldValues["full_name"], newValues["full_name"] = user.FullName, name
			if user, err = q.UpdateUserName(ctx, dbgen.UpdateUserNameParams{ID: user.ID, FullName: name}); err != nil {
				return err
			}
		}
		if in.Password != nil {
			current := ""
			if in.CurrentPassword != nil {
				current = *in.CurrentPassword
			}
			hash := ""
			if user.PasswordHash != nil {
				hash = *user.PasswordHash
			}
			if !auth.VerifyPassword(hash, current) {
				return apperr.Invalidf([]apperr.FieldError{{Field: "current_password", Message: "is wrong"}}, "The current password is wrong.")
			}
			if err := auth.CheckPassword(*in.Password, user.Email, "password"); err != nil {
				return err
			}
			newHash, err := auth.HashPassword(*in.Password)
			if err != nil {
				return err
			}
			if err := q.UpdateUserPassword(ctx, dbgen.UpdateUserPasswordParams{ID: user.ID, PasswordHash: &newHash}); err != nil {
				return err
			}
			keep := pgtype.UUID{Bytes: p.SessionID, Valid: p.SessionID != uuid.Nil}
			if err := q.RevokeUserRefreshTokensExceptFamily(ctx, dbgen.RevokeUserRefreshTokensExceptFamilyParams{UserID: user.ID, KeepFamily: keep}); err != nil {
				return err
			}
			passwordChanged = true
			oldValues["password"], newValues["password"] = "changed", "changed"
		}
		if len(newValues) > 0 {
			if err := audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, Action: "user.update", ResourceType: "user",
				ResourceID: strconv.FormatInt(user.ID, 10), Old: oldValues, New: newValues}); err != nil {
				return err
			}
		}
		me, err = loadMe(ctx, q, p)
		return err
	})
	if passwordChanged {
		s.sessions.forgetIf(func(_ uuid.UUID, c cachedSession) bool { return c.userID == p.UserID })
	}
	return me, err
}

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
