// Package vendordocs reads the vendors' own OpenAPI documents: Voucherify's reference document
// for its webhook operations, and the Bird document embedded in seed 002. They are read where
// they are, never copied into the repository. Their directory is WEBHOOKS_VENDOR_DOCS, by default
// ../shared beside the repository (where CI keeps them).
package vendordocs

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// Setting is the environment variable naming the directory that holds reference/ and seeds/.
const Setting = "WEBHOOKS_VENDOR_DOCS"

// ErrAbsent reports that the documents are not at the default place and no Setting was given:
// checks against them are skipped rather than failed, so that a plain clone passes its tests.
var ErrAbsent = errors.New("vendor documents absent")

// Dir returns the directory of the documents and whether the Setting chose it.
func Dir() (dir string, explicit bool) {
	if d := os.Getenv(Setting); d != "" {
		return d, true
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "shared"), false
}

// SkipNotice is the one line printed when checks are skipped for want of the documents.
func SkipNotice() string {
	dir, _ := Dir()
	return fmt.Sprintf("vendor documents not found in %s: checks against the vendors' own documents are skipped; set %s to the directory holding reference/ and seeds/ to run them",
		filepath.Clean(dir), Setting)
}

// Load returns each vendor's document by dialect name ("voucherify", "bird"). It returns an
// error wrapping ErrAbsent when the documents are missing from the default place.
func Load() (map[string][]byte, error) {
	shared, explicit := Dir()
	voucherify, err := os.ReadFile(filepath.Join(shared, "reference", "voucherify-management-webhooks.json"))
	if errors.Is(err, os.ErrNotExist) && !explicit {
		return nil, fmt.Errorf("%w: %v", ErrAbsent, err)
	}
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
