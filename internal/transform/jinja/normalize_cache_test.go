package jinja

import (
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// Not parallel: the remembered tags are the process's.
func TestNormalizeTagCached_AnswersAsNormalizeTagAndKeepsNoTemplate(t *testing.T) {
	tags := []string{
		"{{ config(tags=['odd']) }}", "{% set bumps = [1, 2, 3] %}", "{{- x|lower -}}", "{{ ref('a') }}",
		"{% if a\n and b %}", "{{ 'a' 'b' }}", "{{ f(*args, **kw) }}", "{{ (a).b }}", "{{ unclosed( }}",
	}
	for range 2 {
		for _, tag := range tags {
			wantRepl, wantOK := normalizeTag(tag)
			repl, ok := normalizeTagCached(tag)
			require.Equal(t, wantOK, ok, tag)
			require.Equal(t, wantRepl, repl, tag)
		}
	}
	// The key is a copy of the tag, not a slice of the template it was found in.
	template := strings.Repeat("x", 1<<16) + "{{ ref('b')|upper }}"
	tag := template[1<<16:]
	_, _ = normalizeTagCached(tag)
	found := false
	normalizedTags.Lock()
	for k := range normalizedTags.m {
		if k == tag {
			found = true
			require.NotSame(t, unsafe.StringData(tag), unsafe.StringData(k))
		}
	}
	normalizedTags.Unlock()
	require.True(t, found)
	// Bounded: past the limit it starts again.
	for i := range maxNormalizedTags + 10 {
		_, _ = normalizeTagCached("{{ x|f" + strconv.Itoa(i) + " }}")
	}
	normalizedTags.Lock()
	n := len(normalizedTags.m)
	normalizedTags.Unlock()
	require.LessOrEqual(t, n, maxNormalizedTags)
}
