package connectors

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Masked replaces every secret value in configs that leave the server (API answers, audit
// entries, exports). A patch that sends it back means "keep the stored secret".
const Masked = "********"

// markNode mirrors the parts of a config schema that carry the two marks this file enforces:
// "x-secret": true on a value that is a secret, "x-target": true on a value that decides where
// the connector sends its bytes (host, port, URL, bucket, account…), and so its secrets.
type markNode struct {
	secret     bool
	target     bool
	props      map[string]*markNode
	additional *markNode // any other key: additionalProperties and patternProperties
	items      *markNode // every element: items and prefixItems
}

// markTree reads where the secrets and the targets are. Branches of
// allOf/anyOf/oneOf/if/then/else are unioned into one tree, so a field marked in any variant
// is treated as marked in all of them. $ref is refused: masking must see every schema, and a
// reference it did not follow would leave a secret in the clear.
func markTree(doc any) (*markNode, error) {
	n := &markNode{}
	if err := n.add(doc); err != nil {
		return nil, err
	}
	return n, nil
}

func (n *markNode) add(doc any) error {
	s, ok := doc.(map[string]any)
	if !ok {
		return nil // true/false schemas hold no markers
	}
	for _, k := range []string{"$ref", "$dynamicRef", "$recursiveRef"} {
		if _, has := s[k]; has {
			return errors.New("config schema must not use " + k + " (secret masking follows inline schemas only)")
		}
	}
	if s["x-secret"] == true {
		n.secret = true
	}
	if s["x-target"] == true {
		n.target = true
	}
	if props, ok := s["properties"].(map[string]any); ok {
		for name, sub := range props {
			if n.props == nil {
				n.props = map[string]*markNode{}
			}
			child := n.props[name]
			if child == nil {
				child = &markNode{}
				n.props[name] = child
			}
			if err := child.add(sub); err != nil {
				return err
			}
		}
	}
	var anyKey []any
	if ap, ok := s["additionalProperties"].(map[string]any); ok {
		anyKey = append(anyKey, ap)
	}
	if pp, ok := s["patternProperties"].(map[string]any); ok {
		for _, sub := range pp {
			anyKey = append(anyKey, sub)
		}
	}
	for _, sub := range anyKey {
		if n.additional == nil {
			n.additional = &markNode{}
		}
		if err := n.additional.add(sub); err != nil {
			return err
		}
	}
	var elems []any
	if it, ok := s["items"].(map[string]any); ok {
		elems = append(elems, it)
	}
	if pi, ok := s["prefixItems"].([]any); ok {
		elems = append(elems, pi...)
	}
	for _, sub := range elems {
		if n.items == nil {
			n.items = &markNode{}
		}
		if err := n.items.add(sub); err != nil {
			return err
		}
	}
	var branches []any
	for _, k := range []string{"allOf", "anyOf", "oneOf"} {
		if list, ok := s[k].([]any); ok {
			branches = append(branches, list...)
		}
	}
	for _, k := range []string{"if", "then", "else"} {
		if sub, ok := s[k]; ok {
			branches = append(branches, sub)
		}
	}
	if ds, ok := s["dependentSchemas"].(map[string]any); ok {
		for _, sub := range ds {
			branches = append(branches, sub)
		}
	}
	for _, b := range branches {
		if err := n.add(b); err != nil {
			return err
		}
	}
	return nil
}

// child returns the node of an object's key; nil means nothing secret below it.
func (n *markNode) child(key string) *markNode {
	if n == nil {
		return nil
	}
	if c, ok := n.props[key]; ok {
		return c
	}
	return n.additional
}

// named returns the node of a key declared under properties, nil for any other key.
func (n *markNode) named(key string) *markNode {
	if n == nil {
		return nil
	}
	return n.props[key]
}

func (n *markNode) elem() *markNode {
	if n == nil {
		return nil
	}
	return n.items
}

// everything treats every value as secret: used for configs of unknown types, where the
// safe answer is to hide it all.
var everything = func() *markNode {
	n := &markNode{secret: true}
	return n
}()

// Mask returns a copy of config with every secret value replaced by Masked, nested ones too.
// Empty secrets stay empty, so a client can tell "not set" from "set". For an unknown type
// every value is masked.
func (r *Registry) Mask(typeName string, config map[string]any) map[string]any {
	node := everything
	if e := r.entry(typeName); e != nil {
		node = e.marks
	}
	if config == nil {
		return nil
	}
	if node.secret {
		out := make(map[string]any, len(config))
		for k, v := range config {
			out[k] = maskValue(node, v)
		}
		return out
	}
	out, _ := maskValue(node, config).(map[string]any)
	return out
}

func maskValue(n *markNode, v any) any {
	if n != nil && n.secret {
		if v == nil || v == "" {
			return v
		}
		return Masked
	}
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			out[k] = maskValue(n.child(k), val)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = maskValue(n.elem(), val)
		}
		return out
	default:
		return v
	}
}

// Merge applies an edited config (patch, the whole new config) over the stored one: every
// value comes from patch, except secrets that patch sends back as Masked, or named secret
// fields it leaves out, which keep their stored value (a map key left out is deleted). Sending
// "" clears a secret. A Masked value with nothing stored behind it is dropped, so validation
// reports the field as missing rather than accepting the mask as a password. Array elements
// are matched by index.
//
// A stored secret never follows a connection to a new target: when any value marked
// "x-target" differs between stored and the result (compared as JSON, a target added or
// removed counting as a change), Merge keeps no secret at all and answers a *ValidationError
// naming every secret, at any depth, that the result would have taken from stored
// ("config.auth.token", "config.headers.X-Api-Key"), so the editor types them again. Every
// secret, not only those sent to the changed target, is withheld: the schema does not say
// which secret goes where, and the safe answer is all of them. Secrets the patch gives in
// plain text are the editor's own and merge as usual.
func (r *Registry) Merge(typeName string, stored, patch map[string]any) (map[string]any, error) {
	e := r.entry(typeName)
	if e == nil {
		// Nothing is known about where secrets are: keep nothing from stored.
		out, _ := mergeValue(nil, nil, patch, "config", nil).(map[string]any)
		return out, nil
	}
	var kept []string
	out, _ := mergeValue(e.marks, stored, patch, "config", &kept).(map[string]any)
	if len(kept) == 0 {
		return out, nil
	}
	moved := changedTargets(e.marks, stored, out)
	if len(moved) == 0 {
		return out, nil
	}
	sort.Strings(kept)
	msg := "must be entered again: the connection now points elsewhere (" + strings.Join(moved, ", ") +
		"), and a stored secret is never sent to a new destination"
	fields := make([]FieldError, len(kept))
	for i, path := range kept {
		fields[i] = FieldError{Field: path, Message: msg}
	}
	return nil, &ValidationError{Fields: fields}
}

// mergeValue merges one value; kept, when not nil, collects the paths of the non-empty secrets
// taken from stored.
func mergeValue(n *markNode, stored, patch any, path string, kept *[]string) any {
	keep := func(p string, v any) any {
		if kept != nil && v != nil && v != "" {
			*kept = append(*kept, p)
		}
		return v
	}
	switch p := patch.(type) {
	case map[string]any:
		s, _ := stored.(map[string]any)
		out := make(map[string]any, len(p))
		for k, v := range p {
			out[k] = mergeValue(n.child(k), s[k], v, path+"."+k, kept)
		}
		// Named secret fields left out of the patch keep their stored value. Keys of a map
		// (headers, say) are not: leaving one out is how it is deleted.
		for k, sv := range s {
			if _, present := p[k]; present {
				continue
			}
			if c := n.named(k); c != nil && c.secret && sv != nil {
				out[k] = keep(path+"."+k, sv)
			}
		}
		for k, v := range out {
			if v == Masked {
				if c := n.child(k); c != nil && c.secret {
					delete(out, k) // masked, with no stored secret to stand for
				}
			}
		}
		return out
	case []any:
		s, _ := stored.([]any)
		out := make([]any, len(p))
		for i, v := range p {
			var sv any
			if i < len(s) {
				sv = s[i]
			}
			out[i] = mergeValue(n.elem(), sv, v, path+"["+strconv.Itoa(i)+"]", kept)
		}
		return out
	default:
		if n != nil && n.secret && patch == Masked && stored != nil {
			return keep(path, stored)
		}
		return patch
	}
}

// changedTargets returns the paths of the targets whose value differs between two configs
// ("config.base_url"), a target present in only one of them included.
func changedTargets(n *markNode, a, b map[string]any) []string {
	before, after := map[string]string{}, map[string]string{}
	collectTargets(n, a, "config", before)
	collectTargets(n, b, "config", after)
	var out []string
	for p, v := range before {
		if w, ok := after[p]; !ok || w != v {
			out = append(out, p)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// collectTargets records every target value of v by path, as canonical JSON (encoding/json
// sorts map keys), so 5432 and 5432.0 are equal and nested values compare deeply.
func collectTargets(n *markNode, v any, path string, out map[string]string) {
	if n == nil {
		return
	}
	if n.target {
		b, err := json.Marshal(v)
		if err != nil {
			b = []byte(fmt.Sprintf("%#v", v)) // unencodable: still compared, never equal by accident
		}
		out[path] = string(b)
		return
	}
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			collectTargets(n.child(k), val, path+"."+k, out)
		}
	case []any:
		for i, val := range x {
			collectTargets(n.elem(), val, path+"["+strconv.Itoa(i)+"]", out)
		}
	}
}

// Secrets returns the non-empty secret strings of a config, for Scrub. For an unknown type
// every string is returned.
func (r *Registry) Secrets(typeName string, config map[string]any) []string {
	node := everything
	if e := r.entry(typeName); e != nil {
		node = e.marks
	}
	return collectSecrets(node, config, false, nil)
}

// SecretValues is Secrets for code that holds a type's schema rather than a registry, such
// as a connector scrubbing its own messages. A schema it cannot read makes every string
// count as secret.
func SecretValues(schema json.RawMessage, config map[string]any) []string {
	node := everything
	if doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema)); err == nil {
		if tree, err := markTree(doc); err == nil {
			node = tree
		}
	}
	return collectSecrets(node, config, false, nil)
}

func collectSecrets(n *markNode, v any, inSecret bool, out []string) []string {
	inSecret = inSecret || (n != nil && n.secret)
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			out = collectSecrets(n.child(k), val, inSecret, out)
		}
	case []any:
		for _, val := range x {
			out = collectSecrets(n.elem(), val, inSecret, out)
		}
	case string:
		if inSecret && x != "" {
			out = append(out, x)
		}
	}
	return out
}

// ScrubMinLen is the length (in characters) from which a secret is hidden wherever it occurs
// in a message, even inside a longer word: a secret that long does not turn up in a message by
// chance (six characters of even a 16-letter alphabet make one in 16 million windows), so every
// occurrence is taken for a leak, and masking a coincidence costs only readability. Shorter
// secrets (a one-character password, "1234") do turn up by chance — in hex addresses, ports,
// ordinary words — and masking each substring garbled messages ("0x7f000001" became
// "0********7f…"), while leaving them would show the secret itself.
const ScrubMinLen = 6

// Withheld replaces a whole message that may show a short secret (see Scrub).
const Withheld = "the message was withheld because it may contain a secret"

// Scrub hides the secrets of msg, each also in the URL-escaped forms a driver may print when it
// echoes a connection string:
//
//   - a secret of at least ScrubMinLen characters is replaced by Masked wherever it occurs,
//     inside longer words too (longer secrets first, so one containing another is hidden whole);
//   - a shorter secret that occurs as a whole token — not preceded or followed by a letter or a
//     digit — makes Scrub return Withheld instead of the message, since the message would show
//     it and masking it everywhere would garble the rest. Only letters and digits count as part
//     of a longer word: punctuation ("u:pw@h", "key=pw&", "_pw.") is a boundary, so the doubt
//     falls on withholding, never on showing;
//   - a shorter secret that occurs only inside longer words ("0" in "0x7f000001") leaves the
//     message as it is: such an occurrence is a coincidence, not the secret.
func Scrub(msg string, secrets []string) string {
	var long, short []string
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for _, f := range []string{s, url.QueryEscape(s), url.PathEscape(s)} {
			if utf8.RuneCountInString(f) >= ScrubMinLen {
				long = append(long, f)
			} else {
				short = append(short, f)
			}
		}
	}
	sort.Slice(long, func(i, j int) bool { return len(long[i]) > len(long[j]) })
	for _, f := range long {
		msg = strings.ReplaceAll(msg, f, Masked)
	}
	// What is left between the masks is checked, so a mask's stars never pass for a token.
	for _, part := range strings.Split(msg, Masked) {
		for _, f := range short {
			if hasToken(part, f) {
				return Withheld
			}
		}
	}
	return msg
}

// hasToken reports whether tok occurs in s with no letter or digit right before or after it.
func hasToken(s, tok string) bool {
	for from := 0; from <= len(s)-len(tok); {
		i := strings.Index(s[from:], tok)
		if i < 0 {
			return false
		}
		start, end := from+i, from+i+len(tok)
		before, _ := utf8.DecodeLastRuneInString(s[:start])
		after, _ := utf8.DecodeRuneInString(s[end:])
		if !wordRune(before) && !wordRune(after) {
			return true
		}
		_, size := utf8.DecodeRuneInString(s[start:])
		from = start + size
	}
	return false
}

// wordRune reports whether r would continue a word; utf8.RuneError (no rune: the start or the
// end of the text) does not.
func wordRune(r rune) bool {
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r))
}
