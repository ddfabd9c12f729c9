package auth

import (
	_ "embed" // the common-passwords list
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

// MinEmailNameLength is the shortest email local part that a password may not contain: a
// shorter one ("a@x.com") would forbid too much ("a" in every password).
const MinEmailNameLength = 3

// commonPasswordsList is the 10,000 most common passwords, one a line, most common first: the
// file "10k most common.txt" of the npm package common-password 0.1.2 (by Michał Adamski,
// ISC licence as its package.json declares), which is Mark Burnett's "10,000 Top Passwords"
// list. Only CR line ends were removed.
//
//go:embed common_passwords.txt
var commonPasswordsList string

var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	lines := strings.Split(strings.TrimSpace(commonPasswordsList), "\n")
	set := make(map[string]struct{}, len(lines))
	for _, l := range lines {
		set[strings.ToLower(strings.TrimSpace(l))] = struct{}{}
	}
	return set
})

// IsCommonPassword reports whether password, in any case, is one of the 10,000 most common.
func IsCommonPassword(password string) bool {
	_, ok := commonPasswords()[strings.ToLower(strings.TrimSpace(password))]
	return ok
}

// CheckPassword applies the password rules; field names the JSON field in errors. A password is
// 10 characters to 72 bytes, not one of the 10,000 most common passwords (in any case), and
// does not contain the email's local part (in any case) when that is at least 3 characters.
func CheckPassword(password, email, field string) error {
	lower := strings.ToLower(password)
	local, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(email)), "@")
	switch {
	case len([]rune(password)) < MinPasswordLength:
		return apperr.Invalidf([]apperr.FieldError{{Field: field, Message: "must be at least 10 characters"}}, "The password is too short.")
	case len(password) > MaxPasswordBytes:
		return apperr.Invalidf([]apperr.FieldError{{Field: field, Message: "must be at most 72 bytes"}}, "The password is too long.")
	case strings.EqualFold(strings.TrimSpace(password), strings.TrimSpace(email)):
		return apperr.Invalidf([]apperr.FieldError{{Field: field, Message: "must not be your email address"}}, "The password must not be the email address.")
	case len([]rune(local)) >= MinEmailNameLength && strings.Contains(lower, local):
		return apperr.Invalidf([]apperr.FieldError{{Field: field, Message: "must not contain the name of your email address (the part before @)"}},
			"The password must not contain the email address's name.")
	case IsCommonPassword(password):
		return apperr.Invalidf([]apperr.FieldError{{Field: field, Message: "is one of the 10,000 most common passwords: choose a less common one"}},
			"The password is too common.")
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
