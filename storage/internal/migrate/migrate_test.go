package migrate

import (
	"context"
	"errors"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/meerkat-xmpp/meerkat/storage"
)

func TestLoad(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name    string
		files   fstest.MapFS
		want    []int
		wantErr bool
	}{
		{"ordered by number, not name", fstest.MapFS{
			"m/0002_b.sql": file("B"), "m/0001_a.sql": file("A"), "m/0010_c.sql": file("C"),
		}, nil, true}, // 10 leaves a gap
		{"good", fstest.MapFS{
			"m/0002_roster.sql": file("B"), "m/0001_users.sql": file("A"), "m/README.md": file("x"),
		}, []int{1, 2}, false},
		{"empty", fstest.MapFS{"m/.keep": file("")}, nil, false},
		{"gap", fstest.MapFS{"m/0001_a.sql": file("A"), "m/0003_c.sql": file("C")}, nil, true},
		{"duplicate", fstest.MapFS{"m/0001_a.sql": file("A"), "m/1_b.sql": file("B")}, nil, true},
		{"starts at 2", fstest.MapFS{"m/0002_a.sql": file("A")}, nil, true},
		{"no underscore", fstest.MapFS{"m/0001.sql": file("A")}, nil, true},
		{"not a number", fstest.MapFS{"m/one_a.sql": file("A")}, nil, true},
		{"zero", fstest.MapFS{"m/0000_a.sql": file("A")}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ms, err := Load(tc.files, "m")
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			var got []int
			for _, m := range ms {
				got = append(got, m.Version)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("versions = %v, want %v", got, tc.want)
			}
		})
	}
	ms, _ := Load(fstest.MapFS{"m/0001_users.sql": file("CREATE")}, "m")
	if ms[0].Name != "0001_users.sql" || ms[0].SQL != "CREATE" {
		t.Fatalf("got %+v", ms[0])
	}
}

// fake records what Run asks of it.
type fake struct {
	applied []int
	ran     []int
	fail    int // version whose Apply fails
}

func (f *fake) Init(context.Context) error             { return nil }
func (f *fake) Applied(context.Context) ([]int, error) { return slices.Clone(f.applied), nil }
func (f *fake) Apply(_ context.Context, m Migration) error {
	if m.Version == f.fail {
		return errors.New("boom")
	}
	f.ran = append(f.ran, m.Version)
	f.applied = append(f.applied, m.Version)
	return nil
}

func TestRun(t *testing.T) {
	ms := []Migration{{Version: 1, Name: "0001_a.sql"}, {Version: 2, Name: "0002_b.sql"}, {Version: 3, Name: "0003_c.sql"}}
	tests := []struct {
		name    string
		applied []int
		fail    int
		wantRan []int
		wantErr error
	}{
		{"fresh", nil, 0, []int{1, 2, 3}, nil},
		{"older", []int{1}, 0, []int{2, 3}, nil},
		{"current", []int{2, 1, 3}, 0, nil, nil},
		{"hole", []int{1, 3}, 0, []int{2}, nil},
		{"newer", []int{1, 2, 3, 4}, 0, nil, storage.ErrSchemaTooNew},
		{"stops at failure", nil, 2, []int{1}, errors.New("any")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fake{applied: tc.applied, fail: tc.fail}
			err := Run(t.Context(), f, ms)
			switch {
			case tc.wantErr == nil && err != nil:
				t.Fatalf("err = %v", err)
			case tc.wantErr == storage.ErrSchemaTooNew && !errors.Is(err, storage.ErrSchemaTooNew):
				t.Fatalf("err = %v, want storage.ErrSchemaTooNew", err)
			case tc.wantErr != nil && err == nil:
				t.Fatal("no error")
			}
			if !slices.Equal(f.ran, tc.wantRan) {
				t.Fatalf("ran %v, want %v", f.ran, tc.wantRan)
			}
		})
	}
}
