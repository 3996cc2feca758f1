package main

// Role is what an instance does (WEBHOOKS_ROLE): API nodes and delivery workers scale apart,
// sharing one database.
type Role string

const (
	// RoleAPI serves every operation and never delivers: what it ingests waits for a worker.
	RoleAPI Role = "api"
	// RoleWorker delivers and serves only the operator endpoints, /healthz and /metrics.
	RoleWorker Role = "worker"
	// RoleAll does both.
	RoleAll Role = "all"
)

// servesAPI says whether the instance serves the APIs (and so needs the admin token).
func (r Role) servesAPI() bool { return r != RoleWorker }

// delivers says whether the instance runs the delivery engine.
func (r Role) delivers() bool { return r != RoleAPI }
