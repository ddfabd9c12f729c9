// Package auth owns the primitives of identity: password hashing and rules, access tokens (JWT),
// opaque secrets (refresh tokens, API keys, invitation tokens) stored only as hashes, roles and
// API-key scopes, the permission every API operation needs, and the principal a request carries.
package auth
