// Command vendordocs writes the vendors' OpenAPI documents (see internal/vendordocs) into a
// directory, as <dialect>.json, for tools that take files: `go run ./internal/tools/vendordocs DIR`.
// With -check it prints one line saying whether the tests will check against them.
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/webhookd/webhookd/internal/vendordocs"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: vendordocs DIR | vendordocs -check")
		os.Exit(2)
	}
	docs, err := vendordocs.Load()
	if os.Args[1] == "-check" {
		report(err)
		return
	}
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
		fmt.Fprintf(os.Stderr, "vendordocs: %v (set %s to the directory holding reference/ and seeds/)\n", err, vendordocs.Setting)
		os.Exit(1)
	}
}

func report(err error) {
	dir, _ := vendordocs.Dir()
	switch {
	case errors.Is(err, vendordocs.ErrAbsent):
		fmt.Println(vendordocs.SkipNotice())
	case err != nil:
		fmt.Fprintf(os.Stderr, "vendordocs: %s=%s: %v\n", vendordocs.Setting, dir, err)
		os.Exit(1)
	default:
		fmt.Printf("vendor documents: %s (responses are also checked against them)\n", filepath.Clean(dir))
	}
}
