package stream

import (
	"errors"
	"fmt"
	"io"
)

// Limits bound what one peer can make us hold. A zero or negative field
// means the default.
type Limits struct {
	MaxStanzaBytes int // bytes of one top-level element (and of the stream header)
	MaxDepth       int // nesting depth, the top-level element counting as 1
	MaxAttrs       int // attributes per element, namespace declarations included
}

// DefaultLimits returns 64 KiB per stanza, a depth of 32 and 64
// attributes per element.
func DefaultLimits() Limits {
	return Limits{MaxStanzaBytes: 64 << 10, MaxDepth: 32, MaxAttrs: 64}
}

// normalize replaces unset fields by the defaults.
func (l Limits) normalize() Limits {
	def := DefaultLimits()
	if l.MaxStanzaBytes <= 0 {
		l.MaxStanzaBytes = def.MaxStanzaBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = def.MaxDepth
	}
	if l.MaxAttrs <= 0 {
		l.MaxAttrs = def.MaxAttrs
	}
	return l
}

// Kind says what a Token holds.
type Kind int

// The kinds of Token. The zero Kind is not a valid token.
const (
	KindStreamStart Kind = iota + 1 // the stream header, <stream:stream ...>
	KindStanza                      // one complete top-level element
	KindStreamEnd                   // the stream's end tag, </stream:stream>
)

// String returns the kind's name, for logs.
func (k Kind) String() string {
	switch k {
	case KindStreamStart:
		return "stream-start"
	case KindStanza:
		return "stanza"
	case KindStreamEnd:
		return "stream-end"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Token is one unit of a stream as returned by Decoder.Next.
//
// For KindStreamStart, Elem is the stream header: its name, namespace and
// attributes, without children (namespace declarations are not attributes;
// see DefaultNS). For KindStanza, Elem is the whole top-level element. For
// KindStreamEnd, Elem is nil. The caller owns Elem: the decoder never
// touches a returned tree again.
type Token struct {
	Kind Kind
	Elem *Element
	// DefaultNS is the default namespace declared on the stream header
	// (jabber:client, jabber:server, jabber:component:accept, ...), the
	// namespace of unprefixed stanzas. It is set on every token.
	DefaultNS string
}

const (
	stateHeader  = iota // before the stream header
	stateContent        // inside the stream
	stateClosing        // the header was <x/>: the stream end comes next
	stateEnded          // after the stream end
)

const (
	frameHeader = iota
	frameStanza
	frameEnd
)

// Decoder reads an XMPP stream (RFC 6120 §4) and returns its header, each
// top-level element as one tree, and its end. It is not safe for
// concurrent use.
type Decoder struct {
	rd   io.Reader
	lim  Limits
	buf  []byte
	r, w int   // unread input is buf[r:w]
	rerr error // reader error held back until the bytes before it are used
	err  error // the protocol error that ended the stream; returned again

	state     uint8
	atStart   bool // nothing of this stream consumed: a BOM or XML declaration may come
	bomDone   bool // a byte order mark was skipped
	inFrame   bool // fr holds a partly read element of kind frameKind at buf[r:]
	frameKind uint8
	fr        framer
	p         parser
	hdrName   string // the header's qualified name, matched by the end tag
	defNS     string

	parsed int // bytes of the element in progress the parser last saw

	grow  bool // the last read filled the buffer
	short int  // short reads in a row
}

// NewDecoder returns a decoder reading the stream from r within lim.
func NewDecoder(r io.Reader, lim Limits) *Decoder {
	d := &Decoder{rd: r, atStart: true}
	d.SetLimits(lim)
	d.p.resetScope("")
	return d
}

// SetLimits changes the limits; they apply from the next byte scanned.
func (d *Decoder) SetLimits(lim Limits) {
	d.lim = lim.normalize()
	d.p.lim = d.lim
}

// Reset starts over on r, as for a stream restart after STARTTLS or SASL
// (RFC 6120 §5.4.3.3, §6.4.6): the next token is a new stream header. All
// state is dropped, including bytes read but not yet decoded, which the
// peer was not allowed to send before the restart.
func (d *Decoder) Reset(r io.Reader) {
	d.rd = r
	d.r, d.w = 0, 0
	d.rerr, d.err = nil, nil
	d.state = stateHeader
	d.atStart, d.bomDone = true, false
	d.inFrame = false
	d.fr = framer{}
	d.p.resetScope("")
	d.hdrName, d.defNS = "", ""
}

// Next returns the next token. Errors are *Error values naming the stream
// error condition to send (not-well-formed, restricted-xml,
// policy-violation, ...), after which the decoder returns the same error
// until Reset; io.EOF when the reader ends between tokens; or the reader's
// error wrapped (io.ErrUnexpectedEOF inside a token). After a reader error
// such as a deadline, Next may be called again and resumes where it
// stopped.
func (d *Decoder) Next() (Token, error) {
	if d.err != nil {
		return Token{}, d.err
	}
	var tok Token
	var err error
	switch d.state {
	case stateHeader:
		tok, err = d.header()
	case stateContent:
		tok, err = d.content()
	case stateClosing:
		d.state = stateEnded
		return Token{Kind: KindStreamEnd, DefaultNS: d.defNS}, nil
	default:
		return Token{}, io.EOF
	}
	if err != nil {
		if _, ok := err.(*Error); ok {
			d.err = err
			d.inFrame = false
		}
		return Token{}, err
	}
	return tok, nil
}

// header reads the prolog and the stream header.
func (d *Decoder) header() (Token, error) {
	for !d.inFrame {
		avail := d.buf[d.r:d.w]
		if len(avail) == 0 {
			if err := d.more(true); err != nil {
				return Token{}, err
			}
			continue
		}
		if d.atStart {
			done, err := d.prolog(avail)
			if err != nil {
				return Token{}, err
			}
			if !done {
				if err := d.more(false); err != nil {
					return Token{}, err
				}
			}
			continue
		}
		if isSpace(avail[0]) {
			d.r++
			continue
		}
		if avail[0] != '<' {
			return Token{}, errNotWellFormed("character data before the stream header")
		}
		if len(avail) < 3 {
			if err := d.more(false); err != nil {
				return Token{}, err
			}
			continue
		}
		switch avail[1] {
		case '?':
			return Token{}, errRestricted("processing instruction")
		case '!':
			return Token{}, markupDeclError(avail[:3])
		case '/':
			return Token{}, errNotWellFormed("end tag before the stream header")
		}
		break
	}

	d.frameKind = frameHeader
	p := &d.p
	p.resetScope("")
	size, err := d.element(true)
	if err != nil {
		return Token{}, err
	}
	raw := make([]byte, size)
	copy(raw, d.buf[d.r:d.r+size])
	d.r += size
	e := p.build(raw)
	p.keepScope(raw)
	name := p.xe[0].qname(0)
	d.hdrName = unsafeString(&raw[name.off], int(name.n))
	p.done()
	d.defNS = p.ns[p.defNS].uri
	d.state = stateContent
	if p.hdrSelf {
		d.state = stateClosing
	}
	return Token{Kind: KindStreamStart, Elem: e, DefaultNS: d.defNS}, nil
}

// element parses the element (or with header set, the start tag) at
// buf[r:], reading more input as needed, and returns its length.
//
// It first parses what is buffered. If that is not the whole element, the
// framer watches the input for the element's end, and the parse is
// repeated once it is complete. Every error the parser reports depends
// only on the bytes before it, and whenever the framer stops with an error
// or the input ends, the parser has the last word on what is buffered. So
// a stream gives the same tokens and the same error however its bytes are
// split into reads. While waiting, the parser also runs each time the
// element doubles, so that garbage is refused early at a linear cost.
func (d *Decoder) element(header bool) (int, error) {
	if !d.inFrame {
		avail := d.avail()
		size, err := d.p.parse(avail, header)
		if err != errIncomplete {
			return size, err
		}
		if len(avail) > d.lim.MaxStanzaBytes {
			return 0, errPolicy("stanza too large")
		}
		d.fr.reset(header)
		d.inFrame = true
		d.parsed = len(avail)
	}
	for {
		data := d.avail()
		size, err := d.fr.advance(data, &d.lim)
		if size > 0 {
			d.inFrame = false
			size, err = d.p.parse(data[:size], header)
			if err == errIncomplete {
				err = errNotWellFormed("unexpected end of element")
			}
			return size, err
		}
		if err != nil {
			d.inFrame = false
			return 0, d.explain(data, header, err)
		}
		if len(data) >= 2*d.parsed {
			d.parsed = len(data)
			if size, err := d.p.parse(data, header); err != errIncomplete {
				d.inFrame = false
				return size, err
			}
		}
		if err := d.more(false); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				d.inFrame = false
				return 0, d.explain(d.avail(), header, err)
			}
			return 0, err
		}
	}
}

// explain returns the parser's error for data, an element that cannot be
// completed, or else err.
func (d *Decoder) explain(data []byte, header bool, err error) error {
	if _, perr := d.p.parse(data, header); perr != nil && perr != errIncomplete {
		return perr
	}
	return err
}

// content reads the next top-level element or the stream's end.
func (d *Decoder) content() (Token, error) {
	for !d.inFrame {
		for d.r < d.w && isSpace(d.buf[d.r]) {
			d.r++
		}
		avail := d.buf[d.r:d.w]
		if len(avail) < 3 {
			if len(avail) > 0 && avail[0] != '<' {
				return Token{}, errNotWellFormed("character data between stanzas")
			}
			if len(avail) < 2 || avail[1] == '!' {
				if err := d.more(len(avail) == 0); err != nil {
					return Token{}, err
				}
				continue
			}
		}
		if avail[0] != '<' {
			return Token{}, errNotWellFormed("character data between stanzas")
		}
		switch avail[1] {
		case '/':
			d.fr.reset(false)
			d.fr.pos = 2
			d.frameKind = frameEnd
			d.inFrame = true
		case '?':
			return Token{}, errRestricted("processing instruction")
		case '!':
			return Token{}, markupDeclError(avail[:3])
		default:
			d.frameKind = frameStanza
			return d.stanza()
		}
	}
	if d.frameKind == frameStanza {
		return d.stanza()
	}
	for {
		size, err := d.endTag(d.avail())
		if err != nil {
			d.inFrame = false
			return Token{}, err
		}
		if size > 0 {
			d.inFrame = false
			d.r += size
			d.state = stateEnded
			return Token{Kind: KindStreamEnd, DefaultNS: d.defNS}, nil
		}
		if err := d.more(false); err != nil {
			return Token{}, err
		}
	}
}

// endTag scans the stream's end tag at data[0], resuming at fr.pos, and
// returns its length, or 0 if more input is needed.
func (d *Decoder) endTag(data []byte) (int, error) {
	pos := d.fr.pos
	name := d.hdrName
	for ; pos < len(data); pos++ {
		c := data[pos]
		if k := pos - 2; k < len(name) {
			if c != name[k] {
				return 0, errNotWellFormed("mismatched stream end tag")
			}
			continue
		}
		if c == '>' {
			return pos + 1, nil
		}
		if !isSpace(c) {
			return 0, errNotWellFormed("mismatched stream end tag")
		}
	}
	d.fr.pos = pos
	if len(data) > d.lim.MaxStanzaBytes {
		return 0, errPolicy("end tag too large")
	}
	return 0, nil
}

// stanza reads the top-level element at buf[r:].
func (d *Decoder) stanza() (Token, error) {
	size, err := d.element(false)
	if err != nil {
		d.p.done()
		return Token{}, err
	}
	raw := make([]byte, size)
	copy(raw, d.buf[d.r:d.r+size])
	d.r += size
	e := d.p.build(raw)
	d.p.done()
	return Token{Kind: KindStanza, Elem: e, DefaultNS: d.defNS}, nil
}
