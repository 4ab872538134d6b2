package roster

import (
	"testing"

	"github.com/meerkat-xmpp/meerkat/storage"
)

// The nine states of RFC 6121 Appendix A.1.
var (
	sNone      = State{Sub: storage.SubNone}
	sNonePO    = State{Sub: storage.SubNone, PendingOut: true}
	sNonePI    = State{Sub: storage.SubNone, PendingIn: true}
	sNonePOI   = State{Sub: storage.SubNone, PendingOut: true, PendingIn: true}
	sTo        = State{Sub: storage.SubTo}
	sToPI      = State{Sub: storage.SubTo, PendingIn: true}
	sFrom      = State{Sub: storage.SubFrom}
	sFromPO    = State{Sub: storage.SubFrom, PendingOut: true}
	sBoth      = State{Sub: storage.SubBoth}
	sNonePre   = State{Sub: storage.SubNone, PreApproved: true}
	sNonePOPre = State{Sub: storage.SubNone, PendingOut: true, PreApproved: true}
	sToPre     = State{Sub: storage.SubTo, PreApproved: true}
)

type row struct {
	from State
	// to is the new state; forward is the table's ROUTE?/DELIVER? column.
	to      State
	forward bool
	// What the server does besides, per the RFC text around the table.
	auto, presence, unavailable bool
}

func runTable(t *testing.T, ev Event, rows []row) {
	t.Helper()
	for _, r := range rows {
		t.Run(r.from.String(), func(t *testing.T) {
			got := Transition(r.from, ev)
			want := Outcome{State: r.to, Changed: r.to != r.from, Forward: r.forward,
				AutoSubscribed: r.auto, SendPresence: r.presence, SendUnavailable: r.unavailable}
			if got != want {
				t.Errorf("%s in %q:\n got %+v (%s)\nwant %+v (%s)", ev, r.from, got, got.State, want, want.State)
			}
		})
	}
}

// TestAppendixA checks every row of RFC 6121 Appendix A, one subtest per
// table and row (named by the existing state), plus the outbound subscribe
// and unsubscribe rules of §3.1.2 and §3.3.2 and the pre-approval rules of
// §3.4.
func TestAppendixA(t *testing.T) {
	// A.2.1: outbound "subscribed" (the user approves the contact).
	t.Run("A.2.1 outbound subscribed", func(t *testing.T) {
		runTable(t, OutSubscribed, []row{
			{from: sNone, to: sNonePre},     // no route; §3.4 pre-approval noted
			{from: sNonePO, to: sNonePOPre}, // no route; pre-approval
			{from: sNonePI, to: sFrom, forward: true, presence: true},
			{from: sNonePOI, to: sFromPO, forward: true, presence: true},
			{from: sTo, to: sToPre}, // no route; pre-approval
			{from: sToPI, to: sBoth, forward: true, presence: true},
			{from: sFrom, to: sFrom},
			{from: sFromPO, to: sFromPO},
			{from: sBoth, to: sBoth},
		})
	})
	// A.2.2: outbound "unsubscribed" (the user denies or cancels).
	t.Run("A.2.2 outbound unsubscribed", func(t *testing.T) {
		runTable(t, OutUnsubscribed, []row{
			{from: sNone, to: sNone},
			{from: sNonePO, to: sNonePO},
			{from: sNonePI, to: sNone, forward: true},
			{from: sNonePOI, to: sNonePO, forward: true},
			{from: sTo, to: sTo},
			{from: sToPI, to: sTo, forward: true},
			{from: sFrom, to: sNone, forward: true, unavailable: true},
			{from: sFromPO, to: sNonePO, forward: true, unavailable: true},
			{from: sBoth, to: sTo, forward: true, unavailable: true},
		})
	})
	// A.3.1: inbound "subscribe" (the contact asks the user).
	t.Run("A.3.1 inbound subscribe", func(t *testing.T) {
		runTable(t, InSubscribe, []row{
			{from: sNone, to: sNonePI, forward: true},
			{from: sNonePO, to: sNonePOI, forward: true},
			{from: sNonePI, to: sNonePI},
			{from: sNonePOI, to: sNonePOI},
			{from: sTo, to: sToPI, forward: true},
			{from: sToPI, to: sToPI},
			// Already subscribed: not delivered, answered on the user's behalf.
			{from: sFrom, to: sFrom, auto: true, presence: true},
			{from: sFromPO, to: sFromPO, auto: true, presence: true},
			{from: sBoth, to: sBoth, auto: true, presence: true},
		})
	})
	// A.3.2: inbound "unsubscribe" (the contact unsubscribes from the user).
	t.Run("A.3.2 inbound unsubscribe", func(t *testing.T) {
		runTable(t, InUnsubscribe, []row{
			{from: sNone, to: sNone},
			{from: sNonePO, to: sNonePO},
			{from: sNonePI, to: sNone, forward: true},
			{from: sNonePOI, to: sNonePO, forward: true},
			{from: sTo, to: sTo},
			{from: sToPI, to: sTo, forward: true},
			{from: sFrom, to: sNone, forward: true, unavailable: true},
			{from: sFromPO, to: sNonePO, forward: true, unavailable: true},
			{from: sBoth, to: sTo, forward: true, unavailable: true},
		})
	})
	// A.3.3: inbound "subscribed" (the contact approves the user).
	t.Run("A.3.3 inbound subscribed", func(t *testing.T) {
		runTable(t, InSubscribed, []row{
			{from: sNone, to: sNone},
			{from: sNonePO, to: sTo, forward: true},
			{from: sNonePI, to: sNonePI},
			{from: sNonePOI, to: sToPI, forward: true},
			{from: sTo, to: sTo},
			{from: sToPI, to: sToPI},
			{from: sFrom, to: sFrom},
			{from: sFromPO, to: sBoth, forward: true},
			{from: sBoth, to: sBoth},
		})
	})
	// A.3.4: inbound "unsubscribed" (the contact denies or cancels).
	t.Run("A.3.4 inbound unsubscribed", func(t *testing.T) {
		runTable(t, InUnsubscribed, []row{
			{from: sNone, to: sNone},
			{from: sNonePO, to: sNone, forward: true},
			{from: sNonePI, to: sNonePI},
			{from: sNonePOI, to: sNonePI, forward: true},
			{from: sTo, to: sNone, forward: true},
			{from: sToPI, to: sNonePI, forward: true},
			{from: sFrom, to: sFrom},
			{from: sFromPO, to: sFrom, forward: true},
			{from: sBoth, to: sFrom, forward: true},
		})
	})
	// §3.1.2: outbound "subscribe" is always routed; it sets pending out
	// unless the user is already subscribed.
	t.Run("3.1.2 outbound subscribe", func(t *testing.T) {
		runTable(t, OutSubscribe, []row{
			{from: sNone, to: sNonePO, forward: true},
			{from: sNonePO, to: sNonePO, forward: true},
			{from: sNonePI, to: sNonePOI, forward: true},
			{from: sNonePOI, to: sNonePOI, forward: true},
			{from: sTo, to: sTo, forward: true},
			{from: sToPI, to: sToPI, forward: true},
			{from: sFrom, to: sFromPO, forward: true},
			{from: sFromPO, to: sFromPO, forward: true},
			{from: sBoth, to: sBoth, forward: true},
		})
	})
	// §3.3.2: outbound "unsubscribe" is always routed; it ends the user's
	// subscription to the contact and any pending request.
	t.Run("3.3.2 outbound unsubscribe", func(t *testing.T) {
		runTable(t, OutUnsubscribe, []row{
			{from: sNone, to: sNone, forward: true},
			{from: sNonePO, to: sNone, forward: true},
			{from: sNonePI, to: sNonePI, forward: true},
			{from: sNonePOI, to: sNonePI, forward: true},
			{from: sTo, to: sNone, forward: true},
			{from: sToPI, to: sNonePI, forward: true},
			{from: sFrom, to: sFrom, forward: true},
			{from: sFromPO, to: sFrom, forward: true},
			{from: sBoth, to: sFrom, forward: true},
		})
	})
	// §3.4: a pre-approved request is approved at once, never delivered;
	// outbound unsubscribed takes a pre-approval back.
	t.Run("3.4 pre-approval", func(t *testing.T) {
		t.Run("inbound subscribe", func(t *testing.T) {
			runTable(t, InSubscribe, []row{
				{from: sNonePre, to: sFrom, auto: true, presence: true},
				{from: sNonePOPre, to: sFromPO, auto: true, presence: true},
				{from: sToPre, to: sBoth, auto: true, presence: true},
			})
		})
		t.Run("outbound unsubscribed", func(t *testing.T) {
			runTable(t, OutUnsubscribed, []row{
				{from: sNonePre, to: sNone},
				{from: sNonePOPre, to: sNonePO},
				{from: sToPre, to: sTo},
			})
		})
		t.Run("outbound subscribed again", func(t *testing.T) {
			runTable(t, OutSubscribed, []row{
				{from: sNonePre, to: sNonePre},
				{from: sToPre, to: sToPre},
			})
		})
	})
}

func TestEventFor(t *testing.T) {
	for _, typ := range []string{"subscribe", "subscribed", "unsubscribe", "unsubscribed"} {
		for _, in := range []bool{false, true} {
			e, ok := EventFor(typ, in)
			if !ok || e.Type() != typ || e.Inbound() != in {
				t.Errorf("EventFor(%q, %v) = %v, %v", typ, in, e, ok)
			}
		}
	}
	for _, typ := range []string{"", "unavailable", "probe", "error"} {
		if _, ok := EventFor(typ, false); ok {
			t.Errorf("EventFor(%q) accepted", typ)
		}
	}
}
