// Command vendordocs writes the vendors' OpenAPI documents (see internal/vendordocs) into a
// directory, as <dialect>.json, for tools that take files: `go run ./internal/tools/vendordocs DIR`.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/webhookd/webhookd/internal/vendordocs"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: vendordocs DIR")
		os.Exit(2)
	}
	docs, err := vendordocs.Load(vendordocs.SharedDir())
	if err == nil {
		err = os.MkdirAll(os.Args[1], 0o755)
	}
	for name, doc := range docs {
		if err != nil {
			break
		}
		err = os.WriteFile(filepath.Join(os.Args[1], name+".json"), doc, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "vendordocs:", err)
		os.Exit(1)
	}
}
