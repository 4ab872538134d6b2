package stream

import "bytes"

// The framer finds where one element ends in the bytes read so far, without
// building anything. It is resumable: when the element is incomplete it
// keeps its position, and the next call continues with the longer input, so
// a peer that trickles bytes costs linear time. It enforces the size and
// depth limits before the element is complete, so that a peer cannot make
// us buffer more than MaxStanzaBytes.
//
// The decoder first parses straight from its read buffer; it needs the
// framer only when an element is not complete there. The framer only
// recognizes markup boundaries: the parser checks everything else once the
// element is complete. Both agree on every well-formed input, and on
// malformed input the parser reports the error.

const (
	modeLt    = iota // at a '<'
	modeStart        // inside a start tag
	modeQuote        // inside an attribute value of a start tag
	modeEnd          // inside an end tag
	modeText         // in character data
	modeCDATA        // inside a CDATA section
)

const cdataOpen = "<![CDATA["

type framer struct {
	pos    int // next byte to look at, relative to the element's '<'
	mode   uint8
	quote  byte
	header bool // stop at the end of the first start tag
	depth  int
}

// reset prepares f for an element starting with '<' at offset 0.
func (f *framer) reset(header bool) {
	*f = framer{header: header}
}

// advance scans data, the input from the element's '<' on, capped at
// MaxStanzaBytes+1 bytes. It returns the element's length when complete,
// 0 when more input is needed, or an error.
func (f *framer) advance(data []byte, lim *Limits) (int, error) {
	n := len(data)
	pos := f.pos
	for pos < n {
		switch f.mode {
		case modeText:
			j := bytes.IndexByte(data[pos:], '<')
			if j < 0 {
				pos = n
				continue
			}
			pos += j
			f.mode = modeLt
		case modeLt:
			if pos+1 >= n {
				f.pos = pos
				return 0, f.more(n, lim)
			}
			switch data[pos+1] {
			case '/':
				f.mode = modeEnd
				pos += 2
			case '?':
				return 0, errRestricted("processing instruction")
			case '!':
				m := min(n-pos, len(cdataOpen))
				if string(data[pos:pos+m]) != cdataOpen[:m] {
					return 0, markupDeclError(data[pos : pos+m])
				}
				if m < len(cdataOpen) {
					f.pos = pos
					return 0, f.more(n, lim)
				}
				if f.depth == 0 {
					return 0, errNotWellFormed("character data outside an element")
				}
				f.mode = modeCDATA
				pos += len(cdataOpen)
			default:
				f.depth++
				if f.depth > lim.MaxDepth {
					return 0, errPolicy("elements nested too deep")
				}
				f.mode = modeStart
				pos++
			}
		case modeStart:
		tag:
			for ; pos < n; pos++ {
				switch c := data[pos]; c {
				case '>':
					if data[pos-1] == '/' {
						f.depth--
					}
					pos++
					if f.depth == 0 || f.header {
						return pos, nil
					}
					f.mode = modeText
					break tag
				case '/':
					// Outside quotes, '/' may only end an empty-element tag.
					if pos+1 >= n {
						f.pos = pos
						return 0, f.more(n, lim)
					}
					if data[pos+1] != '>' {
						return 0, errNotWellFormed("'/' in a tag")
					}
				case '"', '\'':
					f.quote = c
					f.mode = modeQuote
					pos++
					break tag
				case '<':
					return 0, errNotWellFormed("'<' in a tag")
				}
			}
		case modeQuote:
			rest := data[pos:]
			j := bytes.IndexByte(rest, f.quote)
			if j >= 0 {
				rest = rest[:j]
			}
			if bytes.IndexByte(rest, '<') >= 0 {
				return 0, errNotWellFormed("'<' in an attribute value")
			}
			if j < 0 {
				pos = n
				continue
			}
			pos += j + 1
			f.mode = modeStart
		case modeEnd:
			j := bytes.IndexByte(data[pos:], '>')
			if j < 0 {
				pos = n
				continue
			}
			pos += j + 1
			f.depth--
			if f.depth <= 0 {
				return pos, nil
			}
			f.mode = modeText
		case modeCDATA:
			j := bytes.Index(data[pos:], []byte("]]>"))
			if j < 0 {
				// Keep the last two bytes: they may begin the terminator.
				pos = max(pos, n-2)
				f.pos = pos
				return 0, f.more(n, lim)
			}
			pos += j + 3
			f.mode = modeText
		}
	}
	f.pos = pos
	return 0, f.more(n, lim)
}

// more reports whether the element may still grow past n bytes.
func (f *framer) more(n int, lim *Limits) error {
	if n > lim.MaxStanzaBytes {
		return errPolicy("stanza too large")
	}
	return nil
}

// markupDeclError classifies "<!" markup that is not a CDATA section: DTD
// declarations and comments are restricted XML, anything else is garbage.
func markupDeclError(b []byte) error {
	if len(b) > 2 && (b[2] == '-' || (b[2] >= 'A' && b[2] <= 'Z')) {
		return errRestricted("comment or DTD")
	}
	return errNotWellFormed("bad '<!' markup")
}
