// Package frontend embeds the built single-page app (dist/) into the binary. A fresh clone has
// only dist/placeholder.html, which is served until `make build` has built the real app, so the
// Go code builds and tests without npm.
package frontend

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Dist returns the built app: index.html, assets/… (or just placeholder.html).
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the embed pattern guarantees dist/ exists
	}
	return sub
}
