package auth

import (
	"errors"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"

	"github.com/datanika/datanika/internal/apperr"
)

// BcryptCost is the work factor of password hashes (SPEC §4: at least 12). Only tests lower it,
// since one hash at 12 takes about a quarter of a second.
var BcryptCost = 12

// Password rules. bcrypt ignores bytes past 72, so longer passwords are refused rather than
// silently truncated.
const (
	MinPasswordLength = 10
	MaxPasswordBytes  = 72
)

// CheckPassword applies the password rules; field names the JSON field in errors.
func CheckPassword(password, email, field string) error {
	switch {
	case len([]rune(password)) < MinPasswordLength:
		return apperr.Invalidf([]apperr.FieldError{{Field: field, Message: "must be at least 10 characters"}}, "The password is too short.")
	case len(password) > MaxPasswordBytes:
		return apperr.Invalidf([]apperr.FieldError{{Field: field, Message: "must be at most 72 bytes"}}, "The password is too long.")
	case strings.EqualFold(strings.TrimSpace(password), strings.TrimSpace(email)):
		return apperr.Invalidf([]apperr.FieldError{{Field: field, Message: "must not be your email address"}}, "The password must not be the email address.")
	}
	return nil
}

// HashPassword hashes a password that passed CheckPassword.
func HashPassword(password string) (string, error) {
	b, err := bcrypt.GenerateFromPassword([]byte(password), BcryptCost)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// dummyHash is compared against when a user does not exist, so "unknown email" takes as long
// as "wrong password" and the two cannot be told apart by timing. Made on first use: at package
// init it cost every command of the binary (datanika load, migrate…) 0.2 s of start-up.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("datanika-timing-equaliser"), BcryptCost)
	return h
})

// VerifyPassword reports whether password matches hash. An empty hash (an account without a
// password) never matches, after spending the same time.
func VerifyPassword(hash, password string) bool {
	if hash == "" || len(password) > 1024 {
		_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return false
	}
	err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
	return err == nil && !errors.Is(err, bcrypt.ErrMismatchedHashAndPassword)
}
