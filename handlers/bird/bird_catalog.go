package bird

import "github.com/webhookd/webhookd/gen"

// birdEvent is one event a Bird service emits and the filter keys it can be narrowed by.
type birdEvent struct {
	event       string
	description string
	filterKeys  []gen.WebhookEventFilterKey
}

// birdCatalog is what GET /available-webhooks lists and what a new subscription's event is
// checked against, per service, in a stable order.
var birdCatalog = []struct {
	service gen.WebhookService
	events  []birdEvent
}{
	{gen.Channels, []birdEvent{
		{"sms.outbound", "An SMS message was sent.", []gen.WebhookEventFilterKey{gen.ChannelId, gen.PlatformId, gen.MessageStatus}},
		{"sms.inbound", "An SMS message was received.", []gen.WebhookEventFilterKey{gen.ChannelId, gen.PlatformId}},
		{"email.outbound", "An email was sent.", []gen.WebhookEventFilterKey{gen.ChannelId, gen.MessageStatus}},
		{"email.inbound", "An email was received.", []gen.WebhookEventFilterKey{gen.ChannelId}},
		{"email.interaction", "A recipient opened, clicked or unsubscribed from an email.", []gen.WebhookEventFilterKey{gen.ChannelId, gen.InteractionType}},
		{"whatsapp.outbound", "A WhatsApp message was sent.", []gen.WebhookEventFilterKey{gen.ChannelId, gen.PlatformId, gen.MessageStatus}},
		{"whatsapp.inbound", "A WhatsApp message was received.", []gen.WebhookEventFilterKey{gen.ChannelId, gen.PlatformId}},
		{"channel.status.updated", "A channel's status changed.", []gen.WebhookEventFilterKey{gen.ChannelId, gen.PlatformId, gen.ChannelStatus}},
	}},
	{gen.Numbers, []birdEvent{
		{"number.purchased", "A phone number was bought.", []gen.WebhookEventFilterKey{gen.Status}},
		{"number.released", "A phone number was released.", []gen.WebhookEventFilterKey{gen.Status}},
	}},
	{gen.Payments, []birdEvent{
		{"payment.updated", "A payment changed status.", []gen.WebhookEventFilterKey{gen.Status}},
		{"refund.updated", "A refund changed status.", []gen.WebhookEventFilterKey{gen.Status}},
	}},
	{gen.Conversations, []birdEvent{
		{"conversation.created", "A conversation was started.", []gen.WebhookEventFilterKey{gen.ChannelId, gen.NavigatorId}},
		{"conversation.updated", "A conversation changed status.", []gen.WebhookEventFilterKey{gen.ChannelId, gen.NavigatorId, gen.Status}},
		{"conversation.message.created", "A message was added to a conversation.", []gen.WebhookEventFilterKey{gen.ChannelId, gen.NavigatorId, gen.EventDestination}},
	}},
	{gen.Templates, []birdEvent{
		{"template.created", "A message template was created.", []gen.WebhookEventFilterKey{gen.PlatformId}},
		{"template.updated", "A message template was approved, rejected or edited.", []gen.WebhookEventFilterKey{gen.PlatformId, gen.Status}},
	}},
}

// lookupBirdEvent returns the catalog entry for event of service.
func lookupBirdEvent(service gen.WebhookService, event string) (birdEvent, bool) {
	for _, s := range birdCatalog {
		if s.service != service {
			continue
		}
		for _, e := range s.events {
			if e.event == event {
				return e, true
			}
		}
	}
	return birdEvent{}, false
}
