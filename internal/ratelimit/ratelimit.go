// Package ratelimit throttles sign-in and sign-up per client IP and per email, with a lockout
// after repeated failures. Counters live in PostgreSQL (auth_rate_limits), so the limits hold
// across any number of processes.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/datanika/datanika/db/dbgen"
	"github.com/datanika/datanika/internal/apperr"
)

// Rule is a limit: at most Max attempts per Window; past it the bucket is locked for Lock.
type Rule struct {
	Name   string
	Max    int32
	Window time.Duration
	Lock   time.Duration
}

// Rules are the limits of sign-in and sign-up.
type Rules struct {
	// LoginPerIP bounds sign-in attempts from one client address.
	LoginPerIP Rule
	// LoginFailsEmail locks an email out after repeated failures, whatever the address.
	LoginFailsEmail Rule
	// SignupPerIP bounds sign-ups from one client address.
	SignupPerIP Rule
}

// DefaultRules are the limits unless configured (LOGIN_RATE_LIMIT, SIGNUP_RATE_LIMIT): generous
// per address, since offices and proxies put many people behind one, and strict per email,
// which is what stops guessing a password.
func DefaultRules() Rules {
	return NewRules(60, 100)
}

// NewRules sets the per-address limits: sign-ins per minute and sign-ups per hour.
func NewRules(loginsPerMinute, signupsPerHour int32) Rules {
	return Rules{
		LoginPerIP:      Rule{Name: "login_ip", Max: loginsPerMinute, Window: time.Minute, Lock: 5 * time.Minute},
		LoginFailsEmail: Rule{Name: "login_fail_email", Max: 5, Window: 15 * time.Minute, Lock: 15 * time.Minute},
		SignupPerIP:     Rule{Name: "signup_ip", Max: signupsPerHour, Window: time.Hour, Lock: time.Hour},
	}
}

// Limiter counts attempts.
type Limiter struct {
	db dbgen.DBTX
}

// New returns a limiter on db (a pool; a transaction in tests).
func New(db dbgen.DBTX) *Limiter { return &Limiter{db: db} }

func bucket(r Rule, key string) string { return r.Name + ":" + key }

func limited(until time.Time) error {
	e := apperr.New(apperr.RateLimited, "Too many attempts. Wait a while and try again.")
	e.RetryAfterSeconds = max(1, int(math.Ceil(time.Until(until).Seconds())))
	return e
}

// Check answers RateLimited while the bucket is locked, without counting an attempt.
func (l *Limiter) Check(ctx context.Context, r Rule, key string) error {
	row, err := dbgen.New(l.db).GetRateLimit(ctx, bucket(r, key))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read rate limit: %w", err)
	}
	if row.LockedUntil.Valid && row.LockedUntil.Time.After(time.Now()) {
		return limited(row.LockedUntil.Time)
	}
	return nil
}

// Hit counts one attempt and answers RateLimited when it goes past the rule (locking the bucket).
func (l *Limiter) Hit(ctx context.Context, r Rule, key string) error {
	if err := l.Check(ctx, r, key); err != nil {
		return err
	}
	q := dbgen.New(l.db)
	row, err := q.HitRateLimit(ctx, dbgen.HitRateLimitParams{Bucket: bucket(r, key), WindowSeconds: r.Window.Seconds()})
	if err != nil {
		return fmt.Errorf("count attempt: %w", err)
	}
	if row.Attempts > r.Max {
		if err := q.LockRateLimit(ctx, dbgen.LockRateLimitParams{Bucket: bucket(r, key), LockSeconds: r.Lock.Seconds()}); err != nil {
			return fmt.Errorf("lock bucket: %w", err)
		}
		return limited(time.Now().Add(r.Lock))
	}
	return nil
}

// Clear forgets a bucket (a successful sign-in clears its email's failures).
func (l *Limiter) Clear(ctx context.Context, r Rule, key string) error {
	return dbgen.New(l.db).ClearRateLimit(ctx, bucket(r, key))
}
