package stream_test

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/meerkat-xmpp/meerkat/stream"
)

func ExampleDecoder() {
	in := `<?xml version='1.0'?>` +
		`<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>` +
		`<message to='juliet@example.com' id='m1'><body>Wherefore art thou?</body></message>` +
		"\n" + // a white space keepalive
		`<message><!-- not allowed --></message>`
	dec := stream.NewDecoder(strings.NewReader(in), stream.DefaultLimits())
	for {
		tok, err := dec.Next()
		var se *stream.Error
		switch {
		case errors.As(err, &se):
			fmt.Println("stream error:", se.Condition)
			return
		case err == io.EOF:
			return
		case err != nil:
			fmt.Println("connection:", err)
			return
		}
		switch tok.Kind {
		case stream.KindStreamStart:
			fmt.Println("header to", tok.Elem.Attr("to"), "content namespace", tok.DefaultNS)
		case stream.KindStanza:
			fmt.Printf("{%s}%s: %q\n", tok.Elem.Space, tok.Elem.Local, tok.Elem.ChildText(stream.NSClient, "body"))
		}
	}
	// Output:
	// header to example.com content namespace jabber:client
	// {jabber:client}message: "Wherefore art thou?"
	// stream error: restricted-xml
}

func ExampleElement_AppendXML() {
	msg := stream.NewElement(stream.NSClient, "message", "to", "juliet@example.com", "id", `a'b`)
	msg.AddChild(stream.NewElement(stream.NSClient, "body").AddText("1 < 2"))
	msg.AddChild(stream.NewElement("http://jabber.org/protocol/chatstates", "active"))

	buf := make([]byte, 0, 512) // reuse it for every stanza
	buf = msg.AppendXML(buf, stream.NSClient)
	fmt.Println(string(buf))
	// Output:
	// <message to='juliet@example.com' id='a&apos;b'><body>1 &lt; 2</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>
}

func ExampleAppendStreamHeader() {
	b := stream.AppendStreamHeader(nil, stream.StreamHeader{
		NS: stream.NSClient, ID: "c2s-1", From: "example.com", Version: "1.0", Lang: "en",
	})
	fmt.Println(string(b))
	// Output:
	// <?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='c2s-1' from='example.com' version='1.0' xml:lang='en'>
}

func ExampleDecodeElement() {
	// A WebSocket frame (RFC 7395) carries its own namespace declaration.
	e, err := stream.DecodeElement([]byte(`<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.com' version='1.0'/>`),
		stream.DefaultLimits(), "")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(e.Is(stream.NSFraming, "open"), e.Attr("to"))
	// Output:
	// true example.com
}
