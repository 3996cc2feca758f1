package docs_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/webhookd/webhookd"
	"github.com/webhookd/webhookd/internal/apitest"
)

func TestServesItsOwnSpec(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	yaml := env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/openapi.yaml"})
	if yaml.Status != http.StatusOK || !bytes.Equal(yaml.Body, webhookd.OpenAPIYAML) || !strings.HasPrefix(yaml.Header.Get("Content-Type"), "application/yaml") {
		t.Fatalf("/openapi.yaml = %d %s, %d bytes", yaml.Status, yaml.Header.Get("Content-Type"), len(yaml.Body))
	}
	spec := apitest.Spec(t)
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/openapi.json"}).Decode(t, &doc)
	if len(doc.Paths) != spec.Paths.Len() {
		t.Errorf("/openapi.json has %d paths, openapi.yaml %d", len(doc.Paths), spec.Paths.Len())
	}
	page := env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/docs"})
	if page.Status != http.StatusOK || !strings.Contains(string(page.Body), "<redoc") {
		t.Fatalf("/docs = %d %s", page.Status, page.Body)
	}
	script := env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/docs/redoc.standalone.js"})
	if script.Status != http.StatusOK || len(script.Body) < 1<<20 {
		t.Fatalf("/docs/redoc.standalone.js = %d, %d bytes", script.Status, len(script.Body))
	}
}

// TestDocsPageListsEveryOperation renders /docs in headless Chromium, offline, and looks for
// every operation of openapi.yaml in the rendered page.
func TestDocsPageListsEveryOperation(t *testing.T) {
	t.Parallel()
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		var err error
		if chromium, err = exec.LookPath("chromium"); err != nil {
			t.Fatalf("Chromium is not installed (go tool task test installs Debian's chromium): %v", err)
		}
	}
	env := apitest.New(t)
	netLog := filepath.Join(t.TempDir(), "net.json")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+filepath.Join(t.TempDir(), "profile"), "--virtual-time-budget=20000", "--log-net-log="+netLog, "--dump-dom", env.URL+"/docs")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	dom, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	spec := apitest.Spec(t)
	missing := 0
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			// Redoc gives every operation an element whose id names its tag (the dialect it is
			// listed under, SuperOffice's agent methods beside its REST routes) and operationId.
			if !bytes.Contains(dom, []byte(`tag/`+op.Tags[0]+`/operation/`+op.OperationID+`"`)) {
				missing++
				t.Errorf("%s %s (%s) is not on /docs", method, path, op.OperationID)
			}
		}
	}
	if missing > 0 {
		t.Logf("rendered page begins: %s", dom[:min(len(dom), 2000)])
	}
	// The page works offline: the browser asked nothing of any other host.
	log, err := os.ReadFile(netLog)
	if err != nil {
		t.Fatal(err)
	}
	pageRequests := regexp.MustCompile(`"initiator":"`+regexp.QuoteMeta(env.URL)+`"[^\n]*?"url":"([^"]+)"`).FindAllSubmatch(log, -1)
	if len(pageRequests) == 0 {
		t.Fatal("the net log shows no request of the page; cannot tell where it went")
	}
	for _, m := range pageRequests {
		if url := string(m[1]); !strings.HasPrefix(url, env.URL+"/") {
			t.Errorf("/docs made the browser request %s", url)
		}
	}
}
