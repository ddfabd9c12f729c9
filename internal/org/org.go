// Package org owns an organization's settings and people: the org itself, its members and their
// roles (with last-owner protection and owner-only owner changes), invitations, API keys and the
// audit log's listing. Every function acts as a principal, inside a transaction scoped to its org.
package org

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/audit"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/database"
	"github.com/datanika/datanika/internal/identity"
	"github.com/datanika/datanika/internal/mail"
)

// InvitationTTL is how long an invitation can be accepted.
const InvitationTTL = 7 * 24 * time.Hour

// Service implements org management.
type Service struct {
	// orgDeleted runs in the transaction that deletes an org (to drop its warehouse).
	orgDeleted func(ctx context.Context, tx pgx.Tx, orgID int64) error

	db        database.DB
	identity  *identity.Service
	publicURL string
	mailer    *mail.Sender
	logger    *slog.Logger
}

// New returns the org service. publicURL is where people open the app (accept links); mailer
// sends invitations (nil: the link is returned to the admin instead).
func New(db database.DB, ident *identity.Service, publicURL string, mailer *mail.Sender, logger *slog.Logger) *Service {
	return &Service{db: db, identity: ident, publicURL: strings.TrimRight(publicURL, "/"), mailer: mailer, logger: logger}
}

// OnOrgDeleted sets a hook run in the transaction that deletes an org.
func (s *Service) OnOrgDeleted(fn func(ctx context.Context, tx pgx.Tx, orgID int64) error) {
	s.orgDeleted = fn
}

// Get returns the principal's org.
func (s *Service) Get(ctx context.Context, p auth.Principal) (dbgen.Organization, error) {
	var org dbgen.Organization
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		var err error
		org, err = q.GetOrganization(ctx, p.OrgID)
		return err
	})
	return org, err
}

// UpdateInput changes org settings; nil fields stay.
type UpdateInput struct {
	Name          *string
	Slug          *string
	DefaultSchema *string
}

var (
	slugPattern   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$`)
	schemaPattern = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)
)

// Update changes the org's name, slug or default schema.
func (s *Service) Update(ctx context.Context, p auth.Principal, in UpdateInput) (dbgen.Organization, error) {
	var org dbgen.Organization
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		old, err := q.GetOrganization(ctx, p.OrgID)
		if err != nil {
			return err
		}
		params := dbgen.UpdateOrganizationParams{ID: old.ID, Name: old.Name, Slug: old.Slug, DefaultSchema: old.DefaultSchema}
		var fields []apperr.FieldError
		if in.Name != nil {
			params.Name = strings.TrimSpace(*in.Name)
			if params.Name == "" || len([]rune(params.Name)) > 100 {
				fields = append(fields, apperr.FieldError{Field: "name", Message: "must be 1 to 100 characters"})
			}
		}
		if in.Slug != nil {
			params.Slug = strings.TrimSpace(*in.Slug)
			if !slugPattern.MatchString(params.Slug) {
				fields = append(fields, apperr.FieldError{Field: "slug", Message: "must be 2 to 63 lower-case letters, digits and hyphens"})
			}
		}
		if in.DefaultSchema != nil {
			params.DefaultSchema = strings.TrimSpace(*in.DefaultSchema)
			if !schemaPattern.MatchString(params.DefaultSchema) {
				fields = append(fields, apperr.FieldError{Field: "default_schema", Message: "must be a lower-case SQL identifier"})
			}
		}
		if len(fields) > 0 {
			return apperr.Invalidf(fields, "The organization settings are invalid.")
		}
		if params.Slug != old.Slug {
			if taken, err := q.SlugTaken(ctx, params.Slug); err != nil {
				return err
			} else if taken {
				return apperr.Invalidf([]apperr.FieldError{{Field: "slug", Message: "is taken"}}, "Another organization has this slug.")
			}
		}
		org, err = q.UpdateOrganization(ctx, params)
		if err != nil {
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) && pgErr.Code == "23505" {
				return apperr.Conflictf("Another organization has this slug.")
			}
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: org.ID, Action: "org.update", ResourceType: "organization", ResourceID: strconv.FormatInt(org.ID, 10),
			Old: map[string]any{"name": old.Name, "slug": old.Slug, "default_schema": old.DefaultSchema},
			New: map[string]any{"name": org.Name, "slug": org.Slug, "default_schema": org.DefaultSchema}})
	})
	return org, err
}

// Delete soft-deletes the org: its memberships end, its keys and sessions die.
func (s *Service) Delete(ctx context.Context, p auth.Principal) error {
	defer s.identity.ForgetOrg(p.OrgID)
	return database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		org, err := q.GetOrganization(ctx, p.OrgID)
		if err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, audit.Entry{OrgID: org.ID, Action: "org.delete", ResourceType: "organization", ResourceID: strconv.FormatInt(org.ID, 10),
			Old: map[string]any{"name": org.Name, "slug": org.Slug}}); err != nil {
			return err
		}
		if err := q.RevokeOrgAPIKeys(ctx, org.ID); err != nil {
			return err
		}
		if err := q.SoftDeleteOrgMemberships(ctx, org.ID); err != nil {
			return err
		}
		if s.orgDeleted != nil {
			if err := s.orgDeleted(ctx, tx, org.ID); err != nil {
				return err
			}
		}
		return q.SoftDeleteOrganization(ctx, org.ID)
	})
}

// Member is a member with their user.
type Member = dbgen.GetMemberRow

// ListMembers pages members by user id.
func (s *Service) ListMembers(ctx context.Context, p auth.Principal, afterUserID int64, limit int32) ([]Member, error) {
	var out []Member
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		rows, err := q.ListMembers(ctx, dbgen.ListMembersParams{OrgID: p.OrgID, AfterUserID: afterUserID, Lim: limit})
		for _, r := range rows {
			out = append(out, Member(r))
		}
		return err
	})
	return out, err
}

// Invitation is a pending invitation with its accept link (known only when just created).
type Invitation struct {
	dbgen.Invitation
	AcceptURL string
	Emailed   bool
}

func parseRole(raw, field string) (auth.Role, error) {
	r := auth.Role(raw)
	if !r.Valid() {
		return "", apperr.Invalidf([]apperr.FieldError{{Field: field, Message: "must be owner, admin, editor or viewer"}}, "Unknown role %q.", raw)
	}
	return r, nil
}

// mayGrant reports whether the principal may give (or take away) role: admins handle roles up
// to admin, owners also owner. An API key acts as at most admin (auth.Principal.ActingRole), so
// only an owner signed in as a person grants or revokes owner.
func mayGrant(p auth.Principal, role auth.Role) error {
	if role == auth.RoleOwner && p.ActingRole() != auth.RoleOwner {
		if p.IsAPIKey() {
			return apperr.New(apperr.Forbidden, "An API key acts as at most admin: only an owner, signed in, can grant or revoke the owner role.")
		}
		return apperr.New(apperr.Forbidden, "Only an owner can grant or revoke the owner role.")
	}
	return nil
}

// AddMember makes an existing user a member at once, or invites an unknown email.
func (s *Service) AddMember(ctx context.Context, p auth.Principal, rawEmail, rawRole string) (*Member, *Invitation, error) {
	email, err := identity.NormalizeEmail(rawEmail, "email")
	if err != nil {
		return nil, nil, err
	}
	role, err := parseRole(rawRole, "role")
	if err != nil {
		return nil, nil, err
	}
	if err := mayGrant(p, role); err != nil {
		return nil, nil, err
	}
	var member *Member
	var inv *Invitation
	var orgName string
	err = database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		// Two adds of one email at once (a double click, a retried script) queue here, so the
		// second sees the first's member or invitation instead of a raw unique violation.
		if err := q.LockOrgMemberships(ctx, p.OrgID); err != nil {
			return err
		}
		user, err := q.GetUserByEmail(ctx, email)
		switch {
		case err == nil:
			if _, err := q.GetMembership(ctx, dbgen.GetMembershipParams{OrgID: p.OrgID, UserID: user.ID}); err == nil {
				return apperr.Conflictf("%s is already a member.", email)
			}
			if _, err := q.CreateMembership(ctx, dbgen.CreateMembershipParams{OrgID: p.OrgID, UserID: user.ID, Role: string(role)}); err != nil {
				return err
			}
			m, err := q.GetMember(ctx, dbgen.GetMemberParams{OrgID: p.OrgID, UserID: user.ID})
			if err != nil {
				return err
			}
			member = &m
			return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, Action: "member.add", ResourceType: "member",
				ResourceID: strconv.FormatInt(user.ID, 10), New: map[string]any{"email": email, "role": role}})
		case errors.Is(err, pgx.ErrNoRows):
			// A new invitation replaces a pending one for the same email.
			if err := q.RevokePendingInvitationForEmail(ctx, dbgen.RevokePendingInvitationForEmailParams{OrgID: p.OrgID, Email: email}); err != nil {
				return err
			}
			raw := auth.NewInvitationToken()
			row, err := q.CreateInvitation(ctx, dbgen.CreateInvitationParams{
				OrgID: p.OrgID, Email: email, Role: string(role), TokenHash: auth.HashSecret(raw), InvitedBy: p.UserID,
				ExpiresAt: pgtype.Timestamptz{Time: time.Now().Add(InvitationTTL), Valid: true},
			})
			if err != nil {
				return err
			}
			inv = &Invitation{Invitation: row, AcceptURL: s.publicURL + "/invite?token=" + url.QueryEscape(raw) + "&email=" + url.QueryEscape(email)}
			if org, err := q.GetOrganization(ctx, p.OrgID); err == nil {
				orgName = org.Name
			}
			return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, Action: "invitation.create", ResourceType: "invitation",
				ResourceID: strconv.FormatInt(row.ID, 10), New: map[string]any{"email": email, "role": role}})
		default:
			return err
		}
	})
	if err == nil && inv != nil && s.mailer != nil {
		// After the commit: a failed delivery leaves the invitation, and the admin gets the link.
		err := s.mailer.Send(ctx, mail.Message{
			To:      email,
			Subject: fmt.Sprintf("You are invited to %s on Datanika", orgName),
			Body: fmt.Sprintf("%s invited you to join %s on Datanika as %s.\n\nAccept the invitation (valid for 7 days):\n%s\n",
				p.Name, orgName, role, inv.AcceptURL),
		})
		if err != nil {
			s.logger.WarnContext(ctx, "invitation email not delivered; the link goes to the admin", "invitation_id", inv.ID, "error", err)
		} else {
			inv.Emailed, inv.AcceptURL = true, ""
		}
	}
	return member, inv, err
}

// UpdateMember changes a member's role, keeping at least one owner.
func (s *Service) UpdateMember(ctx context.Context, p auth.Principal, userID int64, rawRole string) (Member, error) {
	role, err := parseRole(rawRole, "role")
	if err != nil {
		return Member{}, err
	}
	var out Member
	err = database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		current, err := lockedMember(ctx, q, p.OrgID, userID)
		if err != nil {
			return err
		}
		if err := mayGrant(p, role); err != nil {
			return err
		}
		if err := mayGrant(p, auth.Role(current.Role)); err != nil {
			return err
		}
		if current.Role == string(auth.RoleOwner) && role != auth.RoleOwner {
			if err := s.keepAnOwner(ctx, q, p.OrgID); err != nil {
				return err
			}
		}
		if _, err := q.UpdateMembershipRole(ctx, dbgen.UpdateMembershipRoleParams{OrgID: p.OrgID, UserID: userID, Role: string(role)}); err != nil {
			return err
		}
		if out, err = q.GetMember(ctx, dbgen.GetMemberParams{OrgID: p.OrgID, UserID: userID}); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, Action: "member.update", ResourceType: "member",
			ResourceID: strconv.FormatInt(userID, 10), Old: map[string]any{"role": current.Role}, New: map[string]any{"role": role}})
	})
	if err == nil {
		s.identity.Forget(userID, p.OrgID)
	}
	return out, err
}

// lockedMember reads a member after taking the org's membership lock, so role checks and the
// change they guard see the same state.
func lockedMember(ctx context.Context, q *dbgen.Queries, orgID, userID int64) (Member, error) {
	if err := q.LockOrgMemberships(ctx, orgID); err != nil {
		return Member{}, err
	}
	m, err := q.GetMember(ctx, dbgen.GetMemberParams{OrgID: orgID, UserID: userID})
	if errors.Is(err, pgx.ErrNoRows) {
		return Member{}, apperr.NotFoundf("No member with user id %d.", userID)
	}
	return Member(m), err
}

func (s *Service) keepAnOwner(ctx context.Context, q *dbgen.Queries, orgID int64) error {
	owners, err := q.CountOwners(ctx, orgID)
	if err != nil {
		return err
	}
	if owners <= 1 {
		return apperr.Conflictf("An organization must keep at least one owner: make someone else owner first.")
	}
	return nil
}

// RemoveMember ends a membership (their sessions in this org and their API keys die with it).
func (s *Service) RemoveMember(ctx context.Context, p auth.Principal, userID int64) error {
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		current, err := lockedMember(ctx, q, p.OrgID, userID)
		if err != nil {
			return err
		}
		if current.Role == string(auth.RoleOwner) {
			if err := mayGrant(p, auth.RoleOwner); err != nil {
				return err
			}
			if err := s.keepAnOwner(ctx, q, p.OrgID); err != nil {
				return err
			}
		}
		if err := q.SoftDeleteMembership(ctx, dbgen.SoftDeleteMembershipParams{OrgID: p.OrgID, UserID: userID}); err != nil {
			return err
		}
		if err := q.RevokeUserOrgRefreshTokens(ctx, dbgen.RevokeUserOrgRefreshTokensParams{OrgID: p.OrgID, UserID: userID}); err != nil {
			return err
		}
		// A key dies with its creator's membership: re-adding the user must not revive it.
		if err := q.RevokeUserOrgAPIKeys(ctx, dbgen.RevokeUserOrgAPIKeysParams{OrgID: p.OrgID, CreatedBy: userID}); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, Action: "member.remove", ResourceType: "member",
			ResourceID: strconv.FormatInt(userID, 10), Old: map[string]any{"email": current.Email, "role": current.Role}})
	})
	if err == nil {
		s.identity.Forget(userID, p.OrgID)
	}
	return err
}

// ListInvitations pages pending invitations.
func (s *Service) ListInvitations(ctx context.Context, p auth.Principal, afterID int64, limit int32) ([]Invitation, error) {
	var out []Invitation
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		rows, err := q.ListPendingInvitations(ctx, dbgen.ListPendingInvitationsParams{OrgID: p.OrgID, AfterID: afterID, Lim: limit})
		for _, r := range rows {
			out = append(out, Invitation{Invitation: r})
		}
		return err
	})
	return out, err
}

// RevokeInvitation cancels a pending invitation.
func (s *Service) RevokeInvitation(ctx context.Context, p auth.Principal, id int64) error {
	return database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		n, err := q.RevokeInvitation(ctx, dbgen.RevokeInvitationParams{OrgID: p.OrgID, ID: id})
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.NotFoundf("No pending invitation %d.", id)
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, Action: "invitation.revoke", ResourceType: "invitation", ResourceID: strconv.FormatInt(id, 10)})
	})
}

// APIKey is a key with its creator.
type APIKey = dbgen.ListAPIKeysRow

// ListAPIKeys pages live keys.
func (s *Service) ListAPIKeys(ctx context.Context, p auth.Principal, afterID int64, limit int32) ([]APIKey, error) {
	var out []APIKey
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		var err error
		out, err = q.ListAPIKeys(ctx, dbgen.ListAPIKeysParams{OrgID: p.OrgID, AfterID: afterID, Lim: limit})
		return err
	})
	return out, err
}

// CreateAPIKeyInput describes a new key.
type CreateAPIKeyInput struct {
	Name      string
	Scopes    []string
	ExpiresAt *time.Time
}

// CreateAPIKey creates a key acting as the principal's user; the raw key is returned once.
func (s *Service) CreateAPIKey(ctx context.Context, p auth.Principal, in CreateAPIKeyInput) (APIKey, string, error) {
	name := strings.TrimSpace(in.Name)
	var fields []apperr.FieldError
	if name == "" || len([]rune(name)) > 100 {
		fields = append(fields, apperr.FieldError{Field: "name", Message: "must be 1 to 100 characters"})
	}
	if len(in.Scopes) == 0 {
		fields = append(fields, apperr.FieldError{Field: "scopes", Message: "must name at least one of read, write, run, admin"})
	}
	scopes := make([]string, 0, len(in.Scopes))
	for i, sc := range in.Scopes {
		if !auth.ValidScope(auth.Scope(sc)) {
			fields = append(fields, apperr.FieldError{Field: fmt.Sprintf("scopes.%d", i), Message: "must be read, write, run or admin"})
		} else if !slices.Contains(scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(time.Now()) {
		fields = append(fields, apperr.FieldError{Field: "expires_at", Message: "must be in the future"})
	}
	if len(fields) > 0 {
		return APIKey{}, "", apperr.Invalidf(fields, "The API key is invalid.")
	}
	raw := auth.NewAPIKey()
	var out APIKey
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		params := dbgen.CreateAPIKeyParams{OrgID: p.OrgID, CreatedBy: p.UserID, Name: name, Prefix: auth.VisiblePrefix(raw), KeyHash: auth.HashSecret(raw), Scopes: scopes}
		if in.ExpiresAt != nil {
			params.ExpiresAt = pgtype.Timestamptz{Time: *in.ExpiresAt, Valid: true}
		}
		key, err := q.CreateAPIKey(ctx, params)
		if err != nil {
			return err
		}
		user, err := q.GetUser(ctx, p.UserID)
		if err != nil {
			return err
		}
		out = APIKey{ID: key.ID, OrgID: key.OrgID, CreatedBy: key.CreatedBy, Name: key.Name, Prefix: key.Prefix, Scopes: key.Scopes,
			ExpiresAt: key.ExpiresAt, LastUsedAt: key.LastUsedAt, CreatedAt: key.CreatedAt, CreatorEmail: user.Email, CreatorName: user.FullName}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, Action: "api_key.create", ResourceType: "api_key", ResourceID: strconv.FormatInt(key.ID, 10),
			New: map[string]any{"name": name, "prefix": key.Prefix, "scopes": scopes}})
	})
	return out, raw, err
}

// RevokeAPIKey revokes a key of the org.
func (s *Service) RevokeAPIKey(ctx context.Context, p auth.Principal, id int64) error {
	return database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, tx pgx.Tx) error {
		key, err := q.RevokeAPIKey(ctx, dbgen.RevokeAPIKeyParams{OrgID: p.OrgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFoundf("No API key %d.", id)
		}
		if err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, Action: "api_key.revoke", ResourceType: "api_key", ResourceID: strconv.FormatInt(id, 10),
			Old: map[string]any{"name": key.Name, "prefix": key.Prefix}})
	})
}

// AuditFilter narrows the audit log.
type AuditFilter struct {
	Action, ResourceType, ResourceID *string
	ActorID                          *int64
	Since, Until                     *time.Time
	BeforeID                         *int64
	Limit                            int32
}

// ListAuditLogs pages the audit log, newest first.
func (s *Service) ListAuditLogs(ctx context.Context, p auth.Principal, f AuditFilter) ([]dbgen.AuditLog, error) {
	var out []dbgen.AuditLog
	ts := func(t *time.Time) pgtype.Timestamptz {
		if t == nil {
			return pgtype.Timestamptz{}
		}
		return pgtype.Timestamptz{Time: *t, Valid: true}
	}
	err := database.InOrg(ctx, s.db, p, func(q *dbgen.Queries, _ pgx.Tx) error {
		var err error
		out, err = q.ListAuditLogs(ctx, dbgen.ListAuditLogsParams{
			OrgID: p.OrgID, Action: f.Action, ResourceType: f.ResourceType, ResourceID: f.ResourceID, ActorID: f.ActorID,
			Since: ts(f.Since), Until: ts(f.Until), BeforeID: f.BeforeID, Lim: f.Limit,
		})
		return err
	})
	return out, err
}
