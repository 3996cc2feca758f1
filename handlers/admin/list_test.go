package admin_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/webhookd/webhookd/internal/apitest"
)

func TestListAccountsPages(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	for i := range 3 {
		env.CreateAccount(t, fmt.Sprintf("acct-%d", i))
	}
	var names []string
	path := "/admin/v1/accounts?limit=2"
	for pages := 0; ; pages++ {
		var page struct {
			Results []struct {
				Name       string
				Voucherify struct{ ProjectId string }
			}
			NextPageToken *string
		}
		env.Do(t, apitest.Request{Method: http.MethodGet, Path: path, Header: apitest.Admin()}).Decode(t, &page)
		for _, a := range page.Results {
			if a.Voucherify.ProjectId == "" {
				t.Errorf("account %s is listed without its identifiers", a.Name)
			}
			names = append(names, a.Name)
		}
		if page.NextPageToken == nil {
			break
		}
		if pages > 3 {
			t.Fatal("paging does not end")
		}
		path = "/admin/v1/accounts?limit=2&pageToken=" + *page.NextPageToken
	}
	if strings.Join(names, ",") != "acct-2,acct-1,acct-0" {
		t.Errorf("listed %v; want the three accounts, newest first", names)
	}
	if resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/admin/v1/accounts"}); resp.Status != http.StatusUnauthorized {
		t.Errorf("without the admin token: %d", resp.Status)
	}
	if resp := env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/admin/v1/accounts?pageToken=nope", Header: apitest.Admin()}); resp.Status != http.StatusBadRequest {
		t.Errorf("a forged page token: %d %s", resp.Status, resp.Body)
	}
}
