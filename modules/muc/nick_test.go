package muc

import "testing"

func TestEnforceNick(t *testing.T) {
	for _, tc := range []struct {
		in, want string // want "" for refused
	}{
		{"Alice", "Alice"},
		{"  Carol   Ann ", "Carol Ann"},
		{"a\u00a0b", "a b"},                      // no-break space is a space
		{"ＤＡＶＥ", "DAVE"},                         // fullwidth, NFKC
		{"Ⅳ", "IV"},                              // compatibility decomposition
		{"Ünï Cödé", "Ünï Cödé"},                 // case is kept; only comparison folds it
		{"   ", ""},                              // empty after trimming
		{"x\u200by", ""},                         // zero-width space is disallowed
		{"bell\u0007", ""},                       // control character
		{"\U0001F600 smile", "\U0001F600 smile"}, // symbols are fine
	} {
		got, e := enforceNick(tc.in)
		switch {
		case tc.want == "" && e == nil:
			t.Errorf("enforceNick(%q) = %q, want refused", tc.in, got)
		case tc.want != "" && (e != nil || got != tc.want):
			t.Errorf("enforceNick(%q) = %q, %v; want %q", tc.in, got, e, tc.want)
		case e != nil && e.Condition != "jid-malformed":
			t.Errorf("enforceNick(%q) error %v, want jid-malformed", tc.in, e)
		}
	}
}

func TestNickKey(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"Alice", "alice", true},
		{"Alice", "ALICE", true},
		{"Straße", "STRASSE", false}, // RFC 8266 folds with toLower, not full case folding
		{"Bob", "Bobby", false},
		{"ＤＡＶＥ", "dave", true},
	} {
		if got := nickKey(tc.a) == nickKey(tc.b); got != tc.same {
			t.Errorf("nickKey(%q) == nickKey(%q) is %v, want %v", tc.a, tc.b, got, tc.same)
		}
	}
}
