package connectors_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/connectors"
)

const withheld = "the message was withheld because it may contain a secret"

func TestScrub_ReplacesLongSecretsAndWithholdsShortOnes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		secrets []string
		msg     string
		want    string
	}{
		{"a one-character password leaves hex alone", []string{"0"}, "dial tcp 0x7f000001: refused", "dial tcp 0x7f000001: refused"},
		{"a short secret inside longer tokens leaves them alone", []string{"7f"}, "at 0x7f000001 (17f)", "at 0x7f000001 (17f)"},
		{"a short secret as a whole token withholds the message", []string{"pw"}, `password for "pw" is wrong`, withheld},
		{"a short secret at the start of the message", []string{"pw1"}, "pw1: rejected", withheld},
		{"a short secret at the end of a sentence", []string{"abc"}, "failed for abc.", withheld},
		{"a short secret in URL userinfo", []string{"pw"}, "cannot parse postgres://u:pw@h/db", withheld},
		{"a short secret next to an underscore counts as a token", []string{"pw"}, "my_pw_x", withheld},
		{"a short secret in its URL-escaped form", []string{"a b"}, "GET /x?key=a+b&y=1", withheld},
		{"a short secret measured in characters, not bytes", []string{"ééé"}, "key ééé wrong", withheld},
		{"a long secret as a whole token", []string{"pa55word"}, "auth failed: pa55word", "auth failed: ********"},
		{"a long secret in URL userinfo", []string{"pa55word"}, "postgres://u:pa55word@h", "postgres://u:********@h"},
		{"a long secret inside a longer word is still hidden", []string{"secret"}, "echo mysecretvalue", "echo my********value"},
		{"a long secret in every escaped form", []string{"p@ss word/1"}, "p@ss word/1 p%40ss+word%2F1 p@ss%20word%2F1", "******** ******** ********"},
		{"the longer of two nested secrets is hidden whole", []string{"tok", "tok-long-secret"}, "token tok-long-secret", "token ********"},
		{"a short secret next to a mask is withheld", []string{"pw", "long-secret"}, "long-secret:pw", withheld},
		{"empty secrets are ignored", []string{""}, "nothing to see", "nothing to see"},
		{"no secrets", nil, "plain", "plain"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, connectors.Scrub(tc.msg, tc.secrets))
		})
	}
}
