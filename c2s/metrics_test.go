package c2s

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/meerkat-xmpp/meerkat/stream"
)

func TestMetricsStanzaLabels(t *testing.T) {
	tests := []struct {
		name       string
		el         *stream.Element
		kind, typ  string
		repeatedly int
	}{
		{"chat", stream.NewElement(stream.NSClient, "message", "type", "chat"), "message", "chat", 3},
		{"message without type", stream.NewElement(stream.NSClient, "message"), "message", "normal", 2},
		{"unknown message type", stream.NewElement(stream.NSClient, "message", "type", "bogus"), "message", "other", 1},
		{"available", stream.NewElement(stream.NSClient, "presence"), "presence", "available", 2},
		{"iq get", stream.NewElement(stream.NSClient, "iq", "type", "get"), "iq", "get", 1},
		{"not a stanza", stream.NewElement(stream.NSSASL, "auth"), "other", "other", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMetrics(nil)
			for range tc.repeatedly {
				m.in(tc.el)
				m.out(tc.el)
			}
			if got := counterValue(m.stanzasIn.WithLabelValues(tc.kind, tc.typ)); got != float64(tc.repeatedly) {
				t.Errorf("in{%s,%s} = %v, want %d", tc.kind, tc.typ, got, tc.repeatedly)
			}
			if got := counterValue(m.stanzasOut.WithLabelValues(tc.kind, tc.typ)); got != float64(tc.repeatedly) {
				t.Errorf("out{%s,%s} = %v, want %d", tc.kind, tc.typ, got, tc.repeatedly)
			}
		})
	}
}

// BenchmarkMetricsStanza is the per-stanza counter cost. Target: 0 allocs/op.
func BenchmarkMetricsStanza(b *testing.B) {
	m := NewMetrics(nil)
	el := stream.NewElement(stream.NSClient, "message", "type", "chat", "to", "a@b/c")
	b.ReportAllocs()
	for b.Loop() {
		m.in(el)
		m.out(el)
	}
}

func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return -1
	}
	return m.GetCounter().GetValue()
}
