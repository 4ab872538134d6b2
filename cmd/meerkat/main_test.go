package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCmd runs the CLI in-process and returns exit code, stdout and stderr.
func runCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "meerkat.toml")
	body = strings.ReplaceAll(body, "DATA", filepath.Join(dir, "data"))
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCLIExitCodes(t *testing.T) {
	bad := writeConfig(t, "[general]\nhosts = [\"localhost\"]\n\n[[listen.c2s]]\naddress = \":5222\"\nmode = \"tls-please\"\n")
	unknownKey := writeConfig(t, "[general]\nhostz = [\"x\"]\n")
	badModule := writeConfig(t, "[modules.roster]\nmax_itemz = 3\n")
	unknownModule := writeConfig(t, "[modules.pnig]\n")
	apiNoCreds := writeConfig(t, "[api]\nenabled = true\n")
	apiMissingFile := writeConfig(t, "[general]\ndata_dir = \"DATA\"\n\n[[listen.c2s]]\naddress = \"127.0.0.1:0\"\n\n[listen.http]\naddress = \"127.0.0.1:0\"\n\n[api]\nenabled = true\ntoken_file = \"/nonexistent/tokens\"\n")
	cases := []struct {
		name     string
		args     []string
		code     int
		inStderr string
		inStdout string
	}{
		{"no args", nil, exitUsage, "Usage", ""},
		{"unknown command", []string{"frobnicate"}, exitUsage, "unknown command", ""},
		{"version", []string{"version"}, 0, "", "meerkat"},
		{"example config", []string{"config", "check", "../../meerkat.toml"}, 0, "", "ok"},
		{"bad value", []string{"config", "check", bad}, exitUsage, bad + ":6: listen.c2s[0].mode", ""},
		{"unknown key", []string{"config", "check", unknownKey}, exitUsage, unknownKey + ":2: general.hostz", ""},
		{"bad module key", []string{"config", "check", badModule}, exitUsage, badModule + ":2: modules.roster.max_itemz", ""},
		{"unknown module", []string{"config", "check", unknownModule}, exitUsage, unknownModule + ":1: modules.pnig", ""},
		{"missing file", []string{"config", "check", "/nonexistent/meerkat.toml"}, exitUsage, "/nonexistent/meerkat.toml", ""},
		{"serve with bad config", []string{"serve", "-config", bad}, exitUsage, ":6: listen.c2s[0].mode", ""},
		{"user without subcommand", []string{"user"}, exitUsage, "want add", ""},
		{"sessions without a server", []string{"sessions", "-api", ""}, exitUsage, "no server", ""},
		{"send without credentials", []string{"send", "-api", "http://127.0.0.1:1", "a@localhost", "hi"}, exitUsage, "no credentials", ""},
		{"send without recipient", []string{"send", "-api", "http://127.0.0.1:1"}, exitUsage, "want a recipient", ""},
		{"user via api with a missing token file", []string{"user", "del", "-api", "http://127.0.0.1:1", "-token-file", "/nonexistent"}, exitUsage, "/nonexistent", ""},
		{"api without credentials", []string{"config", "check", apiNoCreds}, exitUsage, apiNoCreds + ":2: api.enabled", ""},
		{"serve with a missing token file", []string{"serve", "-config", apiMissingFile}, 1, "api.token_file", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCmd(t, "", tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errs)
			}
			if !strings.Contains(errs, tc.inStderr) || !strings.Contains(out, tc.inStdout) {
				t.Fatalf("stdout %q / stderr %q, want %q / %q", out, errs, tc.inStdout, tc.inStderr)
			}
		})
	}
}

func TestUserCommands(t *testing.T) {
	cfg := writeConfig(t, "[general]\nhosts = [\"example.test\", \"other.test\"]\ndata_dir = \"DATA\"\n")
	steps := []struct {
		name  string
		stdin string
		args  []string
		code  int
		out   string
	}{
		{"migrate", "", []string{"migrate", "-config", cfg}, 0, "up to date"},
		{"add", "pw1\n", []string{"user", "add", "-config", cfg, "Alice@example.test"}, 0, "added alice@example.test"},
		{"add bare name on first host", "pw2\n", []string{"user", "add", "-config", cfg, "bob"}, 0, "added bob@example.test"},
		{"add twice", "pw\n", []string{"user", "add", "-config", cfg, "alice@example.test"}, 1, ""},
		{"add unserved host", "pw\n", []string{"user", "add", "-config", cfg, "carol@nowhere.test"}, exitUsage, ""},
		{"add without password", "", []string{"user", "add", "-config", cfg, "dave@example.test"}, 1, ""},
		{"list", "", []string{"user", "list", "-config", cfg}, 0, "alice@example.test\nbob@example.test\n"},
		{"passwd", "new\n", []string{"user", "passwd", "-config", cfg, "alice@example.test"}, 0, "password changed"},
		{"passwd unknown", "new\n", []string{"user", "passwd", "-config", cfg, "zed@example.test"}, 1, ""},
		{"del", "", []string{"user", "del", "-config", cfg, "bob@example.test"}, 0, "deleted bob@example.test"},
		{"del again", "", []string{"user", "del", "-config", cfg, "bob@example.test"}, 1, ""},
		{"list after del", "", []string{"user", "list", "-config", cfg}, 0, "alice@example.test\n"},
	}
	for _, s := range steps {
		code, out, errs := runCmd(t, s.stdin, s.args...)
		exact := strings.HasPrefix(s.name, "list")
		if code != s.code || (s.out != "" && !strings.Contains(out, s.out)) || (exact && out != s.out) {
			t.Fatalf("%s: exit %d (want %d), stdout %q, stderr %q, want stdout containing %q", s.name, code, s.code, out, errs, s.out)
		}
	}
}
