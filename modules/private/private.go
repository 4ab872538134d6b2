package private

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// Reserved reports whether ns is one XEP-0049 §2.3 calls reserved:
// namespaces beginning with "jabber:" or "http://jabber.org/", and
// "vcard-temp" (and, here, the empty namespace, which names nothing).
// Requests for them are refused with not-acceptable, so that private
// storage is never mistaken for the protocol of the same name.
func Reserved(ns string) bool {
	return ns == "" || strings.HasPrefix(ns, "jabber:") || strings.HasPrefix(ns, "http://jabber.org/") || ns == "vcard-temp"
}

// handle answers one jabber:iq:private request (XEP-0049 §2).
func (m *Module) handle(ctx context.Context, iq *router.IQ) (*stream.Element, error) {
	// §2.3 and §5: only the user's own resources see or change their data.
	if !iq.From.Bare().Equal(iq.To) {
		return nil, stanza.NewError(stanza.Forbidden, "private data belongs to its owner only")
	}
	if iq.Payload.Local != "query" {
		return nil, stanza.ErrBadRequest("the payload must be <query xmlns='jabber:iq:private'/>")
	}
	var children []*stream.Element
	for c := range iq.Payload.Elements() {
		if Reserved(c.Space) {
			return nil, stanza.NewError(stanza.NotAcceptable, "namespace "+c.Space+" is reserved")
		}
		children = append(children, c)
	}
	if len(children) == 0 {
		return nil, stanza.NewError(stanza.NotAcceptable, "the query must hold an element in the namespace to store or get")
	}
	ctx, cancel := context.WithTimeout(ctx, storageTimeout)
	defer cancel()
	if iq.Type == stanza.IQSet {
		return nil, m.set(ctx, iq, children)
	}
	return m.get(ctx, iq, children)
}

// get returns what is stored for the one namespace asked, or the element
// asked for, empty, when nothing is.
func (m *Module) get(ctx context.Context, iq *router.IQ, children []*stream.Element) (*stream.Element, error) {
	ns := children[0].Space
	for _, c := range children[1:] {
		if c.Space != ns {
			// §2.3: a client MUST NOT query for more than one namespace.
			return nil, stanza.ErrBadRequest("a get asks for one namespace only")
		}
	}
	data, err := m.store.PrivateXML(ctx, iq.To.Domainpart(), iq.To.Localpart(), ns)
	q := stream.NewElement(NS, "query")
	if errors.Is(err, storage.ErrNotFound) {
		for _, c := range children {
			q.AddChild(stream.NewElement(c.Space, c.Local))
		}
		return q, nil
	}
	if err != nil {
		return nil, fmt.Errorf("private: load %s of %s: %w", ns, iq.To, err)
	}
	// The stored bytes are the elements of one namespace, one after the
	// other; wrapped in a query they parse as one tree.
	buf := make([]byte, 0, len(data)+64)
	buf = append(buf, "<query xmlns='"+NS+"'>"...)
	buf = append(buf, data...)
	buf = append(buf, "</query>"...)
	stored, err := stream.DecodeElement(buf, stream.Limits{MaxStanzaBytes: max(len(buf), 64<<10)}, "")
	if err != nil {
		return nil, fmt.Errorf("private: stored %s of %s does not parse: %w", ns, iq.To, err)
	}
	return stored, nil
}

// set stores the children by namespace. Several elements of one namespace
// are kept together, in order (§2.3 lets a set or result hold several);
// each namespace named replaces what was stored for it, and the others
// stay. Every namespace is checked before anything is written.
func (m *Module) set(ctx context.Context, iq *router.IQ, children []*stream.Element) error {
	type slot struct {
		ns   string
		data []byte
	}
	var slots []slot
	for _, c := range children {
		i := slices.IndexFunc(slots, func(s slot) bool { return s.ns == c.Space })
		if i < 0 {
			slots = append(slots, slot{ns: c.Space})
			i = len(slots) - 1
		}
		slots[i].data = c.AppendXML(slots[i].data, "")
		if len(slots[i].data) > m.cfg.MaxBytes {
			return stanza.NewError(stanza.NotAcceptable,
				"the data for "+c.Space+" exceeds "+strconv.Itoa(m.cfg.MaxBytes)+" bytes")
		}
	}
	for _, s := range slots {
		if err := m.store.SetPrivateXML(ctx, iq.To.Domainpart(), iq.To.Localpart(), s.ns, s.data); err != nil {
			return fmt.Errorf("private: store %s of %s: %w", s.ns, iq.To, err)
		}
	}
	return nil
}
