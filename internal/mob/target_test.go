package mob

import (
	"context"
	"errors"
	"testing"
)

func TestCheckTargetRefusesRemote(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		host    string
		allow   bool
		refused bool
	}{
		{"127.0.0.1", false, false},
		{"127.0.0.42", false, false},
		{"::1", false, false},
		{"[::1]", false, false},
		{"localhost", false, false},
		{"192.0.2.1", false, true},
		{"10.0.0.1", false, true},
		{"::ffff:192.0.2.1", false, true},
		{"2001:db8::1", false, true},
		{"192.0.2.1", true, false},
	} {
		err := CheckTarget(ctx, nil, tc.host, tc.allow)
		if tc.refused != errors.Is(err, ErrRemote) {
			t.Errorf("%s (allow %v): %v", tc.host, tc.allow, err)
		}
		if !tc.refused && err != nil {
			t.Errorf("%s: %v", tc.host, err)
		}
	}
}

func TestParseSources(t *testing.T) {
	ips, err := ParseSources("127.0.0.1-127.0.0.4, 127.0.1.9-10,::1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ip := range ips {
		got = append(got, ip.String())
	}
	want := "127.0.0.1 127.0.0.2 127.0.0.3 127.0.0.4 127.0.1.9 127.0.1.10 ::1"
	if s := join(got); s != want {
		t.Fatalf("got %s", s)
	}
	for _, bad := range []string{"127.0.0.5-127.0.0.1", "x", "127.0.0.1-::2"} {
		if _, err := ParseSources(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}
