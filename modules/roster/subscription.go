package roster

import "github.com/meerkat-xmpp/meerkat/storage"

// State is the subscription state of one roster item as RFC 6121 Appendix A
// names it ("None + Pending Out", "To + Pending In", ...), plus the
// pre-approval of §3.4.
type State struct {
	Sub         string // storage.SubNone, SubTo, SubFrom or SubBoth
	PendingOut  bool   // the user asked the contact (ask='subscribe')
	PendingIn   bool   // the contact asked the user, not yet answered
	PreApproved bool   // the user approved before being asked (§3.4)
}

// HasTo reports whether the user receives the contact's presence.
func (s State) HasTo() bool { return s.Sub == storage.SubTo || s.Sub == storage.SubBoth }

// HasFrom reports whether the contact receives the user's presence.
func (s State) HasFrom() bool { return s.Sub == storage.SubFrom || s.Sub == storage.SubBoth }

// IsZero reports whether nothing links the user and the contact.
func (s State) IsZero() bool {
	return (s.Sub == "" || s.Sub == storage.SubNone) && !s.PendingOut && !s.PendingIn && !s.PreApproved
}

// String names the state as Appendix A does, with "+ Pre-Approved" added.
func (s State) String() string {
	var n string
	switch s.Sub {
	case storage.SubTo:
		n = "To"
	case storage.SubFrom:
		n = "From"
	case storage.SubBoth:
		n = "Both"
	default:
		n = "None"
	}
	switch {
	case s.PendingOut && s.PendingIn:
		n += " + Pending Out/In"
	case s.PendingOut:
		n += " + Pending Out"
	case s.PendingIn:
		n += " + Pending In"
	}
	if s.PreApproved {
		n += " + Pre-Approved"
	}
	return n
}

func sub(to, from bool) string {
	switch {
	case to && from:
		return storage.SubBoth
	case to:
		return storage.SubTo
	case from:
		return storage.SubFrom
	}
	return storage.SubNone
}

// Event is a subscription stanza crossing the user's server: outbound ones
// the user sent to the contact, inbound ones the contact sent to the user.
type Event uint8

// The eight subscription events of RFC 6121 §3.
const (
	OutSubscribe Event = iota
	OutSubscribed
	OutUnsubscribe
	OutUnsubscribed
	InSubscribe
	InSubscribed
	InUnsubscribe
	InUnsubscribed
)

// String returns "outbound subscribe", "inbound unsubscribed", ...
func (e Event) String() string {
	dir := "outbound "
	if e >= InSubscribe {
		dir = "inbound "
	}
	return dir + e.Type()
}

// Type is the presence type of the event's stanza.
func (e Event) Type() string {
	switch e % 4 {
	case 0:
		return "subscribe"
	case 1:
		return "subscribed"
	case 2:
		return "unsubscribe"
	}
	return "unsubscribed"
}

// Inbound reports whether the contact sent the stanza.
func (e Event) Inbound() bool { return e >= InSubscribe }

// EventFor returns the event for a presence type and direction; ok is false
// for types that are not subscription types.
func EventFor(typ string, inbound bool) (e Event, ok bool) {
	switch typ {
	case "subscribe":
		e = OutSubscribe
	case "subscribed":
		e = OutSubscribed
	case "unsubscribe":
		e = OutUnsubscribe
	case "unsubscribed":
		e = OutUnsubscribed
	default:
		return 0, false
	}
	if inbound {
		e += InSubscribe
	}
	return e, true
}

// Outcome is what the user's server does with one event.
type Outcome struct {
	// State is the new state; equal to the old one when Changed is false.
	State State
	// Changed means the item must be stored and pushed to interested
	// resources (RFC 6121 §3: every state change is followed by a push).
	Changed bool
	// Forward means the stanza goes on: routed to the contact (outbound,
	// "ROUTE?" in Appendix A.2) or delivered to the user's available
	// resources (inbound, "DELIVER?" in Appendix A.3).
	Forward bool
	// AutoSubscribed means the server answers an inbound subscribe with
	// subscribed on the user's behalf (already subscribed, §3.1.3, or
	// pre-approved, §3.4).
	AutoSubscribed bool
	// SendPresence means the contact has just been granted the user's
	// presence and must get the current presence of each available resource
	// (§3.1.5).
	SendPresence bool
	// SendUnavailable means the contact has just lost the user's presence
	// and must get unavailable presence from each available resource
	// (§3.2.2, §3.3.3).
	SendUnavailable bool
}

// Transition applies event e to state s as RFC 6121 §3 and Appendix A say.
// It is a pure function: the module stores, pushes and routes according to
// the Outcome. Outbound subscribe and unsubscribe, which Appendix A leaves to
// the text of §3.1.2 and §3.3.2, are always routed.
func Transition(s State, e Event) Outcome {
	if s.Sub == "" {
		s.Sub = storage.SubNone
	}
	n := s
	o := Outcome{}
	to, from := s.HasTo(), s.HasFrom()
	switch e {
	case OutSubscribe: // §3.1.2
		o.Forward = true
		if !to {
			n.PendingOut = true
		}
	case OutUnsubscribe: // §3.3.2
		o.Forward = true
		n.PendingOut = false
		n.Sub = sub(false, from)
	case OutSubscribed: // A.2.1
		switch {
		case s.PendingIn:
			n.PendingIn = false
			n.Sub = sub(to, true)
			o.Forward, o.SendPresence = true, true
		case !from:
			n.PreApproved = true // §3.4: pre-approval
		}
	case OutUnsubscribed: // A.2.2
		switch {
		case s.PendingIn:
			n.PendingIn = false // §3.2: deny the request
			o.Forward = true
		case from:
			n.Sub = sub(to, false) // §3.2.2: cancel
			o.Forward, o.SendUnavailable = true, true
		default:
			n.PreApproved = false // §3.4: cancel a pre-approval
		}
	case InSubscribe: // A.3.1
		switch {
		case from:
			o.AutoSubscribed, o.SendPresence = true, true
		case s.PendingIn:
		case s.PreApproved:
			n.PreApproved = false
			n.Sub = sub(to, true)
			o.AutoSubscribed, o.SendPresence = true, true
		default:
			n.PendingIn = true
			o.Forward = true
		}
	case InUnsubscribe: // A.3.2
		switch {
		case s.PendingIn:
			n.PendingIn = false
			o.Forward = true
		case from:
			n.Sub = sub(to, false)
			o.Forward, o.SendUnavailable = true, true
		}
	case InSubscribed: // A.3.3
		if s.PendingOut {
			n.PendingOut = false
			n.Sub = sub(true, from)
			o.Forward = true
		}
	case InUnsubscribed: // A.3.4
		if s.PendingOut || to {
			n.PendingOut = false
			n.Sub = sub(false, from)
			o.Forward = true
		}
	}
	o.State = n
	o.Changed = n != s
	return o
}
