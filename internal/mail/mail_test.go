package mail_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/mail"
	"github.com/datanika/datanika/internal/testutil"
)

func TestParse_RejectsBadURLs(t *testing.T) {
	t.Parallel()
	s, err := mail.Parse("")
	require.NoError(t, err)
	require.Nil(t, s)
	for _, bad := range []string{"http://x", "smtp://host", "smtp://host?from=not-an-address", "smtp:///?from=a@b.c"} {
		_, err := mail.Parse(bad)
		require.Error(t, err, bad)
	}
}

func TestSend_DeliversAPlainTextMessage(t *testing.T) {
	t.Parallel()
	fake := testutil.StartFakeSMTP(t)
	s, err := mail.Parse("smtp://" + fake.Addr + "?from=datanika@example.com")
	require.NoError(t, err)
	require.NoError(t, s.Send(context.Background(), mail.Message{To: "ada@example.com", Subject: "Einladung für dich", Body: "line 1\nline 2"}))
	got := <-fake.Received
	require.Contains(t, got, "MAIL FROM:<datanika@example.com>")
	require.Contains(t, got, "RCPT TO:<ada@example.com>")
	require.Contains(t, got, "To: ada@example.com\r\n")
	require.Contains(t, got, "Subject: =?utf-8?q?")
	require.Contains(t, got, "line 1\r\nline 2")
}

func TestSend_RefusesHeaderInjection(t *testing.T) {
	t.Parallel()
	fake := testutil.StartFakeSMTP(t)
	s, err := mail.Parse("smtp://" + fake.Addr + "?from=datanika@example.com")
	require.NoError(t, err)
	require.Error(t, s.Send(context.Background(), mail.Message{To: "a@example.com\r\nBcc: b@example.com", Subject: "x"}))
}
