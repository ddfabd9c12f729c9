package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/api"
)

// A URL nothing answers on: Test records a refused connection, quickly.
const deadHookURL = "http://127.0.0.1:1/hooks/secret-path"

// The notification operations in the RBAC and cross-tenant tables.
func init() {
	requestBuilders["listNotifications"] = func(*testing.T, *testServer, orgFixture) request {
		return request{http.MethodGet, "/api/v1/notifications", nil}
	}
	requestBuilders["createNotification"] = func(*testing.T, *testServer, orgFixture) request {
		return request{http.MethodPost, "/api/v1/notifications", map[string]any{"name": uniqueEmail("hook"), "channel": "webhook", "url": deadHookURL}}
	}
	requestBuilders["getNotification"] = func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodGet, notificationPath(s.createNotification(t, f).Id, ""), nil}
	}
	requestBuilders["updateNotification"] = func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodPatch, notificationPath(s.createNotification(t, f).Id, ""), map[string]any{"name": uniqueEmail("renamed")}}
	}
	requestBuilders["deleteNotification"] = func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodDelete, notificationPath(s.createNotification(t, f).Id, ""), nil}
	}
	requestBuilders["testNotification"] = func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodPost, notificationPath(s.createNotification(t, f).Id, "/test"), nil}
	}
	requestBuilders["listNotificationDeliveries"] = func(t *testing.T, s *testServer, f orgFixture) request {
		return request{http.MethodGet, notificationPath(s.createNotification(t, f).Id, "/deliveries"), nil}
	}
	requestBuilders["redeliverNotification"] = func(t *testing.T, s *testServer, f orgFixture) request {
		n, d := s.testedNotification(t, f)
		return request{http.MethodPost, notificationPath(n, fmt.Sprintf("/deliveries/%d/redeliver", d)), nil}
	}
	crossTenantTargets["getNotification"] = func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodGet, notificationPath(s.createNotification(t, g).Id, ""), nil}
	}
	crossTenantTargets["updateNotification"] = func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodPatch, notificationPath(s.createNotification(t, g).Id, ""), map[string]any{"url": "https://evil.example/x"}}
	}
	crossTenantTargets["deleteNotification"] = func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodDelete, notificationPath(s.createNotification(t, g).Id, ""), nil}
	}
	crossTenantTargets["testNotification"] = func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodPost, notificationPath(s.createNotification(t, g).Id, "/test"), nil}
	}
	crossTenantTargets["listNotificationDeliveries"] = func(t *testing.T, s *testServer, g orgFixture) request {
		return request{http.MethodGet, notificationPath(s.createNotification(t, g).Id, "/deliveries"), nil}
	}
	crossTenantTargets["redeliverNotification"] = func(t *testing.T, s *testServer, g orgFixture) request {
		n, d := s.testedNotification(t, g)
		return request{http.MethodPost, notificationPath(n, fmt.Sprintf("/deliveries/%d/redeliver", d)), nil}
	}
}

func notificationPath(id int64, suffix string) string {
	return fmt.Sprintf("/api/v1/notifications/%d%s", id, suffix)
}

// createNotification creates a webhook channel as f's owner.
func (s *testServer) createNotification(t *testing.T, f orgFixture) api.Notification {
	t.Helper()
	return decode[api.Notification](t, s.call(t, http.MethodPost, "/api/v1/notifications", f.owner.AccessToken,
		map[string]any{"name": uniqueEmail("hook"), "channel": "webhook", "url": deadHookURL}), http.StatusCreated)
}

// testedNotification is a channel of f with one recorded attempt (its Test button pressed).
func (s *testServer) testedNotification(t *testing.T, f orgFixture) (int64, int64) {
	t.Helper()
	n := s.createNotification(t, f)
	d := decode[api.NotificationDelivery](t, s.call(t, http.MethodPost, notificationPath(n.Id, "/test"), f.owner.AccessToken, nil), http.StatusOK)
	return n.Id, d.Id
}

// hookReceiver checks Standard Webhooks signatures with its own few lines.
type hookReceiver struct {
	*httptest.Server
	secret string
	mu     sync.Mutex
	ids    []string
	valid  []bool
	bodies [][]byte
}

func newHookReceiver(t *testing.T, code int) *hookReceiver {
	t.Helper()
	r := &hookReceiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		id, ts := req.Header.Get("webhook-id"), req.Header.Get("webhook-signature")
		r.mu.Lock()
		key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(r.secret, "whsec_"))
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(id + "." + req.Header.Get("webhook-timestamp") + "." + string(body)))
		r.ids = append(r.ids, id)
		r.valid = append(r.valid, ts == "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
		r.bodies = append(r.bodies, body)
		r.mu.Unlock()
		w.WriteHeader(code)
	}))
	t.Cleanup(r.Close)
	return r
}

func TestNotifications_SecretOnlyInTheCreateAnswerAndURLMaskedBelowAdmin(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	p := s.createPipeline(t, f)
	created := decode[api.Notification](t, s.call(t, http.MethodPost, "/api/v1/notifications", f.admin.AccessToken, map[string]any{
		"name": "Ops Slack", "channel": "slack", "url": "https://hooks.slack.com/services/T00/B00/XXSECRETXX",
		"events": []string{"failure", "recovery"}, "target_type": "pipeline", "target_id": p.Id,
	}), http.StatusCreated)
	require.Nil(t, created.Secret, "a Slack channel has no signing secret")
	require.Equal(t, []api.NotificationEvent{"failure", "recovery"}, created.Events)
	require.Equal(t, p.Name, *created.TargetName)
	require.True(t, created.IsActive)

	hook := decode[api.Notification](t, s.call(t, http.MethodPost, "/api/v1/notifications", f.owner.AccessToken, map[string]any{
		"name": "Ops hook", "channel": "webhook", "url": "https://example.com/hooks/datanika?token=abc",
	}), http.StatusCreated)
	require.NotNil(t, hook.Secret)
	require.True(t, strings.HasPrefix(*hook.Secret, "whsec_"))
	require.Equal(t, []api.NotificationEvent{"failure"}, hook.Events, "the default")
	require.Nil(t, hook.TargetType)

	for _, role := range []string{"owner", "admin"} {
		token := map[string]string{"owner": f.owner.AccessToken, "admin": f.admin.AccessToken}[role]
		got := decode[api.Notification](t, s.call(t, http.MethodGet, notificationPath(hook.Id, ""), token, nil), http.StatusOK)
		require.Equal(t, "https://example.com/hooks/datanika?token=abc", got.Url, role)
		require.Nil(t, got.Secret)
	}
	for _, token := range []string{f.viewer.AccessToken, f.editor.AccessToken} {
		list := s.call(t, http.MethodGet, "/api/v1/notifications", token, nil)
		require.Equal(t, http.StatusOK, list.Code)
		require.NotContains(t, list.Body.String(), "XXSECRETXX")
		require.NotContains(t, list.Body.String(), "token=abc")
		require.NotContains(t, list.Body.String(), *hook.Secret)
		items := decode[api.NotificationList](t, list, http.StatusOK).Items
		require.Len(t, items, 2)
		require.Equal(t, "https://hooks.slack.com/****", items[0].Url)
		require.Equal(t, "https://example.com/****", items[1].Url)
	}
	all := s.call(t, http.MethodGet, "/api/v1/notifications", f.owner.AccessToken, nil).Body.String()
	require.NotContains(t, all, *hook.Secret)
	require.NotContains(t, all, "secret_sealed")
	audit := s.call(t, http.MethodGet, "/api/v1/audit-logs?limit=500", f.owner.AccessToken, nil).Body.String()
	require.Contains(t, audit, "notification.create")
	require.NotContains(t, audit, "XXSECRETXX", "the audit log masks the URL's path")
	require.NotContains(t, audit, *hook.Secret)

	// Update: rename, change events, make org-wide with explicit nulls; the secret stays.
	upd := decode[api.Notification](t, s.call(t, http.MethodPatch, notificationPath(created.Id, ""), f.admin.AccessToken,
		map[string]any{"name": "Ops Slack 2", "events": []string{"success"}, "target_type": nil, "target_id": nil}), http.StatusOK)
	require.Equal(t, "Ops Slack 2", upd.Name)
	require.Equal(t, []api.NotificationEvent{"success"}, upd.Events)
	require.Nil(t, upd.TargetType)
	require.Nil(t, upd.TargetId)
	kept := decode[api.Notification](t, s.call(t, http.MethodPatch, notificationPath(upd.Id, ""), f.admin.AccessToken,
		map[string]any{"is_active": false}), http.StatusOK)
	require.False(t, kept.IsActive)
	require.Equal(t, "Ops Slack 2", kept.Name)

	require.Equal(t, http.StatusNoContent, s.call(t, http.MethodDelete, notificationPath(hook.Id, ""), f.admin.AccessToken, nil).Code)
	decodeProblem(t, s.call(t, http.MethodGet, notificationPath(hook.Id, ""), f.admin.AccessToken, nil), http.StatusNotFound)
}

func TestNotifications_InvalidInputAnswers422WithFieldsAndDuplicates409(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f, g := s.newOrg(t), s.newOrg(t)
	otherOrgsPipeline := s.createPipeline(t, g)
	cases := []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"name": "a", "channel": "webhook", "url": "ftp://example.com/x"}, "url"},
		{map[string]any{"name": "a", "channel": "webhook", "url": "/relative"}, "url"},
		{map[string]any{"name": "a", "channel": "webhook", "url": "https://u:p@example.com/x"}, "url"},
		{map[string]any{"name": "   ", "channel": "webhook", "url": "https://example.com/x"}, "name"},
		{map[string]any{"name": "a", "channel": "webhook", "url": "https://example.com/x", "target_type": "pipeline"}, "target_id"},
		{map[string]any{"name": "a", "channel": "webhook", "url": "https://example.com/x", "target_type": "pipeline", "target_id": otherOrgsPipeline.Id}, "target_id"},
		{map[string]any{"name": "a", "channel": "webhook", "url": "https://example.com/x", "target_type": "job", "target_id": 999999}, "target_id"},
	}
	for _, c := range cases {
		p := decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/notifications", f.admin.AccessToken, c.body), http.StatusUnprocessableEntity)
		require.NotNil(t, p.Errors, "%v", c.body)
		var fields []string
		for _, e := range *p.Errors {
			fields = append(fields, e.Field)
		}
		require.Contains(t, fields, c.field, "%v", c.body)
	}
	rec := s.call(t, http.MethodPost, "/api/v1/notifications", f.admin.AccessToken, map[string]any{"name": "a", "channel": "webhook", "url": "https://example.com/x", "events": []string{"explode"}})
	require.GreaterOrEqual(t, rec.Code, 400)
	require.Less(t, rec.Code, 500)

	n := s.createNotification(t, f)
	decodeProblem(t, s.call(t, http.MethodPost, "/api/v1/notifications", f.admin.AccessToken, map[string]any{"name": strings.ToUpper(n.Name), "channel": "slack", "url": "https://example.com/x"}), http.StatusConflict)
	decodeProblem(t, s.call(t, http.MethodPatch, notificationPath(n.Id, ""), f.admin.AccessToken, map[string]any{"url": "javascript:alert(1)"}), http.StatusUnprocessableEntity)
	decodeProblem(t, s.call(t, http.MethodPatch, notificationPath(n.Id, ""), f.admin.AccessToken, map[string]any{"target_type": "pipeline", "target_id": otherOrgsPipeline.Id}), http.StatusUnprocessableEntity)
	decodeProblem(t, s.call(t, http.MethodGet, notificationPath(n.Id, "/deliveries/1/redeliver"), f.admin.AccessToken, nil), http.StatusMethodNotAllowed)
	decodeProblem(t, s.call(t, http.MethodPost, notificationPath(n.Id, "/deliveries/999999/redeliver"), f.admin.AccessToken, nil), http.StatusNotFound)
	// A viewer and an editor may not test or change a channel.
	decodeProblem(t, s.call(t, http.MethodPost, notificationPath(n.Id, "/test"), f.editor.AccessToken, nil), http.StatusForbidden)
	decodeProblem(t, s.call(t, http.MethodDelete, notificationPath(n.Id, ""), f.viewer.AccessToken, nil), http.StatusForbidden)
}

func TestNotifications_TestButtonSendsASignedTestAndRedeliverQueuesTheSameMessage(t *testing.T) {
	t.Parallel()
	s := setup(t)
	f := s.newOrg(t)
	r := newHookReceiver(t, http.StatusOK)
	n := decode[api.Notification](t, s.call(t, http.MethodPost, "/api/v1/notifications", f.admin.AccessToken, map[string]any{
		"name": "receiver", "channel": "webhook", "url": r.URL + "/hook",
	}), http.StatusCreated)
	r.secret = *n.Secret

	d := decode[api.NotificationDelivery](t, s.call(t, http.MethodPost, notificationPath(n.Id, "/test"), f.admin.AccessToken, nil), http.StatusOK)
	require.Equal(t, "test", d.Event)
	require.Equal(t, api.NotificationDeliveryStateDelivered, d.State)
	require.Equal(t, int32(200), *d.StatusCode)
	require.Nil(t, d.Error)
	require.Equal(t, int32(1), d.Attempt)
	require.Len(t, r.ids, 1)
	require.True(t, r.valid[0], "the receiver verified the signature")
	require.Equal(t, d.MessageId, r.ids[0])
	var body map[string]any
	require.NoError(t, json.Unmarshal(r.bodies[0], &body))
	require.Equal(t, "test", body["type"])
	require.EqualValues(t, f.orgID, body["org"].(map[string]any)["id"])

	// A dead URL: the attempt is answered and recorded as failed, with no URL in the error.
	dead := s.createNotification(t, f)
	failed := decode[api.NotificationDelivery](t, s.call(t, http.MethodPost, notificationPath(dead.Id, "/test"), f.admin.AccessToken, nil), http.StatusOK)
	require.Equal(t, api.NotificationDeliveryStateFailed, failed.State)
	require.Equal(t, "connection refused", *failed.Error)
	require.Nil(t, failed.StatusCode)

	// Redeliver: the same message id, a new series of attempts, newest first in the log.
	again := decode[api.NotificationDelivery](t, s.call(t, http.MethodPost, notificationPath(n.Id, fmt.Sprintf("/deliveries/%d/redeliver", d.Id)), f.admin.AccessToken, nil), http.StatusAccepted)
	require.Equal(t, d.MessageId, again.MessageId)
	require.Equal(t, api.NotificationDeliveryStatePending, again.State)
	require.Equal(t, int32(1), again.Attempt)
	require.NotEqual(t, d.Id, again.Id)

	list := decode[api.NotificationDeliveryList](t, s.call(t, http.MethodGet, notificationPath(n.Id, "/deliveries"), f.viewer.AccessToken, nil), http.StatusOK)
	require.Len(t, list.Items, 2)
	require.Equal(t, again.Id, list.Items[0].Id)
	require.Equal(t, d.Id, list.Items[1].Id)
	first := decode[api.NotificationDeliveryList](t, s.call(t, http.MethodGet, notificationPath(n.Id, "/deliveries?limit=1"), f.viewer.AccessToken, nil), http.StatusOK)
	require.Len(t, first.Items, 1)
	require.NotNil(t, first.NextCursor)
	second := decode[api.NotificationDeliveryList](t, s.call(t, http.MethodGet, notificationPath(n.Id, "/deliveries?limit=1&cursor="+*first.NextCursor), f.viewer.AccessToken, nil), http.StatusOK)
	require.Len(t, second.Items, 1)
	require.Equal(t, d.Id, second.Items[0].Id)
	// Another channel's delivery cannot be redelivered through this one.
	decodeProblem(t, s.call(t, http.MethodPost, notificationPath(n.Id, fmt.Sprintf("/deliveries/%d/redeliver", failed.Id)), f.admin.AccessToken, nil), http.StatusNotFound)
}
