package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/datanika/datanika/api"
	"github.com/datanika/datanika/internal/auth"
)

func TestMain(m *testing.M) {
	// Production hashes at cost 12 (about 250 ms each); the behaviour under test is the same.
	auth.BcryptCost = bcrypt.MinCost
	os.Exit(m.Run())
}

// upload is a multipart body with one file part.
type upload struct {
	field, name string
	content     []byte
}

var emailSeq atomic.Int64

func uniqueEmail(prefix string) string {
	return fmt.Sprintf("%s-%d@example.com", prefix, emailSeq.Add(1))
}

const testPassword = "correct horse battery"

// call sends a JSON request as a client would, with an optional bearer credential.
func (s *testServer) call(t testing.TB, method, path, bearer string, body any) *httptest.ResponseRecorder {
	t.Helper()
	var r *bytes.Reader
	contentType := "application/json"
	switch b := body.(type) {
	case nil:
		r = bytes.NewReader(nil)
	case upload:
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, err := mw.CreateFormFile(b.field, b.name)
		require.NoError(t, err)
		_, _ = fw.Write(b.content)
		require.NoError(t, mw.Close())
		r = bytes.NewReader(buf.Bytes())
		contentType = mw.FormDataContentType()
	case string:
		r = bytes.NewReader([]byte(b))
	default:
		raw, err := json.Marshal(b)
		require.NoError(t, err)
		r = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	// Each request from its own address, as many users would be: the per-IP sign-up limit is
	// tested on its own.
	n := ipSeq.Add(1)
	req.RemoteAddr = fmt.Sprintf("198.51.%d.%d:1234", (n/250)%250, n%250+1)
	rec := httptest.NewRecorder()
	s.e.ServeHTTP(rec, req)
	return rec
}

var ipSeq atomic.Int64

func decode[T any](t testing.TB, rec *httptest.ResponseRecorder, status int) T {
	t.Helper()
	require.Equal(t, status, rec.Code, rec.Body.String())
	var v T
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &v), rec.Body.String())
	return v
}

// signup creates an account and its org, returning the tokens.
func (s *testServer) signup(t testing.TB, email, name string) api.TokenResponse {
	t.Helper()
	body := map[string]any{"email": email, "password": testPassword, "full_name": name}
	if s.pool == nil {
		// The fast tier: parallel tests' uncommitted orgs are invisible to each other, so two
		// orgs named alike would both take the same slug and the second insert would wait for
		// the first test to end. The email's unique local part keeps every slug apart.
		body["org_name"] = name + " " + strings.SplitN(email, "@", 2)[0]
	}
	rec := s.call(t, http.MethodPost, "/api/v1/auth/signup", "", body)
	return decode[api.TokenResponse](t, rec, http.StatusCreated)
}

// orgFixture is an org with one member of each role.
type orgFixture struct {
	owner, admin, editor, viewer api.TokenResponse
	orgID                        int64
}

func (f orgFixture) token(role auth.Role) string {
	switch role {
	case auth.RoleOwner:
		return f.owner.AccessToken
	case auth.RoleAdmin:
		return f.admin.AccessToken
	case auth.RoleEditor:
		return f.editor.AccessToken
	default:
		return f.viewer.AccessToken
	}
}

// newOrg signs up an owner and adds an admin, an editor and a viewer (each with an account of
// their own first, then added to the owner's org and switched into it).
func (s *testServer) newOrg(t testing.TB) orgFixture {
	t.Helper()
	f := orgFixture{owner: s.signup(t, uniqueEmail("owner"), "Owner")}
	f.orgID = f.owner.Org.Id
	join := func(role auth.Role) api.TokenResponse {
		email := uniqueEmail(string(role))
		own := s.signup(t, email, string(role))
		rec := s.call(t, http.MethodPost, "/api/v1/members", f.owner.AccessToken, map[string]any{"email": email, "role": role})
		require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
		rec = s.call(t, http.MethodPost, "/api/v1/auth/switch-org", own.AccessToken, map[string]any{"org_id": f.orgID})
		return decode[api.TokenResponse](t, rec, http.StatusOK)
	}
	f.admin, f.editor, f.viewer = join(auth.RoleAdmin), join(auth.RoleEditor), join(auth.RoleViewer)
	return f
}

func httptestRequest(method, path, body string) *http.Request {
	req := httptest.NewRequest(method, path, bytes.NewReader([]byte(body)))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.RemoteAddr = "192.0.2.10:1234"
	return req
}

func serve(s *testServer, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	s.e.ServeHTTP(rec, req)
	return rec
}
