package disco

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/meerkat-xmpp/meerkat/module"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// checkQuery refuses what is not a disco get with a <query/> payload.
func checkQuery(iq *router.IQ) error {
	if iq.Type != stanza.IQGet {
		return stanza.NewError(stanza.NotAllowed, "service discovery is read-only")
	}
	if iq.Payload.Local != "query" {
		return stanza.ErrBadRequest("the payload must be <query/>")
	}
	return nil
}

// infoHandler answers disco#info for one target (XEP-0030 §3).
type infoHandler struct {
	m      *Module
	target router.Target
}

func (h infoHandler) HandleIQ(_ context.Context, iq *router.IQ) (*stream.Element, error) {
	if err := checkQuery(iq); err != nil {
		return nil, err
	}
	node := iq.Payload.Attr("node")
	if node != "" {
		// The only node is the server's caps node of XEP-0115 §6.2, whose
		// answer is the plain one, for the current 'ver' only.
		if h.target != router.TargetServer || !h.isCapsNode(node) {
			return nil, stanza.NewError(stanza.ItemNotFound, "")
		}
	}
	return h.m.info(h.target, node), nil
}

func (h infoHandler) isCapsNode(node string) bool {
	rest, ok := strings.CutPrefix(node, CapsNode+"#")
	return ok && rest == h.m.Ver()
}

// info builds the disco#info <query/> of target from the registry.
func (m *Module) info(target router.Target, node string) *stream.Element {
	q := stream.NewElement(NSInfo, "query")
	if node != "" {
		q.SetAttr("node", node)
	}
	ids := m.disco.Identities(target)
	slices.SortFunc(ids, func(a, b module.Identity) int {
		return cmp.Or(strings.Compare(a.Category, b.Category), strings.Compare(a.Type, b.Type),
			strings.Compare(a.Name, b.Name))
	})
	for _, id := range ids {
		el := stream.NewElement(NSInfo, "identity", "category", id.Category, "type", id.Type)
		if id.Name != "" {
			el.SetAttr("name", id.Name)
		}
		q.AddChild(el)
	}
	for _, f := range m.disco.Features(target) {
		q.AddChild(stream.NewElement(NSInfo, "feature", "var", f))
	}
	if target == router.TargetServer && m.form != nil {
		q.AddChild(formElement(m.form))
	}
	return q
}

// formElement writes f as an XEP-0004 result form (XEP-0128 §2).
func formElement(f *capsForm) *stream.Element {
	x := stream.NewElement(NSData, "x", "type", "result")
	ft := stream.NewElement(NSData, "field", "var", "FORM_TYPE", "type", "hidden")
	ft.AddChild(stream.NewElement(NSData, "value").AddText(f.Type))
	x.AddChild(ft)
	for _, fd := range f.Fields {
		el := stream.NewElement(NSData, "field", "var", fd.Var, "type", "list-multi")
		for _, v := range fd.Values {
			el.AddChild(stream.NewElement(NSData, "value").AddText(v))
		}
		x.AddChild(el)
	}
	return x
}

// itemsHandler answers disco#items for one target (XEP-0030 §4).
type itemsHandler struct {
	m      *Module
	target router.Target
}

func (h itemsHandler) HandleIQ(_ context.Context, iq *router.IQ) (*stream.Element, error) {
	if err := checkQuery(iq); err != nil {
		return nil, err
	}
	if iq.Payload.Attr("node") != "" {
		return nil, stanza.NewError(stanza.ItemNotFound, "")
	}
	q := stream.NewElement(NSItems, "query")
	switch h.target {
	case router.TargetServer:
		for _, it := range h.m.disco.Items() {
			el := stream.NewElement(NSItems, "item", "jid", it.JID)
			if it.Node != "" {
				el.SetAttr("node", it.Node)
			}
			if it.Name != "" {
				el.SetAttr("name", it.Name)
			}
			q.AddChild(el)
		}
	case router.TargetAccount:
		// A user's available resources are theirs to know: anyone else
		// gets an empty list, which tells nothing about presence.
		if !iq.From.Bare().Equal(iq.To) {
			break
		}
		var full []string
		for _, r := range h.m.router.Resources(iq.To) {
			if r.Available {
				full = append(full, r.JID.String())
			}
		}
		slices.Sort(full)
		for _, j := range full {
			q.AddChild(stream.NewElement(NSItems, "item", "jid", j))
		}
	}
	return q, nil
}
