package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// loadAdminToken returns configured (WEBHOOKS_ADMIN_TOKEN) or, when it is empty, the token
// generated on the first start and kept in the data directory, so that a restart keeps the
// operator's credentials.
func loadAdminToken(dataDir, configured string) (token string, generated bool, err error) {
	if configured != "" {
		return configured, false, nil
	}
	path := filepath.Join(dataDir, "admin-token")
	if b, err := os.ReadFile(path); err == nil && strings.TrimSpace(string(b)) != "" {
		return strings.TrimSpace(string(b)), true, nil
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", false, fmt.Errorf("WEBHOOKS_DATA_DIR: reading the admin token: %w", err)
	}
	token = "adm_" + randomHex(24)
	if err := writePrivate(path, []byte(token+"\n")); err != nil {
		return "", false, fmt.Errorf("WEBHOOKS_DATA_DIR: storing the admin token: %w", err)
	}
	return token, true, nil
}

// writePrivate writes a file only its owner may read, whole or not at all.
func writePrivate(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
