package c2s

import (
	"strings"
	"sync"
	"testing"
)

// recorder is an outbound's connection: it keeps each write.
type recorder struct {
	mu     sync.Mutex
	writes []string
	closed bool
}

func (r *recorder) write(b []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, string(b))
	return nil
}

func (r *recorder) close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
}

func newTestOutbound(max int) (*outbound, *recorder) {
	var pool bufPool
	rec := &recorder{}
	o := &outbound{}
	o.init(max, &pool, rec.write, rec.close)
	o.inline = true // writes happen on the enqueuing goroutine: deterministic
	return o, rec
}

func text(s string) func([]byte) []byte { return func(b []byte) []byte { return append(b, s...) } }

func TestOutboundCork(t *testing.T) {
	big := strings.Repeat("x", corkLimit)
	tests := []struct {
		name   string
		run    func(o *outbound)
		writes []string
		closed bool
	}{
		{"uncorked writes each at once", func(o *outbound) {
			o.enqueue(text("<a/>"))
			o.enqueue(text("<b/>"))
		}, []string{"<a/>", "<b/>"}, false},
		{"corked output leaves in one write", func(o *outbound) {
			o.cork()
			o.enqueue(text("<a/>"))
			o.enqueue(text("<b/>"))
			o.enqueue(text("<c/>"))
			o.uncork()
		}, []string{"<a/><b/><c/>"}, false},
		{"uncork with nothing queued writes nothing", func(o *outbound) {
			o.cork()
			o.uncork()
		}, nil, false},
		{"a corked burst past the limit is written anyway", func(o *outbound) {
			o.cork()
			o.enqueue(text("<a/>"))
			o.enqueue(text(big))
			o.enqueue(text("<c/>"))
			o.uncork()
		}, []string{"<a/>" + big, "<c/>"}, false},
		{"close writes what a cork held, then closes", func(o *outbound) {
			o.cork()
			o.enqueue(text("<a/>"))
			o.close([]byte("</stream:stream>"))
		}, []string{"<a/></stream:stream>"}, true},
		{"flush writes what a cork held", func(o *outbound) {
			o.cork()
			o.enqueue(text("<proceed/>"))
			if !o.flush() {
				panic("flush failed")
			}
		}, []string{"<proceed/>"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, rec := newTestOutbound(4 * corkLimit)
			tt.run(o)
			o.flush()
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if len(rec.writes) != len(tt.writes) {
				t.Fatalf("%d writes, want %d: %q", len(rec.writes), len(tt.writes), short(rec.writes))
			}
			for i := range tt.writes {
				if rec.writes[i] != tt.writes[i] {
					t.Fatalf("write %d = %q, want %q", i, short(rec.writes[i:i+1]), short(tt.writes[i:i+1]))
				}
			}
			if rec.closed != tt.closed {
				t.Fatalf("closed = %v, want %v", rec.closed, tt.closed)
			}
		})
	}
}

// TestOutboundCountsBacklog checks that bytes the socket layer still holds
// count against the cap, so a consumer that stopped reading is cut off even
// though every write "succeeds" into the backlog.
func TestOutboundCountsBacklog(t *testing.T) {
	o, rec := newTestOutbound(1024)
	backlog := 0
	o.backlog = func() int { return backlog }
	if !o.enqueue(text(strings.Repeat("a", 600))) {
		t.Fatal("first stanza refused")
	}
	backlog = 600 // the kernel took none of it
	if o.enqueue(text(strings.Repeat("b", 600))) {
		t.Fatal("queue over its cap (with the backlog) still accepted a stanza")
	}
	o.flush()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	last := rec.writes[len(rec.writes)-1]
	if !strings.Contains(last, "policy-violation") || !rec.closed {
		t.Fatalf("cut-off not written and closed: %q closed=%v", short([]string{last}), rec.closed)
	}
}

func short(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		if len(s) > 40 {
			s = s[:20] + "…" + s[len(s)-20:]
		}
		out[i] = s
	}
	return out
}

// BenchmarkOutboundEnqueue is the queue's own cost per delivered stanza
// (lock, append, inline write to a connection that takes everything).
// Target: 0 allocs/op.
func BenchmarkOutboundEnqueue(b *testing.B) {
	var pool bufPool
	o := &outbound{}
	o.init(1<<20, &pool, func([]byte) error { return nil }, func() {})
	o.inline = true
	msg := []byte("<message from='alice@localhost/desk' to='bob@localhost/phone' type='chat'><body>hi</body></message>")
	fn := func(buf []byte) []byte { return append(buf, msg...) }
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		o.enqueue(fn)
	}
}
