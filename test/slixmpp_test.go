package test

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meerkat-xmpp/meerkat/internal/testpg"
)

const debianPython = "/usr/bin/python3"

// haveSlixmpp runs Python isolated (-I): from this folder a plain
// "import slixmpp" would find the slixmpp/ folder of test scripts as a
// namespace package and report the library present when it is not.
func haveSlixmpp() bool {
	return exec.Command(debianPython, "-I", "-c", "import slixmpp; slixmpp.ClientXMPP").Run() == nil
}

// TestSlixmppChat: Debian's python3-slixmpp logs two users in over STARTTLS
// with SCRAM-SHA-256 and they exchange a message each way.
func TestSlixmppChat(t *testing.T) {
	need(t, "python3-slixmpp ("+debianPython+")", haveSlixmpp())
	s := startMeerkat(t, "s3cret-pass", "romeo@localhost", "juliet@localhost")
	out, err := runWithTimeout(t, 60*time.Second, debianPython, "slixmpp/chat.py",
		"127.0.0.1", strconv.Itoa(s.c2s), "s3cret-pass", "romeo@localhost", "juliet@localhost")
	if err != nil || !strings.Contains(out, "OK") {
		t.Fatalf("slixmpp chat failed: %v\n%s", err, out)
	}
}

// TestSlixmppIM: roster add, subscription approval, presence on both
// sides, an offline message delivered at login and a vCard round trip, all
// driven by python3-slixmpp against the default module set.
func TestSlixmppIM(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			need(t, "python3-slixmpp ("+debianPython+")", haveSlixmpp())
			extra := ""
			if backend == "postgres" {
				extra = fmt.Sprintf("\n[storage]\nbackend = \"postgres\"\n\n[storage.postgres]\ndsn = %q\n", testpg.DSN(t))
			}
			slixmppIM(t, startMeerkatWith(t, extra, "s3cret-pass", "romeo@localhost", "juliet@localhost"))
		})
	}
}

func slixmppIM(t *testing.T, s *server) {
	out, err := runWithTimeout(t, 90*time.Second, debianPython, "slixmpp/im.py",
		"127.0.0.1", strconv.Itoa(s.c2s), "s3cret-pass", "romeo@localhost", "juliet@localhost")
	if err != nil || !strings.Contains(out, "OK") {
		t.Fatalf("slixmpp IM failed: %v\n%s", err, out)
	}
}

// TestSlixmppMUC: python3-slixmpp's xep_0045 plugin creates an instant room
// on the default conference.localhost service, a second client joins with
// two stanzas of history, and both send and receive groupchat messages.
func TestSlixmppMUC(t *testing.T) {
	need(t, "python3-slixmpp ("+debianPython+")", haveSlixmpp())
	s := startMeerkat(t, "s3cret-pass", "romeo@localhost", "juliet@localhost")
	out, err := runWithTimeout(t, 60*time.Second, debianPython, "slixmpp/muc.py",
		"127.0.0.1", strconv.Itoa(s.c2s), "s3cret-pass", "romeo@localhost", "juliet@localhost", "verona@conference.localhost")
	if err != nil || !strings.Contains(out, "OK") {
		t.Fatalf("slixmpp MUC failed: %v\n%s", err, out)
	}
}
