// Package secrets seals credentials at rest with AES-256-GCM envelope encryption: every record
// gets a fresh data key that encrypts it, and the data key is wrapped by a key-encryption key
// (KEK) from ENCRYPTION_KEYS. Keys have ids, so several can be configured while they rotate:
// the first is active for new records, the others still open old ones, and Rewrap moves a record
// under the active key without touching its ciphertext.
package secrets

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// Sealed layout, version 1:
//
//	"dnk1" | len(keyID) (1 byte) | keyID | wrap nonce (12) | wrapped data key (32+16) | data nonce (12) | ciphertext+tag
const (
	magic       = "dnk1"
	nonceSize   = 12
	dataKeySize = 32
	wrappedSize = dataKeySize + 16
)

// Errors a caller can tell apart. Neither carries key material or plaintext.
var (
	// ErrUnknownKey: the record was sealed under a key id that ENCRYPTION_KEYS no longer has.
	ErrUnknownKey = errors.New("the record was sealed with an encryption key that is not configured")
	// ErrDecrypt: wrong key material for the id, or the record (or its context) was altered.
	ErrDecrypt = errors.New("the record cannot be decrypted: wrong encryption key or altered data")
	// ErrMalformed: not something Seal produced.
	ErrMalformed = errors.New("the sealed record is malformed")
)

// Key is one key-encryption key: its id, stored in every record it seals, and 32 bytes of
// AES-256 key material. ENCRYPTION_KEYS lists them (internal/config parses it).
type Key struct {
	ID  string
	Key []byte
}

// Keyring holds the key-encryption keys.
type Keyring struct {
	active string
	keks   map[string]cipher.AEAD
}

// NewKeyring builds a keyring; the first key is the active one.
func NewKeyring(keys []Key) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("no encryption keys")
	}
	k := &Keyring{active: keys[0].ID, keks: map[string]cipher.AEAD{}}
	for _, key := range keys {
		if len(key.ID) == 0 || len(key.ID) > 255 {
			return nil, fmt.Errorf("key id %q must be 1 to 255 bytes", key.ID)
		}
		aead, err := newGCM(key.Key)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", key.ID, err)
		}
		k.keks[key.ID] = aead
	}
	return k, nil
}

// ActiveKeyID names the key new records are sealed under.
func (k *Keyring) ActiveKeyID() string { return k.active }

func newGCM(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, errors.New("an AES-256 key must be 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func random(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// Seal encrypts plaintext. context binds the record to where it belongs (for example
// "org:12/connection"): opening it with another context fails, so a sealed value copied into
// another org's row is useless there.
func (k *Keyring) Seal(plaintext, context []byte) ([]byte, error) {
	dataKey := random(dataKeySize)
	data, err := newGCM(dataKey)
	if err != nil {
		return nil, err
	}
	out := bytes.NewBuffer(k.wrap(dataKey))
	dataNonce := random(nonceSize)
	out.Write(dataNonce)
	out.Write(data.Seal(nil, dataNonce, plaintext, context))
	return out.Bytes(), nil
}

// wrap returns the record's head: magic, the active key id, and the data key wrapped under the
// active key (authenticated together with the header, so a key id cannot be swapped).
func (k *Keyring) wrap(dataKey []byte) []byte {
	var out bytes.Buffer
	out.WriteString(magic)
	out.WriteByte(byte(len(k.active))) //nolint:gosec // NewKeyring bounds ids to 255 bytes
	out.WriteString(k.active)
	header := bytes.Clone(out.Bytes())
	wrapNonce := random(nonceSize)
	out.Write(wrapNonce)
	out.Write(k.keks[k.active].Seal(nil, wrapNonce, dataKey, header))
	return out.Bytes()
}

type parsed struct {
	header, wrapNonce, wrapped, dataNonce, ciphertext []byte
	keyID                                             string
}

func parse(sealed []byte) (parsed, error) {
	var p parsed
	if len(sealed) < len(magic)+1 || string(sealed[:len(magic)]) != magic {
		return p, ErrMalformed
	}
	idLen := int(sealed[len(magic)])
	rest := sealed[len(magic)+1:]
	if len(rest) < idLen+nonceSize+wrappedSize+nonceSize+16 {
		return p, ErrMalformed
	}
	p.keyID = string(rest[:idLen])
	p.header = sealed[:len(magic)+1+idLen]
	rest = rest[idLen:]
	p.wrapNonce, rest = rest[:nonceSize], rest[nonceSize:]
	p.wrapped, rest = rest[:wrappedSize], rest[wrappedSize:]
	p.dataNonce, p.ciphertext = rest[:nonceSize], rest[nonceSize:]
	return p, nil
}

func (k *Keyring) unwrap(p parsed) ([]byte, error) {
	kek, ok := k.keks[p.keyID]
	if !ok {
		return nil, fmt.Errorf("%w (key id %q)", ErrUnknownKey, p.keyID)
	}
	dataKey, err := kek.Open(nil, p.wrapNonce, p.wrapped, p.header)
	if err != nil {
		return nil, ErrDecrypt
	}
	return dataKey, nil
}

// Open decrypts a sealed record with the context it was sealed with.
func (k *Keyring) Open(sealed, context []byte) ([]byte, error) {
	p, err := parse(sealed)
	if err != nil {
		return nil, err
	}
	dataKey, err := k.unwrap(p)
	if err != nil {
		return nil, err
	}
	data, err := newGCM(dataKey)
	if err != nil {
		return nil, err
	}
	plaintext, err := data.Open(nil, p.dataNonce, p.ciphertext, context)
	if err != nil {
		return nil, ErrDecrypt
	}
	return plaintext, nil
}

// KeyID tells which key a record is sealed under.
func KeyID(sealed []byte) (string, error) {
	p, err := parse(sealed)
	return p.keyID, err
}

// Rewrap re-seals a record's data key under the active key; the ciphertext stays as it is. It
// reports false (and returns the record unchanged) when the record already uses the active key.
func (k *Keyring) Rewrap(sealed []byte) ([]byte, bool, error) {
	p, err := parse(sealed)
	if err != nil {
		return nil, false, err
	}
	if p.keyID == k.active {
		return sealed, false, nil
	}
	dataKey, err := k.unwrap(p)
	if err != nil {
		return nil, false, err
	}
	out := bytes.NewBuffer(k.wrap(dataKey))
	out.Write(p.dataNonce)
	out.Write(p.ciphertext)
	return out.Bytes(), true, nil
}
