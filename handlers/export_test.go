package handlers

// WithoutChecks configures a server that routes and authenticates but validates nothing else,
// for measuring what validation costs. It exists in tests only.
func WithoutChecks(cfg *Config) { cfg.checksOff = true }
