package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// verifyWebhook is the README's verifier, word for word (TestREADME_VerifierIsTheTestedOne).
func verifyWebhook(secret string, h http.Header, body []byte, now time.Time) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	ts, tsErr := strconv.ParseInt(h.Get("webhook-timestamp"), 10, 64)
	if err != nil || tsErr != nil || now.Sub(time.Unix(ts, 0)).Abs() > 5*time.Minute {
		return false // a bad secret, or a stale (replayed) message
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(h.Get("webhook-id") + "." + h.Get("webhook-timestamp") + "."))
	mac.Write(body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return true
		}
	}
	return false
}

func TestREADME_VerifierIsTheTestedOne(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("readme_verifier_test.go")
	require.NoError(t, err)
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	start := strings.Index(string(src), "func verifyWebhook(")
	end := strings.Index(string(src)[start:], "\n}\n") + start + 3
	require.Contains(t, string(readme), string(src)[start:end], "README.md's verifier must be verifyWebhook, as tested here")
}

func TestREADME_VerifierAcceptsOurSignatureAndRefusesTamperingAndReplays(t *testing.T) {
	t.Parallel()
	secret := newSecret()
	body := []byte(`{"type":"test","org":{"id":1,"name":"Acme"}}`)
	now := time.Now()
	sig, err := Sign(secret, "msg_1", now.Unix(), body)
	require.NoError(t, err)
	h := http.Header{}
	h.Set("webhook-id", "msg_1")
	h.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	h.Set("webhook-signature", sig)
	require.True(t, verifyWebhook(secret, h, body, now))
	require.False(t, verifyWebhook(secret, h, []byte(`{"type":"test"}`), now), "another body")
	require.False(t, verifyWebhook(newSecret(), h, body, now), "another secret")
	require.False(t, verifyWebhook(secret, h, body, now.Add(10*time.Minute)), "a replay ten minutes later")
	h.Set("webhook-id", "msg_2")
	require.False(t, verifyWebhook(secret, h, body, now), "another message id")
}
