// Package stream is Meerkat's XML stream layer: it turns the bytes of an
// XMPP stream (RFC 6120 §4) into one element tree per top-level element,
// and trees back into bytes. Every connection reads through it, so it is
// written for speed: a typical 250-byte message decodes with two
// allocations in about 1.5 µs on a small shared machine, and writes out
// with none (docs/BENCHMARKS.md).
//
// # Decoding
//
// A Decoder reads a stream and returns Tokens: the stream header
// (KindStreamStart) as soon as its start tag is complete, then each
// top-level element as one complete tree (KindStanza), then the stream's
// end tag (KindStreamEnd). White space between top-level elements (the
// keepalives of RFC 6120 §4.6.1) is skipped. After STARTTLS or SASL the
// session calls Reset and the next token is the new header.
//
//	dec := stream.NewDecoder(conn, stream.DefaultLimits())
//	for {
//		tok, err := dec.Next()
//		if err != nil {
//			// *stream.Error: send <stream:error/> with its condition;
//			// anything else: the connection is gone.
//		}
//		...
//	}
//
// DecodeElement parses one standalone element: a WebSocket frame
// (RFC 7395), a BOSH body (XEP-0124), a test fixture.
//
// # One buffer per stanza
//
// The decoder reads into a buffer that starts at 512 bytes, doubles while
// reads fill it, grows further only to hold one large stanza, and halves
// again after a run of short reads; Release drops it when a session goes
// idle. It parses straight from that buffer without writing to it. When a
// stanza is complete, its bytes are copied once into a fresh []byte that
// is never reused, and every name, attribute value and text of the tree is
// a string pointing into that copy (no copying per string). Text and
// values that held references or CDATA sections are unescaped in place in
// the copy. The elements, attributes and children of a small tree come
// from one allocation. So the stanza costs two allocations, the bytes and
// the tree, and the parse itself allocates nothing: namespace scopes and
// the parser's tables are reused from one stanza to the next.
//
// The catch: any string taken from a tree keeps the whole stanza's bytes
// alive. Code that keeps a small piece for long (a roster name, a cached
// id) should copy it with strings.Clone.
//
// A tree returned by the decoder belongs to the caller: the decoder never
// touches it again. Its attribute and child slices have no spare capacity,
// so appending to one copies it and never overwrites a neighbour.
//
// # Limits
//
// Limits bound what one peer can make us hold: the bytes of one top-level
// element (and of the stream header), the nesting depth and the
// attributes per element. The decoder checks size and depth while the
// element is still arriving, so it never buffers more than
// MaxStanzaBytes+1 bytes of it; exceeding a limit is a policy-violation
// stream error. Input split at any byte boundaries decodes to the same
// tokens and the same error, and a peer trickling bytes costs linear time.
//
// # Restricted XML
//
// RFC 6120 §11 restricts what a stream may contain. The decoder refuses
// with restricted-xml: comments, processing instructions (the XML
// declaration is allowed only at the very start of a stream), DTDs and any
// entity reference other than the five predefined ones (&lt; &gt; &amp;
// &apos; &quot;). Character references and CDATA sections are accepted;
// CDATA is plain text in the tree, merged with the text around it.
// Anything not well-formed XML 1.0 with namespaces (mismatched tags,
// duplicate attributes, invalid UTF-8, characters XML forbids, text
// outside elements) is not-well-formed; an XML declaration naming another
// encoding than UTF-8 is unsupported-encoding. Line ends and attribute
// white space are normalized as XML 1.0 §2.11 and §3.3.3 say.
//
// # Namespaces
//
// Names are resolved: Element.Space and Attr.Space hold namespace URIs and
// prefixes are not kept. The stream header's declarations (its default
// namespace, reported as Token.DefaultNS, and the stream prefix, whatever
// it is) stay in scope for every stanza; declarations inside a stanza
// apply to it alone. xmlns attributes are consumed, never kept in Attrs.
// The xml prefix is always bound to NSXML; an unprefixed attribute has no
// namespace. An undeclared prefix is bad-namespace-prefix.
//
// # Encoding
//
// Element.AppendXML writes a tree into a caller's buffer without
// allocating. It declares a default namespace only where an element's
// namespace differs from its parent's (or from the stream's, for a
// stanza), so a tree read from one stream can be written to any other.
// Text and attribute values are always escaped (attributes in single
// quotes, with \t \n \r as character references so they survive
// normalization), and characters XML cannot carry are replaced, so the
// output is well-formed whatever the tree holds. EscapeText and EscapeAttr
// are the same escaping for hand-written XML, and AppendStreamHeader
// writes our side's stream header.
//
// # Errors
//
// Protocol errors are *Error values carrying the stream error condition
// to send (RFC 6120 §4.9.3); errors.Is(err, &Error{Condition: c}) matches
// a condition. Reader errors are returned wrapped.
package stream
