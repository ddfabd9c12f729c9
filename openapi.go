// Package datanika holds what the binary embeds from the repository root: the API contract.
package datanika

import _ "embed"

// OpenAPISpec is openapi.yaml, the API contract this binary implements, byte for byte.
//
//go:embed openapi.yaml
var OpenAPISpec []byte
