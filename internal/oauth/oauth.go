// Package oauth owns sign-in with Google and GitHub: the providers' endpoints, the
// authorization-code flow with state and PKCE (kept in a cookie signed with SECRET_KEY, so any
// process can finish a flow another started), and reading the person's verified email (for
// GitHub, the primary verified address).
package oauth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/endpoints"
)

// Identity is who the provider says the person is.
type Identity struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
}

// Provider is one configured identity provider.
type Provider struct {
	Name   string // google, github
	Label  string
	config oauth2.Config
	// apiBase is where the provider's user API lives (overridable for tests).
	apiBase string
	fetch   func(ctx context.Context, client *http.Client, apiBase string) (Identity, error)
}

// Settings configure the providers; a provider with an empty client id is disabled. The URL
// fields override the providers' public endpoints (tests point them at a local fake).
type Settings struct {
	GoogleClientID, GoogleClientSecret string
	GitHubClientID, GitHubClientSecret string
	// RedirectBase is the public URL of this installation (the callback is below it).
	RedirectBase string

	GoogleAuthURL, GoogleTokenURL, GoogleAPIBase string
	GitHubAuthURL, GitHubTokenURL, GitHubAPIBase string
}

// Providers returns the enabled providers by name.
func Providers(s Settings) map[string]*Provider {
	or := func(v, def string) string {
		if v != "" {
			return v
		}
		return def
	}
	callback := func(name string) string {
		return strings.TrimRight(s.RedirectBase, "/") + "/api/v1/auth/oauth/" + name + "/callback"
	}
	out := map[string]*Provider{}
	if s.GoogleClientID != "" {
		out["google"] = &Provider{
			Name: "google", Label: "Google",
			config: oauth2.Config{
				ClientID: s.GoogleClientID, ClientSecret: s.GoogleClientSecret, RedirectURL: callback("google"),
				Scopes: []string{"openid", "email", "profile"},
				Endpoint: oauth2.Endpoint{
					AuthURL:   or(s.GoogleAuthURL, endpoints.Google.AuthURL),
					TokenURL:  or(s.GoogleTokenURL, endpoints.Google.TokenURL),
					AuthStyle: oauth2.AuthStyleInParams,
				},
			},
			apiBase: or(s.GoogleAPIBase, "https://openidconnect.googleapis.com"),
			fetch:   fetchGoogle,
		}
	}
	if s.GitHubClientID != "" {
		out["github"] = &Provider{
			Name: "github", Label: "GitHub",
			config: oauth2.Config{
				ClientID: s.GitHubClientID, ClientSecret: s.GitHubClientSecret, RedirectURL: callback("github"),
				Scopes: []string{"read:user", "user:email"},
				Endpoint: oauth2.Endpoint{
					AuthURL:   or(s.GitHubAuthURL, endpoints.GitHub.AuthURL),
					TokenURL:  or(s.GitHubTokenURL, endpoints.GitHub.TokenURL),
					AuthStyle: oauth2.AuthStyleInParams,
				},
			},
			apiBase: or(s.GitHubAPIBase, "https://api.github.com"),
			fetch:   fetchGitHub,
		}
	}
	return out
}

// Flow is what the signed state cookie carries between start and callback.
type Flow struct {
	State    string `json:"s"`
	Verifier string `json:"v"`
	Provider string `json:"p"`
	Redirect string `json:"r"`
	// LinkUserID is set when a signed-in user links this provider to their account.
	LinkUserID int64 `json:"u,omitempty"`
	Expires    int64 `json:"e"`
}

// FlowTTL bounds how long a person may take at the provider.
const FlowTTL = 10 * time.Minute

// Start begins a flow: it returns the provider's authorization URL and the flow to keep.
func (p *Provider) Start(redirect string, linkUserID int64) (string, Flow) {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	f := Flow{
		State:      base64.RawURLEncoding.EncodeToString(b),
		Verifier:   oauth2.GenerateVerifier(),
		Provider:   p.Name,
		Redirect:   redirect,
		LinkUserID: linkUserID,
		Expires:    time.Now().Add(FlowTTL).Unix(),
	}
	url := p.config.AuthCodeURL(f.State, oauth2.AccessTypeOnline, oauth2.S256ChallengeOption(f.Verifier))
	return url, f
}

// Finish exchanges the code (with the PKCE verifier) and reads the person's identity.
func (p *Provider) Finish(ctx context.Context, client *http.Client, f Flow, code string) (Identity, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, client)
	tok, err := p.config.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return Identity{}, fmt.Errorf("exchange the authorization code: %w", err)
	}
	return p.fetch(ctx, p.config.Client(ctx, tok), p.apiBase)
}

// SealFlow signs a flow into a cookie value with key.
func SealFlow(key []byte, f Flow) string {
	payload, _ := json.Marshal(f)
	enc := base64.RawURLEncoding.EncodeToString(payload)
	return enc + "." + sign(key, enc)
}

// OpenFlow verifies and decodes a sealed flow.
func OpenFlow(key []byte, sealed string) (Flow, error) {
	enc, sig, ok := strings.Cut(sealed, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(sign(key, enc))) {
		return Flow{}, errors.New("the sign-in flow cookie is missing or forged")
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return Flow{}, err
	}
	var f Flow
	if err := json.Unmarshal(raw, &f); err != nil {
		return Flow{}, err
	}
	if time.Now().Unix() > f.Expires {
		return Flow{}, errors.New("the sign-in flow expired")
	}
	return f, nil
}

func sign(key []byte, data string) string {
	m := hmac.New(sha256.New, append([]byte("datanika-oauth:"), key...))
	m.Write([]byte(data))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func getJSON(ctx context.Context, client *http.Client, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = res.Body.Close() }()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %d", url, res.StatusCode)
	}
	return json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(v)
}

func fetchGoogle(ctx context.Context, client *http.Client, apiBase string) (Identity, error) {
	var u struct {
		Sub           string `json:"sub"`
		Email         string `json:"email"`
		EmailVerified bool   `json:"email_verified"`
		Name          string `json:"name"`
	}
	if err := getJSON(ctx, client, apiBase+"/v1/userinfo", &u); err != nil {
		return Identity{}, fmt.Errorf("read the Google profile: %w", err)
	}
	return Identity{Subject: u.Sub, Email: strings.ToLower(u.Email), EmailVerified: u.EmailVerified, Name: u.Name}, nil
}

func fetchGitHub(ctx context.Context, client *http.Client, apiBase string) (Identity, error) {
	var u struct {
		ID    int64  `json:"id"`
		Login string `json:"login"`
		Name  string `json:"name"`
	}
	if err := getJSON(ctx, client, apiBase+"/user", &u); err != nil {
		return Identity{}, fmt.Errorf("read the GitHub profile: %w", err)
	}
	var emails []struct {
		Email    string `json:"email"`
		Primary  bool   `json:"primary"`
		Verified bool   `json:"verified"`
	}
	if err := getJSON(ctx, client, apiBase+"/user/emails", &emails); err != nil {
		return Identity{}, fmt.Errorf("read the GitHub emails: %w", err)
	}
	id := Identity{Subject: strconv.FormatInt(u.ID, 10), Name: u.Name}
	if id.Name == "" {
		id.Name = u.Login
	}
	for _, e := range emails {
		if e.Primary {
			id.Email, id.EmailVerified = strings.ToLower(e.Email), e.Verified
		}
	}
	return id, nil
}
