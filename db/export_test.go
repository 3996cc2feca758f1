package db

// HotStatements are the statements of an account's hot path (and others that lock or list an
// account's rows), for the test of their routing.
var HotStatements = map[string]string{
	"getCredentialBySecret":           getCredentialBySecret,
	"getScopedSubscription":           getScopedSubscription,
	"replaceScopedSubscriptionTarget": replaceScopedSubscriptionTarget,
	"listActiveSubscriptions":         listActiveSubscriptions,
	"ingestEvents":                    ingestEvents,
	"claimDeliveryBatch":              claimDeliveryBatch,
	"finishDeliveries":                finishDeliveries,
	"releaseDeliveries":               releaseDeliveries,
	"takeDueAccounts":                 takeDueAccounts,
	"listScopeSubscriptionsPage":      listScopeSubscriptionsPage,
	"countScopeSubscriptions":         countScopeSubscriptions,
	"movePendingForward":              movePendingForward,
}

// Up applies the migrations without distributing the schema.
var Up = up

// Distribute distributes a migrated schema as Migrate does on a Citus coordinator.
var Distribute = distributeOnce
