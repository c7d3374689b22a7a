// Package charts embeds the prewarm Helm charts so the CLI renders exactly
// what `helm template` renders from this directory.
package charts

import "embed"

// FS holds every chart directory; .helmignore is applied when loading.
//
//go:embed all:prewarm-workspace all:prewarm-caches all:prewarm-policy
var FS embed.FS

// Names lists the embedded charts.
var Names = []string{"prewarm-workspace", "prewarm-caches", "prewarm-policy"}
