package handlers

import "github.com/webhookd/webhookd/handlers/shipping"

// RateLimit is a Shipping API key's request budget (WEBHOOKS_SHIPPING_RATE_LIMIT).
type RateLimit = shipping.RateLimit

// ShippingDefaultRateLimit is the vendor's documented budget: 100 requests an hour per key.
var ShippingDefaultRateLimit = shipping.DefaultRateLimit

// ParseRateLimit reads "<requests>/<Go duration>".
func ParseRateLimit(s string) (RateLimit, error) { return shipping.ParseRateLimit(s) }
