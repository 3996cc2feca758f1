// Package vendordocs reads the vendors' own OpenAPI documents from ../shared beside the
// repository: Voucherify's reference document for its webhook operations, and the Bird document
// embedded in seed 002. They are read where they are, never copied into the repository.
package vendordocs

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// SharedDir is ../shared relative to the repository root.
func SharedDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "shared")
}

// Load returns each vendor's document by dialect name ("voucherify", "bird").
func Load(shared string) (map[string][]byte, error) {
	voucherify, err := os.ReadFile(filepath.Join(shared, "reference", "voucherify-management-webhooks.json"))
	if err != nil {
		return nil, err
	}
	seeds, _ := filepath.Glob(filepath.Join(shared, "seeds", "002_*.txt"))
	if len(seeds) != 1 {
		return nil, fmt.Errorf("seed 002 not found under %s", shared)
	}
	seed, err := os.ReadFile(seeds[0])
	if err != nil {
		return nil, err
	}
	bird, err := embeddedOpenAPI(seed)
	if err != nil {
		return nil, fmt.Errorf("seed 002: %w", err)
	}
	return map[string][]byte{"voucherify": voucherify, "bird": bird}, nil
}

// embeddedOpenAPI returns the fenced JSON block of a seed that holds an OpenAPI document.
func embeddedOpenAPI(seed []byte) ([]byte, error) {
	for _, block := range bytes.Split(seed, []byte("```json"))[1:] {
		body, _, ok := bytes.Cut(block, []byte("```"))
		if ok && bytes.Contains(body, []byte(`"openapi"`)) {
			return bytes.TrimSpace(body), nil
		}
	}
	return nil, errors.New("no embedded OpenAPI document")
}
