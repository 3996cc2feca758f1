package superoffice_test

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/webhookd/webhookd/internal/apitest"
)

func TestSuperOfficeContentTypes(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	acme := env.CreateAccount(t, "acme")
	auth := apitest.SuperOffice(acme)

	xmlBody := `<?xml version="1.0" encoding="utf-8"?>
<Webhook xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
  <Name>From XML</Name>
  <Events><string>contact.created</string><string>sale.changed</string></Events>
  <TargetUrl>https://example.com/xml</TargetUrl>
  <State>Stopped</State>
  <Headers><KeyValueOfstringstring><Key>X-Tenant</Key><Value>acme</Value></KeyValueOfstringstring></Headers>
  <ErrorsEmail i:nil="true"/>
</Webhook>`
	for _, ct := range []string{"application/xml", "text/xml; charset=utf-8"} {
		h := apitest.WithContentType(auth, ct)
		h.Set("Accept", strings.Split(ct, ";")[0])
		resp := env.Do(t, apitest.Request{Method: http.MethodPost, Path: apitest.SuperOfficeWebhooksPath, Header: h, Body: xmlBody})
		if resp.Status != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), strings.Split(ct, ";")[0]) {
			t.Fatalf("%s: %d %s %s", ct, resp.Status, resp.Header.Get("Content-Type"), resp.Body)
		}
		var got struct {
			XMLName   xml.Name `xml:"WebhookWithLinks"`
			WebhookId int32
			Name      string
			Events    []string `xml:"Events>string"`
			State     string
			Headers   []struct{ Key, Value string } `xml:"Headers>KeyValueOfstringstring"`
		}
		if err := xml.Unmarshal(resp.Body, &got); err != nil {
			t.Fatalf("%s: %v\n%s", ct, err, resp.Body)
		}
		if got.WebhookId <= 0 || got.Name != "From XML" || len(got.Events) != 2 || got.State != "Stopped" || len(got.Headers) != 1 || got.Headers[0].Value != "acme" {
			t.Errorf("%s: decoded %+v from %s", ct, got, resp.Body)
		}
	}

	// text/json both ways.
	h := apitest.WithContentType(auth, "text/json")
	h.Set("Accept", "text/json")
	tj := env.Do(t, apitest.Request{Method: http.MethodPost, Path: apitest.SuperOfficeWebhooksPath, Header: h, Body: `{"Name": "text json", "Events": ["a.b"], "TargetUrl": "https://example.com/t"}`})
	if tj.Status != http.StatusOK || !strings.HasPrefix(tj.Header.Get("Content-Type"), "text/json") || !strings.Contains(string(tj.Body), `"Name":"text json"`) {
		t.Fatalf("text/json: %d %s %s", tj.Status, tj.Header.Get("Content-Type"), tj.Body)
	}

	// A form.
	form := url.Values{"Name": {"From form"}, "Events": {"contact.created", "person.created"}, "TargetUrl": {"https://example.com/form"},
		"Headers[X-Tenant]": {"acme"}, "State": {"Active"}}
	fr := env.Do(t, apitest.Request{Method: http.MethodPost, Path: apitest.SuperOfficeWebhooksPath, Header: apitest.WithContentType(auth, "application/x-www-form-urlencoded"), Body: form.Encode()})
	var fromForm soWebhook
	fr.Decode(t, &fromForm)
	if fr.Status != http.StatusOK || *fromForm.Name != "From form" || len(fromForm.Events) != 2 || fromForm.Headers["X-Tenant"] != "acme" {
		t.Fatalf("form: %d %s", fr.Status, fr.Body)
	}

	// The list and errors follow Accept too.
	xh := apitest.SuperOffice(acme)
	xh.Set("Accept", "application/xml")
	list := env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.SuperOfficeWebhooksPath, Header: xh})
	if list.Status != http.StatusOK || !strings.Contains(string(list.Body), "<ArrayOfWebhookWithLinks") || strings.Count(string(list.Body), "<WebhookWithLinks>") != 4 {
		t.Errorf("XML list: %d %s", list.Status, list.Body)
	}
	missing := env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.SuperOfficeWebhooksPath + "/999999", Header: xh})
	if missing.Status != http.StatusNotFound || !strings.Contains(string(missing.Body), "<ErrorType>NotFound</ErrorType>") {
		t.Errorf("XML 404: %d %s", missing.Status, missing.Body)
	}
	lastErr := env.Do(t, apitest.Request{Method: http.MethodGet, Path: apitest.SuperOfficeWebhooksPath + "/" + itoa(fromForm.WebhookId) + "/LastError", Header: xh})
	if lastErr.Status != http.StatusOK || !strings.Contains(string(lastErr.Body), "<string") {
		t.Errorf("XML LastError: %d %s", lastErr.Status, lastErr.Body)
	}
	bad := env.Do(t, apitest.Request{Method: http.MethodPost, Path: apitest.SuperOfficeWebhooksPath, Header: apitest.WithContentType(xh, "application/xml"), Body: `<Webhook><Name>x</Webhook>`})
	if bad.Status != http.StatusBadRequest || !strings.Contains(string(bad.Body), "<ErrorType>BadRequest</ErrorType>") {
		t.Errorf("malformed XML: %d %s", bad.Status, bad.Body)
	}
	if resp := env.Do(t, apitest.Request{Method: http.MethodPost, Path: apitest.SuperOfficeWebhooksPath, Header: apitest.WithContentType(http.Header{}, "application/xml"), Body: `<Webhook><Name>x</Webhook>`}); resp.Status != http.StatusUnauthorized {
		t.Errorf("malformed XML without credentials = %d, want 401 first", resp.Status)
	}
}
