package disco

import (
	"bytes"
	"cmp"
	"crypto/sha1"
	"encoding/base64"
	"slices"
	"strings"
	"sync"

	"github.com/meerkat-xmpp/meerkat/module"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// capsIdentity is a disco identity as XEP-0115 §5 hashes it.
type capsIdentity struct{ Category, Type, Lang, Name string }

// formField is one field of an XEP-0128 extended information form.
type formField struct {
	Var    string
	Values []string
}

// capsForm is an XEP-0128 form as XEP-0115 §5 hashes it: its FORM_TYPE
// and its other fields.
type capsForm struct {
	Type   string
	Fields []formField
}

// appendVerification appends the XEP-0115 §5.1 verification string of
// the given identities, features and forms to dst. The inputs are not
// modified; the sorting the algorithm asks for happens on copies.
func appendVerification(dst []byte, ids []capsIdentity, features []string, forms []capsForm) []byte {
	ids = slices.Clone(ids)
	slices.SortFunc(ids, func(a, b capsIdentity) int {
		return cmp.Or(strings.Compare(a.Category, b.Category), strings.Compare(a.Type, b.Type),
			strings.Compare(a.Lang, b.Lang), strings.Compare(a.Name, b.Name))
	})
	for _, id := range ids {
		dst = append(dst, id.Category...)
		dst = append(dst, '/')
		dst = append(dst, id.Type...)
		dst = append(dst, '/')
		dst = append(dst, id.Lang...)
		dst = append(dst, '/')
		dst = append(dst, id.Name...)
		dst = append(dst, '<')
	}
	if !slices.IsSorted(features) {
		features = slices.Sorted(slices.Values(features))
	}
	for _, f := range features {
		dst = append(dst, f...)
		dst = append(dst, '<')
	}
	forms = slices.Clone(forms)
	slices.SortFunc(forms, func(a, b capsForm) int { return strings.Compare(a.Type, b.Type) })
	for _, f := range forms {
		dst = append(dst, f.Type...)
		dst = append(dst, '<')
		fields := slices.Clone(f.Fields)
		slices.SortFunc(fields, func(a, b formField) int { return strings.Compare(a.Var, b.Var) })
		for _, fd := range fields {
			dst = append(dst, fd.Var...)
			dst = append(dst, '<')
			for _, v := range slices.Sorted(slices.Values(fd.Values)) {
				dst = append(dst, v...)
				dst = append(dst, '<')
			}
		}
	}
	return dst
}

// capsVer is the XEP-0115 'ver' for the verification string s with the
// sha-1 hash (§5.1 step 8).
func capsVer(s []byte) string {
	sum := sha1.Sum(s)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// caps computes the server's XEP-0115 'ver' from the disco registry and
// caches it, with the <c/> stream feature, by the registry's content:
// other modules add features after disco starts, so nothing is computed
// before the first stream asks, and a change shows at the next one.
type caps struct {
	disco *module.Disco
	form  *capsForm // the contact addresses form, nil if none

	mu      sync.Mutex
	s       []byte // the verification string the cache is for
	ver     string
	feature []byte // <c/> serialized for the stream features
}

var verPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// current returns the ver and the serialized <c/> element for the
// registry as it is now.
func (c *caps) current() (string, []byte) {
	bp := verPool.Get().(*[]byte)
	defer verPool.Put(bp)
	*bp = c.verification((*bp)[:0])
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.feature == nil || !bytes.Equal(*bp, c.s) {
		c.s = append(c.s[:0], *bp...)
		c.ver = capsVer(c.s)
		el := stream.NewElement(NSCaps, "c", "hash", "sha-1", "node", CapsNode, "ver", c.ver)
		c.feature = el.AppendXML(nil, stream.NSClient)
	}
	return c.ver, c.feature
}

// verification appends the verification string of the server's
// disco#info as the registry now describes it.
func (c *caps) verification(dst []byte) []byte {
	var forms []capsForm
	if c.form != nil {
		forms = []capsForm{*c.form}
	}
	return appendVerification(dst, capsIdentities(c.disco.Identities(router.TargetServer)),
		c.disco.Features(router.TargetServer), forms)
}

// appendFeature is the router.FeatureFunc offering <c/>.
func (c *caps) appendFeature(dst []byte) []byte {
	_, f := c.current()
	return append(dst, f...)
}

func capsIdentities(ids []module.Identity) []capsIdentity {
	out := make([]capsIdentity, len(ids))
	for i, id := range ids {
		out[i] = capsIdentity{Category: id.Category, Type: id.Type, Name: id.Name}
	}
	return out
}
