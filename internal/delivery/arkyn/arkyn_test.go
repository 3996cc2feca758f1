package arkyn

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/internal/delivery/format"
)

func TestMatchesOnlyItsTrafficSourceWithAChannel(t *testing.T) {
	t.Parallel()
	source, other := uuid.New(), uuid.New()
	withChannel := db.Subscription{ScopeID: source, Url: DiscordURLPrefix + "123"}
	for _, c := range []struct {
		sub   db.Subscription
		scope uuid.NullUUID
		want  bool
	}{
		{withChannel, uuid.NullUUID{UUID: source, Valid: true}, true},
		{withChannel, uuid.NullUUID{UUID: other, Valid: true}, false},
		{withChannel, uuid.NullUUID{}, false},
		{db.Subscription{ScopeID: source}, uuid.NullUUID{UUID: source, Valid: true}, false},
	} {
		if got := (Format{}).Matches(c.sub, format.Event{Type: "any", ScopeID: c.scope}); got != c.want {
			t.Errorf("Matches(%+v, %v) = %v", c.sub.Url, c.scope, got)
		}
	}
	if _, ok := (Format{}).Retry(1, 0); ok {
		t.Error("Arkyn retried")
	}
}

func TestDiscordMessage(t *testing.T) {
	t.Parallel()
	ev := db.Event{Type: "request", Data: db.JSON(`{"method":"get","status":500,"level":"FATAL","pathname":"/x"}`), CreatedAt: time.Unix(1700000000, 0)}
	r, err := Format{}.Request(format.Message{Event: ev, Subscription: db.Subscription{Url: DiscordURLPrefix + "42"}},
		format.Options{DiscordBaseURL: "https://discord.test/api/", DiscordBotToken: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Embeds []struct {
			Title       string
			Description string
			Color       int
		}
	}
	if err := json.Unmarshal(r.Body, &body); err != nil || len(body.Embeds) != 1 {
		t.Fatalf("body %s: %v", r.Body, err)
	}
	e := body.Embeds[0]
	if r.URL != "https://discord.test/api/channels/42/messages" || r.Header.Get("Authorization") != "Bot tok" ||
		e.Title != "HttpTraffic - GET - 500" || e.Color != 0xe11d48 || e.Description != "request /x" {
		t.Errorf("%s %v %+v", r.URL, r.Header, e)
	}
}
