// The e2e Go app: one dependency (go-cmp) that a cold setup downloads from
// the in-cluster module proxy and the agent stand-in builds offline.
package main

import (
	"fmt"

	"github.com/google/go-cmp/cmp"
)

func main() {
	fmt.Print(cmp.Diff("cold", "warm"))
}
