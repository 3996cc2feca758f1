package apitest

import (
	"fmt"
	"net/http"
	"testing"
)

// recorder is a testing.TB whose Fatalf records the failure instead of ending the real test.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	panic(r)
}
func (r *recorder) Fatal(args ...any) { r.Fatalf("%s", fmt.Sprint(args...)) }

func runChecked(t *testing.T, fn func(tb testing.TB)) (failure string) {
	rec := &recorder{TB: t}
	defer func() {
		if p := recover(); p != nil && p != rec {
			panic(p)
		}
		failure = rec.failed
	}()
	fn(rec)
	return ""
}

func TestVendorCheckCatchesDrift(t *testing.T) {
	VendorDocs(t) // skips without the documents
	path := "/management/v1/projects/proj_1/webhooks/wh_1"
	build := func() (*requestForValidation, error) {
		r, err := http.NewRequest(http.MethodGet, "http://localhost"+path, nil)
		return &requestForValidation{req: r}, err
	}
	header := map[string][]string{"Content-Type": {"application/json"}}
	good := `{"id":"wh_1","object":"webhook","created_at":"2024-01-02T08:31:46.562Z","target_url":"https://x.example.com","events":["voucher.created"],"active":true}`
	if failure := runChecked(t, func(tb testing.TB) {
		checkVendor(tb, &Request{Method: http.MethodGet, Path: path}, 200, header, []byte(good), build)
	}); failure != "" {
		t.Fatalf("a conforming webhook was rejected: %s", failure)
	}
	drifted := `{"id":"wh_1","object":"webhook","created_at":"2024-01-02T08:31:46.562Z","target_url":"https://x.example.com","events":["voucher.created"]}`
	if failure := runChecked(t, func(tb testing.TB) {
		checkVendor(tb, &Request{Method: http.MethodGet, Path: path}, 200, header, []byte(drifted), build)
	}); failure == "" {
		t.Fatal("a webhook without the required active member passed the vendor's document")
	}
}
