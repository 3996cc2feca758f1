// Package gen holds the models, Echo strict server and embedded spec generated from openapi.yaml.
// Nothing here is edited by hand: change openapi.yaml and run `go tool task gen`.
package gen

//go:generate go tool oapi-codegen -config oapi-codegen.yaml ../openapi.yaml
