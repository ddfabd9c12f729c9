package load

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
)

// SnakeCase is dlt's default destination naming: InvoiceLine → invoice_line, AlbumId →
// album_id, HTTPServer → http_server; runs of anything but letters and digits become one "_".
func SnakeCase(name string) string {
	rs := []rune(name)
	var b strings.Builder
	lastUnderscore := true
	for i, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			if !lastUnderscore {
				b.WriteByte('_')
				lastUnderscore = true
			}
			continue
		}
		if unicode.IsUpper(r) && i > 0 && !lastUnderscore {
			prev := rs[i-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				b.WriteByte('_')
			}
		}
		b.WriteRune(unicode.ToLower(r))
		lastUnderscore = false
	}
	out := strings.TrimRight(b.String(), "_")
	if out == "" {
		return "_"
	}
	if unicode.IsDigit([]rune(out)[0]) {
		out = "_" + out
	}
	return out
}

func equalFold(a, b string) bool { return strings.EqualFold(a, b) }

// destName maps a source name to the destination's by the config's naming.
func destName(naming, name string) string {
	if naming == NamingPreserve {
		return name
	}
	return SnakeCase(name)
}

// ShortName makes a table name from a prefix and a hash of the parts, within PostgreSQL's
// 63-byte identifiers.
func ShortName(prefix string, parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return prefix + hex.EncodeToString(h[:6])
}

// Columns every loaded table gets.
const (
	LoadedAtColumn = "_dnk_loaded_at"
	RunIDColumn    = "_dnk_run_id"
	StateTable     = "_dnk_state"
	StageSeqColumn = "_dnk_seq"
)
