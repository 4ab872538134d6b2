package mob

import (
	"io"
	"testing"

	"github.com/meerkat-xmpp/meerkat/stream"
)

// TestBOSHDeliverInRIDOrder: answers reach Next in rid order whatever order
// their requests complete in, as XEP-0124 §9 has clients process them.
func TestBOSHDeliverInRIDOrder(t *testing.T) {
	el := func(name string) boshItem { return boshItem{el: &stream.Element{Local: name}} }
	tests := []struct {
		name  string
		order []int64 // completion order of rids 10, 11, 12
		want  []string
	}{
		{"in order", []int64{10, 11, 12}, []string{"a", "b", "c", "d"}},
		{"newest first", []int64{12, 11, 10}, []string{"a", "b", "c", "d"}},
		{"middle last", []int64{10, 12, 11}, []string{"a", "b", "c", "d"}},
	}
	answers := map[int64][]boshItem{10: {el("a")}, 11: nil, 12: {el("b"), el("c"), el("d")}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &boshConn{in: make(chan boshItem, 16), done: make(chan struct{}), next: 10,
				answers: make(map[int64][]boshItem)}
			for _, rid := range tt.order {
				c.deliver(rid, answers[rid])
			}
			c.deliver(13, []boshItem{{err: io.EOF}})
			var got []string
			for it := range len(tt.want) + 1 {
				item := <-c.in
				if it == len(tt.want) {
					if item.err != io.EOF {
						t.Fatalf("last item %+v, want io.EOF", item)
					}
					break
				}
				got = append(got, item.el.Local)
			}
			if len(got) != len(tt.want) || len(c.answers) != 0 {
				t.Fatalf("got %v (%d answers kept), want %v", got, len(c.answers), tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
}
