package auth

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/apperr"
)

func TestCommonPasswords_ShipsTenThousandDistinctEntries(t *testing.T) {
	t.Parallel()
	require.Len(t, commonPasswords(), 10000)
	require.True(t, IsCommonPassword("password"), "the most common one")
	require.True(t, IsCommonPassword("eyphed"), "the last one")
}

func TestCheckPassword(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, password, email string
		message               string // "" when allowed
	}{
		{"a good passphrase", "correct horse battery", "owner@example.com", ""},
		{"too short", "tiny-pw", "owner@example.com", "at least 10 characters"},
		{"too long", strings.Repeat("é", 40), "owner@example.com", "at most 72 bytes"},
		{"the email", "Owner@Example.com", "owner@example.com", "must not be your email address"},
		{"common", "1234567890", "owner@example.com", "10,000 most common"},
		{"common in other case", "QwertyUiop", "owner@example.com", "10,000 most common"},
		{"common with spaces around", " basketball ", "owner@example.com", "10,000 most common"},
		{"contains the local part", "the owner of it", "owner@example.com", "part before @"},
		{"contains the local part in other case", "OWNER-of-it-2024", "owner@example.com", "part before @"},
		{"contains a dotted local part", "jane.doe rocks!", "Jane.Doe@example.com", "part before @"},
		{"a 3-character local part counts", "bobsleigh run", "bob@example.com", "part before @"},
		{"a 2-character local part forbids nothing", "a cab absconds", "ab@example.com", ""},
		{"a 1-character local part forbids nothing", "aaaaaaaaaaaa-zzz", "a@example.com", ""},
		{"a non-ASCII local part", "ich bin jürgen!", "jürgen@example.com", "part before @"},
		{"the domain alone is fine", "example rocks 42", "owner@example.com", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := CheckPassword(c.password, c.email, "password")
			if c.message == "" {
				require.NoError(t, err)
				return
			}
			var ae *apperr.Error
			require.True(t, errors.As(err, &ae), "%v", err)
			require.Equal(t, apperr.Invalid, ae.Kind)
			require.Len(t, ae.Fields, 1)
			require.Equal(t, "password", ae.Fields[0].Field)
			require.Contains(t, ae.Fields[0].Message, c.message)
			require.NotContains(t, ae.Detail, c.password, "the password never appears in an error")
		})
	}
}
