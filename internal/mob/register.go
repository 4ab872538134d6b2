package mob

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/meerkat-xmpp/meerkat/stream"
)

// ProvisionResult counts what a provisioning pass did.
type ProvisionResult struct {
	Created, Existed, Failed int64
	Seconds                  float64
	FirstError               error
}

// Register creates accounts 0..n-1 of cfg by in-band registration
// (XEP-0077 §3.1) on servers that allow it, at the ramp rate with
// Concurrency connections at a time. An account that exists already
// (conflict) counts as Existed.
func Register(ctx context.Context, cfg *Config, n int) (*ProvisionResult, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r, err := newRun(cfg, "register", false)
	if err != nil {
		return nil, err
	}
	var res ProvisionResult
	var first atomic.Pointer[error]
	t0 := time.Now()
	r.forEach(ctx, n, func(i int) {
		err := register(ctx, &r.params, cfg.Account(i))
		var se *StanzaError
		switch {
		case err == nil:
			atomic.AddInt64(&res.Created, 1)
		case errors.As(err, &se) && se.Condition == "conflict":
			atomic.AddInt64(&res.Existed, 1)
		default:
			atomic.AddInt64(&res.Failed, 1)
			first.CompareAndSwap(nil, &err)
		}
	})
	res.Seconds = time.Since(t0).Seconds()
	if e := first.Load(); e != nil {
		res.FirstError = *e
	}
	return &res, ctx.Err()
}

func register(ctx context.Context, p *loginParams, a Account) error {
	conn, err := p.transport.Dial(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(p.timeout))
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	f, err := conn.Open(a.Domain)
	if err != nil {
		return err
	}
	if p.mode == TLSStartTLS && !conn.Encrypted() {
		if err := conn.Write([]byte("<starttls xmlns='" + stream.NSTLS + "'/>")); err != nil {
			return err
		}
		el, err := conn.Next()
		if err != nil {
			return err
		}
		if !el.Is(stream.NSTLS, "proceed") {
			return fmt.Errorf("starttls: got <%s/>", el.Local)
		}
		if err := conn.StartTLS(); err != nil {
			return err
		}
		if f, err = conn.Open(a.Domain); err != nil {
			return err
		}
	}
	if f.Child("http://jabber.org/features/iq-register", "register") == nil {
		return errors.New("the server does not offer in-band registration")
	}
	var buf []byte
	buf = append(buf, "<iq xmlns='jabber:client' type='set' id='reg'><query xmlns='"+NSRegister+"'><username>"...)
	buf = stream.EscapeText(buf, a.User)
	buf = append(buf, "</username><password>"...)
	buf = stream.EscapeText(buf, a.Password)
	buf = append(buf, "</password></query></iq>"...)
	if err := conn.Write(buf); err != nil {
		return err
	}
	s := &Session{Acct: a, conn: conn}
	_, err = s.expectIQ("reg")
	return err
}
