package testutil

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/apperr"
)

// RequireKind asserts err is an apperr.Error of kind and returns it; why, when given, names the
// rule the assertion checks.
func RequireKind(t testing.TB, err error, kind apperr.Kind, why ...string) apperr.Error {
	t.Helper()
	prefix := ""
	if len(why) > 0 {
		prefix = strings.Join(why, " ") + ": "
	}
	var ae *apperr.Error
	require.True(t, errors.As(err, &ae), "%san apperr.Error, got %v", prefix, err)
	require.Equal(t, kind, ae.Kind, fmt.Sprintf("%s%v", prefix, err))
	return *ae
}
