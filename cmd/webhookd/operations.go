package main

import (
	"net/netip"

	"github.com/webhookd/webhookd/handlers/inspector"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/webhookd/webhookd/handlers"
	"github.com/webhookd/webhookd/internal/delivery"
)

// operations are the metrics registry and the inspector, shared by the API and the engine.
type operations struct {
	handlers.Operator
	delivery *delivery.Metrics
	// inspectorURL is where the demo's webhook points; exactTargets lets deliveries reach it,
	// and nothing else on loopback.
	inspectorURL string
	exactTargets []netip.AddrPort
}

func newOperations(port int, inspectorOn bool) (operations, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m, err := delivery.NewMetrics(reg)
	if err != nil {
		return operations{}, err
	}
	ops := operations{Operator: handlers.Operator{Registry: reg}, delivery: m}
	if ops.Inspector = inspectorOn; !inspectorOn {
		return ops, nil
	}
	addr := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port))
	ops.inspectorURL = "http://" + addr.String() + inspector.Path
	ops.exactTargets = []netip.AddrPort{addr}
	return ops, nil
}
