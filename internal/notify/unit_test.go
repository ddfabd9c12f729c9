package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/egress"
)

// The expected signatures were computed outside Go, with openssl:
//
//	printf '%s' 'msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test": 2432232314}' |
//	  openssl dgst -sha256 -mac HMAC -macopt hexkey:$(printf KEY | xxd -p -c 100) -binary | base64
//
// where KEY is the secret's base64-decoded part after whsec_.
func TestSign_MatchesVectorsComputedWithOpenSSL(t *testing.T) {
	t.Parallel()
	body := []byte(`{"test": 2432232314}`)
	cases := []struct{ secret, want string }{
		// Key: the 32 bytes "datanika-test-signing-key-32byte".
		{"whsec_ZGF0YW5pa2EtdGVzdC1zaWduaW5nLWtleS0zMmJ5dGU=", "v1,J1cCMePgelXoX/Xc/D/SR86o1+7trd/N7f/Eiy/HmeE="},
		// The Standard Webhooks specification's own example secret: the same answer it publishes.
		{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
	}
	for _, c := range cases {
		got, err := Sign(c.secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
		require.NoError(t, err)
		require.Equal(t, c.want, got)
	}
	other, err := Sign(cases[0].secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331, body)
	require.NoError(t, err)
	require.NotEqual(t, cases[0].want, other, "the timestamp is signed")
	_, err = Sign("whsec_!!!", "msg", 1, body)
	require.Error(t, err)
}

func TestNewSecret_Is32RandomBytes(t *testing.T) {
	t.Parallel()
	a, b := newSecret(), newSecret()
	require.NotEqual(t, a, b)
	key, err := secretKey(a)
	require.NoError(t, err)
	require.Len(t, key, 32)
	require.True(t, strings.HasPrefix(a, "whsec_"))
}

// The production schedule, as a pure function: at least 5 attempts over at least 10 minutes,
// whatever the jitter draws.
func TestBackoff_ProductionScheduleSpansTenMinutesInFiveAttemptsOrMore(t *testing.T) {
	t.Parallel()
	require.GreaterOrEqual(t, MaxAttempts, 5)
	for range 200 {
		var total time.Duration
		for attempt := 1; attempt < MaxAttempts; attempt++ {
			d := Backoff(attempt)
			nominal := FirstRetryDelay << (attempt - 1)
			require.InDelta(t, float64(nominal), float64(d), float64(nominal)/10+1, "attempt %d", attempt)
			total += d
		}
		require.GreaterOrEqual(t, total, 10*time.Minute)
	}
	require.Equal(t, 30*time.Second, FirstRetryDelay)
}

func TestRetryAfter_SecondsAndDatesClamped(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	require.Equal(t, 120*time.Second, retryAfter("120", now))
	require.Equal(t, MaxRetryAfter, retryAfter("999999", now))
	require.Equal(t, 90*time.Second, retryAfter(now.Add(90*time.Second).Format(http.TimeFormat), now))
	require.Equal(t, MaxRetryAfter, retryAfter(now.Add(48*time.Hour).Format(http.TimeFormat), now))
	require.Zero(t, retryAfter(now.Add(-time.Minute).Format(http.TimeFormat), now))
	require.Zero(t, retryAfter("", now))
	require.Zero(t, retryAfter("soon", now))
	require.Zero(t, retryAfter("-5", now))

	s := &Sender{Backoff: func(int) time.Duration { return time.Minute }}
	require.Equal(t, time.Minute, s.nextDelay(1, Result{Retry: true}))
	require.Equal(t, time.Minute, s.nextDelay(1, Result{Retry: true, RetryAfter: 7 * time.Second}), "never sooner than the schedule")
	require.Equal(t, 40*time.Minute, s.nextDelay(1, Result{Retry: true, RetryAfter: 40 * time.Minute}), "never sooner than asked")
	s.Backoff = func(int) time.Duration { return 0 }
	require.Equal(t, 7*time.Second, s.nextDelay(1, Result{Retry: true, RetryAfter: 7 * time.Second}))
}

func TestMessageType_RecoveryOnceAndOneMessagePerChannel(t *testing.T) {
	t.Parallel()
	all := []string{"failure", "success", "recovery"}
	cases := []struct {
		events     []string
		status     string
		recovering bool
		want       string
	}{
		{[]string{"failure"}, "failed", false, EventRunFailed},
		{[]string{"success"}, "failed", false, ""},
		{[]string{"failure"}, "success", true, ""},
		{[]string{"success"}, "success", false, EventRunSucceeded},
		{[]string{"success"}, "success", true, EventRunSucceeded},
		{[]string{"recovery"}, "success", true, EventRunRecovered},
		{[]string{"recovery"}, "success", false, ""},
		{all, "success", true, EventRunRecovered},
		{all, "success", false, EventRunSucceeded},
		{all, "failed", false, EventRunFailed},
		{all, "skipped", false, ""},
		{all, "cancelled", false, ""},
	}
	for _, c := range cases {
		require.Equal(t, c.want, messageType(c.events, c.status, c.recovering), "%v %s recovering=%v", c.events, c.status, c.recovering)
	}
	require.Empty(t, runEvents("skipped"))
	require.Empty(t, runEvents("cancelled"))
}

func TestRules_URLEventsTargetAndMasking(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"https://hooks.slack.com/services/T/B/x", "http://127.0.0.1:8080/hook"} {
		_, fe := checkURL(ok)
		require.Nil(t, fe, ok)
	}
	for _, bad := range []string{"", "/relative", "ftp://x/y", "https://", "https://user:pw@host/x", "mailto:a@b.c"} {
		_, fe := checkURL(bad)
		require.NotNil(t, fe, bad)
		require.Equal(t, "url", fe.Field)
	}
	ev, fe := checkEvents([]string{"recovery", "failure", "failure"})
	require.Nil(t, fe)
	require.Equal(t, []string{"failure", "recovery"}, ev)
	_, fe = checkEvents([]string{"explode"})
	require.NotNil(t, fe)
	typ, id := "pipeline", int64(3)
	require.Nil(t, checkTarget(nil, nil))
	require.Nil(t, checkTarget(&typ, &id))
	require.Equal(t, "target_id", checkTarget(&typ, nil).Field)
	require.Equal(t, "target_type", checkTarget(nil, &id).Field)
	require.Equal(t, "https://hooks.slack.com/****", MaskURL("https://hooks.slack.com/services/T000/B000/XXXXSECRET"))
	require.Equal(t, "http://127.0.0.1:9/****", MaskURL("http://127.0.0.1:9/a?b=c"))
}

func TestSlackMessage_StatusTargetErrorAndLink(t *testing.T) {
	t.Parallel()
	errText := "relation <raw.orders> does not exist"
	p := Payload{Type: EventRunFailed, Org: orgRef{ID: 1, Name: "Acme"}, Run: &runBody{ID: 42, Status: "failed",
		TargetType: "pipeline", TargetName: "Orders", Error: &errText, URL: "https://app.example/runs/42"}}
	raw, err := json.Marshal(p)
	require.NoError(t, err)
	out, err := slackMessage(raw)
	require.NoError(t, err)
	var msg struct {
		Text   string           `json:"text"`
		Blocks []map[string]any `json:"blocks"`
	}
	require.NoError(t, json.Unmarshal(out, &msg))
	require.Contains(t, msg.Text, "pipeline Orders failed")
	require.Contains(t, msg.Text, "run 42")
	require.Len(t, msg.Blocks, 2)
	detail := msg.Blocks[1]["text"].(map[string]any)["text"].(string)
	require.Contains(t, detail, "relation &lt;raw.orders&gt; does not exist")
	require.Contains(t, detail, "<https://app.example/runs/42|Open the run>")
}

func TestNetworkResult_NeverCarriesTheURL(t *testing.T) {
	t.Parallel()
	secretURL := "https://hooks.slack.com/services/T0/B0/SECRETPART"
	res := networkResult(&url.Error{Op: "Post", URL: secretURL, Err: errors.New("something odd")})
	require.NotContains(t, res.Err, "SECRETPART")
	require.True(t, res.Retry)
	denied := networkResult(&url.Error{Op: "Post", URL: secretURL, Err: fmt.Errorf("dial: %w: 169.254.169.254 is a cloud metadata address", egress.ErrDenied)})
	require.False(t, denied.Retry, "a refusal of the policy is final")
	require.NotContains(t, denied.Err, "SECRETPART")
	require.Contains(t, denied.Err, "cloud metadata address")
	timeout := networkResult(&url.Error{Op: "Post", URL: secretURL, Err: context.DeadlineExceeded})
	require.True(t, timeout.Retry)
}
