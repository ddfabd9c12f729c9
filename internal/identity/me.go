// The signed-in user's own profile and password.

package identity

import (
	"context"
	"strconv"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
	"github.com/datanika/datanika/internal/audit"
	"github.com/datanika/datanika/internal/auth"
	"github.com/datanika/datanika/internal/database"
)

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
