package server

import (
	"context"
	"time"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/org"
)

func toAPIOrg(o dbgen.Organization) api.Org {
	return api.Org{Id: o.ID, Name: o.Name, Slug: o.Slug, DefaultSchema: o.DefaultSchema, CreatedAt: o.CreatedAt.Time.UTC(), UpdatedAt: o.UpdatedAt.Time.UTC()}
}

// GetOrg returns the current org.
func (h *handlers) GetOrg(ctx context.Context, _ api.GetOrgRequestObject) (api.GetOrgResponseObject, error) {
	o, err := h.org.Get(ctx, principal(ctx))
	if err != nil {
		return nil, err
	}
	return api.GetOrg200JSONResponse(toAPIOrg(o)), nil
}

// UpdateOrg changes the org's settings.
func (h *handlers) UpdateOrg(ctx context.Context, req api.UpdateOrgRequestObject) (api.UpdateOrgResponseObject, error) {
	o, err := h.org.Update(ctx, principal(ctx), org.UpdateInput{Name: req.Body.Name, Slug: req.Body.Slug, DefaultSchema: req.Body.DefaultSchema})
	if err != nil {
		return nil, err
	}
	return api.UpdateOrg200JSONResponse(toAPIOrg(o)), nil
}

// DeleteOrg deletes the org.
func (h *handlers) DeleteOrg(ctx context.Context, _ api.DeleteOrgRequestObject) (api.DeleteOrgResponseObject, error) {
	if err := h.org.Delete(ctx, principal(ctx)); err != nil {
		return nil, err
	}
	return api.DeleteOrg204Response{}, nil
}

func toAPIMember(m org.Member) api.Member {
	return api.Member{UserId: m.UserID, Email: m.Email, FullName: m.FullName, Role: api.Role(m.Role), JoinedAt: m.JoinedAt.Time.UTC()}
}

// ListMembers pages the org's members.
func (h *handlers) ListMembers(ctx context.Context, req api.ListMembersRequestObject) (api.ListMembersResponseObject, error) {
	after, err := decodeCursor(req.Params.Cursor)
	if err != nil {
		return nil, err
	}
	limit := pageLimit(req.Params.Limit)
	rows, err := h.org.ListMembers(ctx, principal(ctx), after, limit)
	if err != nil {
		return nil, err
	}
	var out api.MemberList
	out.Items, out.NextCursor = page(rows, limit, func(m org.Member) int64 { return m.UserID }, toAPIMember)
	return api.ListMembers200JSONResponse(out), nil
}

func toAPIInvitation(inv org.Invitation) api.Invitation {
	out := api.Invitation{Id: inv.ID, Email: inv.Email, Role: api.Role(inv.Role), ExpiresAt: inv.ExpiresAt.Time.UTC(), Emailed: &inv.Emailed}
	if inv.AcceptURL != "" {
		out.AcceptUrl = &inv.AcceptURL
	}
	return out
}

// AddMember adds an existing user or invites a new one.
func (h *handlers) AddMember(ctx context.Context, req api.AddMemberRequestObject) (api.AddMemberResponseObject, error) {
	m, inv, err := h.org.AddMember(ctx, principal(ctx), req.Body.Email, string(req.Body.Role))
	if err != nil {
		return nil, err
	}
	if m != nil {
		return api.AddMember201JSONResponse(toAPIMember(*m)), nil
	}
	return api.AddMember202JSONResponse(toAPIInvitation(*inv)), nil
}

// UpdateMember changes a member's role.
func (h *handlers) UpdateMember(ctx context.Context, req api.UpdateMemberRequestObject) (api.UpdateMemberResponseObject, error) {
	m, err := h.org.UpdateMember(ctx, principal(ctx), req.UserId, string(req.Body.Role))
	if err != nil {
		return nil, err
	}
	return api.UpdateMember200JSONResponse(toAPIMember(m)), nil
}

// RemoveMember removes a member.
func (h *handlers) RemoveMember(ctx context.Context, req api.RemoveMemberRequestObject) (api.RemoveMemberResponseObject, error) {
	if err := h.org.RemoveMember(ctx, principal(ctx), req.UserId); err != nil {
		return nil, err
	}
	return api.RemoveMember204Response{}, nil
}

// ListInvitations pages pending invitations. Their tokens are stored hashed, so the accept link
// exists only in the answer that created the invitation.
func (h *handlers) ListInvitations(ctx context.Context, req api.ListInvitationsRequestObject) (api.ListInvitationsResponseObject, error) {
	after, err := decodeCursor(req.Params.Cursor)
	if err != nil {
		return nil, err
	}
	limit := pageLimit(req.Params.Limit)
	rows, err := h.org.ListInvitations(ctx, principal(ctx), after, limit)
	if err != nil {
		return nil, err
	}
	var out api.InvitationList
	out.Items, out.NextCursor = page(rows, limit, func(inv org.Invitation) int64 { return inv.ID }, toAPIInvitation)
	return api.ListInvitations200JSONResponse(out), nil
}

// RevokeInvitation cancels a pending invitation.
func (h *handlers) RevokeInvitation(ctx context.Context, req api.RevokeInvitationRequestObject) (api.RevokeInvitationResponseObject, error) {
	if err := h.org.RevokeInvitation(ctx, principal(ctx), req.Id); err != nil {
		return nil, err
	}
	return api.RevokeInvitation204Response{}, nil
}

func timePtr(t time.Time, valid bool) *time.Time {
	if !valid {
		return nil
	}
	u := t.UTC()
	return &u
}
