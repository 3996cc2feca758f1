package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/webhookd/webhookd/internal/apitest"
)

// browser is one headless Chromium tab on a test server. It records every request the page
// makes, every uncaught exception and every Content-Security-Policy violation, and fails the
// test at its end when the page asked anything of another host or broke.
type browser struct {
	t *testing.T
	*tab
}

// tab is the browser's state, shared by the subtests that drive it (see with).
type tab struct {
	ctx  context.Context
	base string
	dir  string
	shot int

	mu         sync.Mutex
	requests   []string
	exceptions []string
}

// with is the same tab, failing t instead: for subtests that share one browser.
func (b *browser) with(t *testing.T) *browser { return &browser{t: t, tab: b.tab} }

// waitFor bounds every wait of a step; polling pages refresh every few seconds.
const waitFor = 30 * time.Second

func chromiumPath(t *testing.T) string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	p, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("Chromium is not installed (go tool task test installs Debian's chromium): %v", err)
	}
	return p
}

// screenshotDir is $WEBHOOKS_SCREENSHOTS/<test> when set, so that a run keeps its pictures;
// otherwise a directory that goes with the test.
func screenshotDir(t *testing.T) string {
	root := os.Getenv("WEBHOOKS_SCREENSHOTS")
	if root == "" {
		return t.TempDir()
	}
	dir := filepath.Join(root, regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(t.Name(), "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// newBrowser starts Chromium for env's server. Any host but loopback goes to a proxy that
// does not answer, so the page is as offline as a machine without a network.
func newBrowser(t *testing.T, env *apitest.Env) *browser {
	t.Helper()
	b := &browser{t: t, tab: &tab{base: env.URL, dir: screenshotDir(t)}}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("proxy-server", "http://127.0.0.1:9"),
		chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "profile")),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithListener(b.listen))
	t.Cleanup(cancelAlloc)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	b.ctx = ctx
	// Runs before the page's own scripts, whatever the policy: it only records violations.
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `document.addEventListener('securitypolicyviolation', (e) => {
			(window.__violations = window.__violations || []).push(e.violatedDirective + ' ' + e.blockedURI);
		});`,
	}); err != nil {
		t.Fatal(err)
	}
	t.Log("screenshots: ", b.dir)
	t.Cleanup(b.check) // runs before the browser closes
	return b
}

func (b *tab) listen(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		b.requests = append(b.requests, ev.Request.URL)
	case *runtime.EventExceptionThrown:
		text := ev.ExceptionDetails.Text
		if ev.ExceptionDetails.Exception != nil {
			text += " " + ev.ExceptionDetails.Exception.Description
		}
		b.exceptions = append(b.exceptions, text)
	}
}

// check fails the test for a request off loopback, an uncaught exception or a policy violation.
func (b *browser) check() {
	t := b.t
	violations, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`window.__violations || []`))
	if err != nil {
		t.Errorf("reading the page's policy violations: %v", err)
	}
	for _, v := range violations {
		t.Errorf("Content-Security-Policy violation: %s", v)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.requests) == 0 {
		t.Error("the browser reported no request; cannot tell where the page went")
	}
	for _, u := range b.requests {
		if !strings.HasPrefix(u, b.base+"/") && !strings.HasPrefix(u, "data:") {
			t.Errorf("the console asked another host: %s", u)
		}
	}
	for _, e := range b.exceptions {
		t.Errorf("uncaught exception in the console: %s", e)
	}
}

// tid selects the element a test names by its data-testid.
func tid(id string) string { return fmt.Sprintf("[data-testid=%q]", id) }

func (b *browser) fail(format string, args ...any) {
	b.t.Helper()
	b.screenshot("failure")
	body, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body.innerText`))
	b.t.Fatalf(format+"\nthe page shows:\n%s", append(args, body)...)
}

// open loads path (with its fragment) on the test server.
func (b *browser) open(path string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Navigate(b.base+path)); err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
}

// until waits for a JavaScript condition to hold.
func (b *browser) until(what, cond string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitFor)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`Boolean(`+cond+`)`, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		b.fail("waiting for %s (%s): %v", what, cond, err)
	}
}

// see waits for a visible element.
func (b *browser) see(sel string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitFor)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		b.fail("waiting for %s: %v", sel, err)
	}
}

func (b *browser) click(sel string) {
	b.t.Helper()
	b.see(sel)
	ctx, cancel := context.WithTimeout(b.ctx, waitFor)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		b.fail("click %s: %v", sel, err)
	}
}

// text is the text of the first element sel matches, as written (before CSS changes its case).
func (b *browser) text(sel string) string {
	b.t.Helper()
	b.see(sel)
	var s string
	b.eval(fmt.Sprintf(`document.querySelector(%q).textContent.trim()`, sel), &s)
	return s
}

func (b *browser) setValue(sel, value string) {
	b.t.Helper()
	b.see(sel)
	// As a user would: the value, then the change event the page listens for.
	b.eval(fmt.Sprintf(`(() => { const el = document.querySelector(%q); el.value = %q; el.dispatchEvent(new Event('change', {bubbles: true})); return true })()`, sel, value), nil)
}

// eval runs expr in the page and decodes its value into v (nil ignores it).
func (b *browser) eval(expr string, v any) {
	b.t.Helper()
	raw, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.fail("evaluating %s: %v", expr, err)
	}
	if v != nil {
		if err := json.Unmarshal(raw, v); err != nil {
			b.fail("decoding %s of %s: %v", raw, expr, err)
		}
	}
}

// attrs is the attribute name of every element sel matches, in document order.
func (b *browser) attrs(sel, name string) []string {
	b.t.Helper()
	var out []string
	b.eval(fmt.Sprintf(`[...document.querySelectorAll(%q)].map((e) => e.getAttribute(%q))`, sel, name), &out)
	return out
}

func (b *browser) count(sel string) int {
	b.t.Helper()
	var n int
	b.eval(fmt.Sprintf(`document.querySelectorAll(%q).length`, sel), &n)
	return n
}

// pageText is everything the page shows, for checking that something is absent.
func (b *browser) pageText() string {
	b.t.Helper()
	var s string
	b.eval(`document.body.innerText + ' ' + [...document.querySelectorAll('[data-delivery-id],[data-subscription-id],[data-account-id],[data-event-id]')].map((e) => e.outerHTML).join(' ')`, &s)
	return s
}

// screenshot saves the whole page as <n>-<name>.png in the test's screenshot directory.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	b.shot++
	path := filepath.Join(b.dir, fmt.Sprintf("%02d-%s.png", b.shot, name))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	b.t.Logf("screenshot %s", path)
}
