package router

import "github.com/meerkat-xmpp/meerkat/stream"

// FeatureFunc appends stream feature elements to dst. It is called for
// every stream header, so it must be cheap (cache what it computes).
type FeatureFunc func(dst []byte) []byte

// AddStreamFeature adds features offered after authentication, next to
// <bind/> (XEP-0115 caps, stream management, ...).
func (r *Router) AddStreamFeature(f FeatureFunc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.features = append(r.features, f)
}

// AddPreAuthStreamFeature adds features offered before authentication,
// next to <mechanisms/> (XEP-0077's register feature).
func (r *Router) AddPreAuthStreamFeature(f FeatureFunc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.preAuthFeatures = append(r.preAuthFeatures, f)
}

// AppendStreamFeatures appends the module-contributed features to dst;
// preAuth selects the ones offered before authentication.
func (r *Router) AppendStreamFeatures(dst []byte, preAuth bool) []byte {
	r.mu.RLock()
	fs := r.features
	if preAuth {
		fs = r.preAuthFeatures
	}
	r.mu.RUnlock()
	for _, f := range fs {
		dst = f(dst)
	}
	return dst
}

// StaticFeature returns a FeatureFunc that appends el.
func StaticFeature(el *stream.Element) FeatureFunc {
	b := el.AppendXML(nil, stream.NSClient)
	return func(dst []byte) []byte { return append(dst, b...) }
}
