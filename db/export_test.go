package db

// HotStatements are the statements of an account's hot path, for the test of their routing.
var HotStatements = map[string]string{
	"getCredentialBySecret":           getCredentialBySecret,
	"getScopedSubscription":           getScopedSubscription,
	"replaceScopedSubscriptionTarget": replaceScopedSubscriptionTarget,
	"listActiveSubscriptions":         listActiveSubscriptions,
	"ingestEvents":                    ingestEvents,
	"claimDeliveryBatch":              claimDeliveryBatch,
	"finishDeliveries":                finishDeliveries,
	"takeDueAccounts":                 takeDueAccounts,
}
