// Package arkyn delivers events as the Discord messages Arkyn posts to a traffic source's
// channel; Arkyn does not retry.
package arkyn

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/webhookd/webhookd/db"
	"github.com/webhookd/webhookd/internal/delivery/format"
)

// Name is the dialect as subscriptions store it.
const Name = "arkyn"

// DiscordURLPrefix is how an Arkyn webhook's Discord channel is stored as its destination.
const DiscordURLPrefix = "discord://channels/"

// Arkyn's embed colours by log level.
var colours = map[string]int{"info": 0x0ea5e9, "warning": 0xfb923c, "fatal": 0xe11d48}

// DefaultDiscordBaseURL is Discord's API, where Arkyn posts.
const DefaultDiscordBaseURL = "https://discord.com/api/v10"

// Settings are where and as which bot Arkyn's messages are posted.
type Settings struct {
	// DiscordBaseURL is Discord's API; empty means DefaultDiscordBaseURL.
	DiscordBaseURL string
	// BotToken authorises the posts as Arkyn's bot.
	BotToken string
}

// Format is Arkyn's delivery format.
type Format struct{ Settings }

func (Format) Name() string { return Name }

// Request is the message Arkyn posts to the traffic source's Discord channel.
func (f Format) Request(m format.Message) (format.Request, error) {
	ev := m.Event
	channel := strings.TrimPrefix(m.Subscription.Url, DiscordURLPrefix)
	var data struct {
		Method      string `json:"method"`
		Status      any    `json:"status"`
		Level       string `json:"level"`
		Description string `json:"description"`
		Pathname    string `json:"pathname"`
	}
	_ = json.Unmarshal(ev.Data, &data)
	colour, ok := colours[strings.ToLower(data.Level)]
	if !ok {
		colour = colours["info"]
	}
	description := data.Description
	if description == "" {
		description = strings.TrimSpace(fmt.Sprintf("%s %s", ev.Type, data.Pathname))
	}
	body, err := format.Marshal(map[string]any{"embeds": []map[string]any{{
		"title":       fmt.Sprintf("HttpTraffic - %s - %v", strings.ToUpper(data.Method), data.Status),
		"description": description,
		"color":       colour,
		"timestamp":   ev.CreatedAt.UTC().Format(time.RFC3339Nano),
	}}})
	if err != nil {
		return format.Request{}, err
	}
	header := http.Header{}
	header.Set("Content-Type", "application/json")
	header.Set("User-Agent", "webhookd/1")
	header.Set("Authorization", "Bot "+f.BotToken)
	base := f.DiscordBaseURL
	if base == "" {
		base = DefaultDiscordBaseURL
	}
	return format.Request{URL: strings.TrimRight(base, "/") + "/channels/" + channel + "/messages", Header: header, Body: body}, nil
}

// Retry never retries.
func (Format) Retry(int, time.Duration) (time.Duration, bool) { return 0, false }

func (Format) GiveUp(int, int, string) (string, string) { return "", "" }

// Matches sends every event of the webhook's own traffic source to its Discord channel, when
// it has one.
func (Format) Matches(s db.Subscription, ev format.Event) bool {
	return ev.ScopeID.Valid && ev.ScopeID.UUID == s.ScopeID && strings.HasPrefix(s.Url, DiscordURLPrefix)
}
