// Package identity owns accounts and sessions: sign-up (user, org and owner membership in one
// transaction, or joining through an invitation), sign-in, refresh-token rotation with reuse
// detection, sign-out, switching org, the user's own profile, and authenticating each request
// (access token or API key) with the membership's current role.
package identity

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/datanika/datanika/db/dbgen"
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
