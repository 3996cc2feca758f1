package handlers

import "github.com/webhookd/webhookd/handlers/kit"

// dialect names the API family an operation belongs to (kit.Dialect).
type dialect = kit.Dialect

const (
	dialectSystem    dialect = "system"
	dialectAdmin     dialect = "admin"
	dialectSO        dialect = "superoffice"
	dialectIngest    dialect = "ingest"
	dialectInspector dialect = "inspector"
)
