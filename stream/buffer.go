package stream

import (
	"fmt"
	"io"
)

// Buffer sizes. The read buffer starts small, doubles while reads fill it
// (up to maxReadBuf, or further only to hold one large stanza) and halves
// after a run of short reads, so that an idle stream holds little.
const (
	minBuf      = 512
	maxReadBuf  = 64 << 10
	shrinkAfter = 4
	maxDeclLen  = 1024 // bytes of an XML declaration
	maxEmpty    = 100  // reads in a row that return nothing before we give up
)

// Release drops the read buffer and scratch space, for a stream that is
// going idle. Bytes read but not yet decoded are kept in a buffer of their
// size. The next call to Next allocates a small buffer again.
func (d *Decoder) Release() {
	if d.r == d.w {
		d.buf = nil
	} else {
		d.buf = append([]byte(nil), d.buf[d.r:d.w]...)
	}
	d.w -= d.r
	d.r = 0
	d.grow, d.short = false, 0
	p := &d.p
	p.xe, p.xa, p.xk, p.stack, p.frames = nil, nil, nil, nil, nil
	p.ns = append([]nsEntry(nil), p.ns...)
	p.binds = append([]binding(nil), p.binds...)
}

// Buffered returns the number of bytes read from the reader but not yet
// decoded. A session may check it before STARTTLS: a peer that pipelined
// data after <starttls/> is misbehaving.
func (d *Decoder) Buffered() int { return d.w - d.r }

// more reads more input. clean says whether the stream is between tokens,
// where the end of input is a plain io.EOF.
func (d *Decoder) more(clean bool) error {
	err := d.fill()
	if err == nil {
		return nil
	}
	if _, ok := err.(*Error); ok {
		return err
	}
	if err == io.EOF {
		if clean && d.r == d.w {
			return io.EOF
		}
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("stream: reading: %w", err)
}

// fill reads once into the buffer, resizing it first as the policy says.
func (d *Decoder) fill() error {
	if err := d.rerr; err != nil {
		d.rerr = nil
		return err
	}
	if d.rd == nil {
		return io.EOF
	}
	if d.r > 0 {
		copy(d.buf, d.buf[d.r:d.w])
		d.w -= d.r
		d.r = 0
	}
	size := len(d.buf)
	switch {
	case size == 0:
		size = minBuf
	case d.w == size:
		// A partial element fills the buffer.
		size *= 2
		if top := max(maxReadBuf, d.lim.MaxStanzaBytes+1); size > top {
			size = top
		}
		if size <= d.w {
			return errPolicy("stanza too large")
		}
	case d.grow && size < maxReadBuf:
		size *= 2
	case d.short >= shrinkAfter && size > minBuf && d.w <= size/4:
		size /= 2
	}
	size = max(size, minBuf)
	if size != len(d.buf) {
		nb := make([]byte, size)
		copy(nb, d.buf[:d.w])
		d.buf = nb
		d.grow, d.short = false, 0
	}
	free := len(d.buf) - d.w
	for range maxEmpty {
		n, err := d.rd.Read(d.buf[d.w:])
		if n < 0 || n > free {
			return fmt.Errorf("stream: reader returned %d bytes for a %d-byte buffer", n, free)
		}
		d.w += n
		switch {
		case n == free:
			d.grow, d.short = true, 0
		case n < len(d.buf)/2:
			d.grow = false
			d.short++
		default:
			d.grow, d.short = false, 0
		}
		if n > 0 {
			d.rerr = err
			return nil
		}
		if err != nil {
			return err
		}
	}
	return io.ErrNoProgress
}

// avail returns the buffered input, capped at the most an element may use
// plus one byte.
func (d *Decoder) avail() []byte {
	data := d.buf[d.r:d.w]
	if len(data) > d.lim.MaxStanzaBytes+1 {
		data = data[:d.lim.MaxStanzaBytes+1]
	}
	return data
}
