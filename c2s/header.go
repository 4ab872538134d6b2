package c2s

import (
	"strings"

	"github.com/meerkat-xmpp/meerkat/stream"
)

// handleHeader checks an initial stream header (RFC 6120 §4.7) and answers
// with ours and the stream features for the current state.
func (s *session) handleHeader(tok stream.Token) error {
	h := tok.Elem
	s.host = strings.ToLower(h.Attr("to"))
	if l := h.AttrNS(stream.NSXML, "lang"); l != "" && len(l) <= 35 {
		s.lang = l
	}
	if h.Local != "stream" || h.Space != stream.NSStream {
		return stream.E(stream.InvalidNamespace, "")
	}
	if tok.DefaultNS != stream.NSClient {
		return stream.E(stream.InvalidNamespace, "content namespace must be jabber:client")
	}
	if !s.srv.router.IsLocal(s.host) {
		host := s.host
		s.host = ""
		if host == "" {
			return stream.E(stream.HostUnknown, "no 'to' in the stream header")
		}
		return stream.E(stream.HostUnknown, "")
	}
	if v := h.Attr("version"); !versionOK(v) {
		return stream.E(stream.UnsupportedVersion, "")
	}
	if f := h.Attr("from"); f != "" {
		if _, err := s.srv.router.JIDs().Parse(f); err != nil {
			return stream.E(stream.InvalidFrom, "")
		}
	}
	b := s.srv.pool.get()
	b = s.header(b, s.host)
	s.headerSent = true
	b = s.features(b)
	s.sendRaw(b)
	s.srv.pool.put(b)
	switch {
	case s.username != "":
		s.state = stateBind
	case !s.tls && s.lis.cfg.Mode == ModeStartTLS && s.lis.cfg.StartTLSRequired:
		s.state = stateNeedTLS
	default:
		s.state = stateAuth
	}
	return nil
}

// versionOK accepts major version 1 (RFC 6120 §4.7.5). A missing version
// means a pre-XMPP 1.0 client, which we do not serve.
func versionOK(v string) bool {
	major, minor, ok := strings.Cut(v, ".")
	if !ok || major == "" || minor == "" {
		return false
	}
	for _, c := range major + minor {
		if c < '0' || c > '9' {
			return false
		}
	}
	return strings.TrimLeft(major, "0") == "1"
}

func (s *session) header(b []byte, host string) []byte {
	return stream.AppendStreamHeader(b, stream.StreamHeader{
		NS: stream.NSClient, ID: s.id, From: host, Version: "1.0", Lang: "en",
	})
}

// features appends <stream:features> for the state the session is in.
func (s *session) features(b []byte) []byte {
	b = append(b, "<stream:features>"...)
	switch {
	case s.username != "":
		b = append(b, "<bind xmlns='"+stream.NSBind+"'/>"...)
		if s.lis.cfg.LegacySession {
			b = append(b, "<session xmlns='"+stream.NSSession+"'><optional/></session>"...)
		}
		b = s.srv.router.AppendStreamFeatures(b, false)
	default:
		offerTLS := !s.tls && s.lis.cfg.Mode == ModeStartTLS && s.srv.tls != nil
		if offerTLS {
			b = append(b, "<starttls xmlns='"+stream.NSTLS+"'>"...)
			if s.lis.cfg.StartTLSRequired {
				b = append(b, "<required/>"...)
			}
			b = append(b, "</starttls>"...)
		}
		if !offerTLS || !s.lis.cfg.StartTLSRequired {
			ci := s.connInfo()
			b = append(b, "<mechanisms xmlns='"+stream.NSSASL+"'>"...)
			for _, m := range s.srv.auth.Mechanisms(ci) {
				b = append(b, "<mechanism>"...)
				b = stream.EscapeText(b, m)
				b = append(b, "</mechanism>"...)
			}
			b = append(b, "</mechanisms>"...)
			if cbs := s.srv.auth.ChannelBindingTypes(ci); len(cbs) > 0 {
				// XEP-0440: tell clients which channel bindings -PLUS can use.
				b = append(b, "<sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'>"...)
				for _, t := range cbs {
					b = append(b, "<channel-binding type='"...)
					b = stream.EscapeAttr(b, t)
					b = append(b, "'/>"...)
				}
				b = append(b, "</sasl-channel-binding>"...)
			}
			b = s.srv.router.AppendStreamFeatures(b, true)
		}
	}
	return append(b, "</stream:features>"...)
}
