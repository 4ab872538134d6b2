// Package web serves what browsers need from the HTTP listener besides the
// XMPP transports themselves: XEP-0156 discovery (host-meta) of the
// WebSocket and BOSH endpoints, and the demo chat page, whose files are
// embedded so `meerkat serve` needs no npm. The page's JavaScript clients
// are vendored browser bundles of @xmpp/client (WebSocket) and strophe.js
// (BOSH, with session restore across page reloads); test/web pins the same
// versions.
package web

import (
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed demo
var demoFS embed.FS

// Demo returns the demo page's files.
func Demo() fs.FS {
	sub, _ := fs.Sub(demoFS, "demo")
	return sub
}

// Endpoints are the paths of the transports to advertise; an empty path
// is not served.
type Endpoints struct {
	WebSocket string
	BOSH      string
	// IsSecure reports whether a request came over TLS (a trusted proxy's
	// X-Forwarded-Proto included); nil uses r.TLS only.
	IsSecure func(r *http.Request) bool
}

func (e Endpoints) urls(r *http.Request) (ws, bosh string) {
	secure := r.TLS != nil || (e.IsSecure != nil && e.IsSecure(r))
	host := r.Host
	if e.WebSocket != "" {
		ws = "ws://"
		if secure {
			ws = "wss://"
		}
		ws += host + e.WebSocket
	}
	if e.BOSH != "" {
		bosh = "http://"
		if secure {
			bosh = "https://"
		}
		bosh += host + e.BOSH
	}
	return ws, bosh
}

// Relation names of XEP-0156.
const (
	relWebSocket = "urn:xmpp:alt-connections:websocket"
	relBOSH      = "urn:xmpp:alt-connections:xbosh"
)

// HostMeta serves /.well-known/host-meta (XRD) and host-meta.json (JRD),
// built from the request's host and scheme so the links work behind any
// name the server is reached by.
func HostMeta(e Endpoints) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, bosh := e.urls(r)
		w.Header().Set("Access-Control-Allow-Origin", "*") // XEP-0156 §3.2: any page may discover
		if strings.HasSuffix(r.URL.Path, ".json") {
			type link struct {
				Rel  string `json:"rel"`
				Href string `json:"href"`
			}
			doc := struct {
				Links []link `json:"links"`
			}{Links: []link{}}
			if bosh != "" {
				doc.Links = append(doc.Links, link{relBOSH, bosh})
			}
			if ws != "" {
				doc.Links = append(doc.Links, link{relWebSocket, ws})
			}
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(doc)
			return
		}
		var b strings.Builder
		b.WriteString("<?xml version='1.0' encoding='utf-8'?>\n<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>\n")
		for _, l := range [][2]string{{relBOSH, bosh}, {relWebSocket, ws}} {
			if l[1] == "" {
				continue
			}
			b.WriteString("  <Link rel='" + l[0] + "' href='" + xmlAttr(l[1]) + "'/>\n")
		}
		b.WriteString("</XRD>\n")
		w.Header().Set("Content-Type", "application/xrd+xml")
		w.Write([]byte(b.String()))
	})
}

var attrEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "'", "&apos;", "\"", "&quot;")

func xmlAttr(s string) string { return attrEscaper.Replace(s) }

// Register adds the discovery documents and, when demo is set, the demo
// page at "/" to mux.
func Register(mux *http.ServeMux, e Endpoints, demo bool) {
	h := HostMeta(e)
	mux.Handle("GET /.well-known/host-meta", h)
	mux.Handle("GET /.well-known/host-meta.json", h)
	if demo {
		files := http.FileServerFS(Demo())
		mux.Handle("GET /{$}", files)
		mux.Handle("GET /demo/", http.StripPrefix("/demo", files))
	}
}
