package console_test

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/webhookd/webhookd/handlers/console"
	"github.com/webhookd/webhookd/internal/apitest"
)

// The shell and every file are served from the binary with the documented headers (apitest
// holds each answer to openapi.yaml), and the spec lists exactly the files there are.
func TestServesTheConsoleWithItsPolicy(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	page := env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/console"})
	if page.Status != http.StatusOK || !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("/console = %d %s", page.Status, page.Header.Get("Content-Type"))
	}
	for name, want := range map[string]string{
		"Content-Security-Policy": console.Policy,
		"Referrer-Policy":         "no-referrer",
		"X-Content-Type-Options":  "nosniff",
		"Cache-Control":           "no-cache",
	} {
		if got := page.Header.Get(name); got != want {
			t.Errorf("/console %s = %q, want %q", name, got, want)
		}
	}
	for _, directive := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(console.Policy, directive) {
			t.Errorf("the policy lacks %s", directive)
		}
	}
	if !strings.Contains(string(page.Body), `src="console/app.js"`) || !strings.Contains(string(page.Body), `href="console/app.css"`) {
		t.Errorf("the shell does not load its module and style sheet: %s", page.Body)
	}

	served := console.Assets()
	spec := apitest.Spec(t)
	var listed []string
	for _, v := range spec.Paths.Find("/console/{asset}").Parameters[0].Value.Schema.Value.Enum {
		listed = append(listed, v.(string))
	}
	sort.Strings(listed)
	if !slices.Equal(listed, served) {
		t.Errorf("openapi.yaml lists %v; the binary has %v", listed, served)
	}
	for _, name := range served {
		resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/console/" + name})
		want := "application/javascript"
		if strings.HasSuffix(name, ".css") {
			want = "text/css"
		}
		if resp.Status != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), want) || len(resp.Body) == 0 ||
			resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("/console/%s = %d %s, %d bytes", name, resp.Status, resp.Header.Get("Content-Type"), len(resp.Body))
		}
	}
	for _, name := range []string{"index.html", "nope.js", "..", "%2e%2e%2fconsole.go"} {
		if resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/console/" + name}); resp.Status != http.StatusBadRequest {
			t.Errorf("/console/%s = %d %s, want 400", name, resp.Status, resp.Body)
		}
	}
}

// The console's source never turns text into markup or code, and names no other host: API
// data reaches the page only as text, and the page works offline.
func TestConsoleSourceStaysSafe(t *testing.T) {
	t.Parallel()
	unsafe := regexp.MustCompile(`\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setAttribute\(['"]style|\son[a-z]+=["']`)
	remote := regexp.MustCompile(`(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	for _, name := range append(console.Assets(), "index.html") {
		src, err := os.ReadFile(filepath.Join("assets", name))
		if err != nil {
			t.Fatal(err)
		}
		if m := unsafe.Find(src); m != nil {
			t.Errorf("%s uses %s", name, m)
		}
		for _, m := range remote.FindAll(src, -1) {
			if string(m) != "http://www.w3.org" { // the SVG namespace, never fetched
				t.Errorf("%s names another host: %s", name, m)
			}
		}
	}
}
