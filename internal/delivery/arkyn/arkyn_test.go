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
	r, err := Format{Settings{DiscordBaseURL: "https://discord.test/api/", BotToken: "tok"}}.Request(
		format.Message{Event: ev, Subscription: db.Subscription{Url: DiscordURLPrefix + "42"}})
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

// The embed's colour follows the level (info 0x0ea5e9, warning 0xfb923c, fatal 0xe11d48, info
// for any other), its title is "HttpTraffic - <METHOD> - <status>", and its description is the
// log's own or else the event type and path.
func TestEmbedByLevelAndDescription(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		data, title, description string
		colour                   int
	}{
		{`{"method":"post","status":201,"level":"info","description":"created"}`, "HttpTraffic - POST - 201", "created", 0x0ea5e9},
		{`{"method":"GET","status":404,"level":"warning","pathname":"/missing"}`, "HttpTraffic - GET - 404", "request /missing", 0xfb923c},
		{`{"method":"delete","status":"500","level":"Fatal"}`, "HttpTraffic - DELETE - 500", "request", 0xe11d48},
		{`{"method":"put","status":200,"level":"debug"}`, "HttpTraffic - PUT - 200", "request", 0x0ea5e9},
		{`{"method":"get","status":200}`, "HttpTraffic - GET - 200", "request", 0x0ea5e9},
	} {
		ev := db.Event{Type: "request", Data: db.JSON(c.data), CreatedAt: time.Unix(1700000000, 0)}
		r, err := Format{Settings{DiscordBaseURL: "https://discord.test/api", BotToken: "tok"}}.Request(
			format.Message{Event: ev, Subscription: db.Subscription{Url: DiscordURLPrefix + "7"}})
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Embeds []struct {
				Title, Description, Timestamp string
				Color                         int
			}
		}
		if err := json.Unmarshal(r.Body, &body); err != nil || len(body.Embeds) != 1 {
			t.Fatalf("%s: body %s: %v", c.data, r.Body, err)
		}
		e := body.Embeds[0]
		if e.Title != c.title || e.Description != c.description || e.Color != c.colour || e.Timestamp != "2023-11-14T22:13:20Z" {
			t.Errorf("%s: embed %+v; want %q, %q, %#x", c.data, e, c.title, c.description, c.colour)
		}
		if r.URL != "https://discord.test/api/channels/7/messages" {
			t.Errorf("URL %s", r.URL)
		}
	}
}

func TestUnsetDiscordBaseURLIsDiscordsAPI(t *testing.T) {
	t.Parallel()
	r, err := Format{}.Request(format.Message{Event: db.Event{Type: "request", Data: db.JSON(`{}`)}, Subscription: db.Subscription{Url: DiscordURLPrefix + "9"}})
	if err != nil || r.URL != "https://discord.com/api/v10/channels/9/messages" {
		t.Errorf("URL %q, %v", r.URL, err)
	}
}
