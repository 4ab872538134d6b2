package auth_test

import (
	"context"
	"fmt"

	"github.com/meerkat-xmpp/meerkat/auth"
	"github.com/meerkat-xmpp/meerkat/auth/scram"
	"github.com/meerkat-xmpp/meerkat/storage"
)

// oneUser is a CredentialSource with a single account.
type oneUser struct {
	name  string
	creds storage.Credentials
}

func (u oneUser) Credentials(_ context.Context, _, name string) (storage.Credentials, error) {
	if name != u.name {
		return storage.Credentials{}, storage.ErrNotFound
	}
	return u.creds, nil
}

// A SCRAM-SHA-256 exchange between the server and the scram client, as a
// c2s session and the load generator would run it.
func Example() {
	creds, _ := auth.DeriveCredentials("wonderland", 4096)
	srv := auth.NewServer(auth.Config{FakeSaltSecret: []byte("keep me secret")}, oneUser{"alice", creds})
	ci := auth.ConnInfo{Host: "example.com"} // no TLS: no -PLUS, no PLAIN
	fmt.Println(srv.Mechanisms(ci))

	client, _ := scram.NewClient(scram.ClientConfig{Hash: scram.SHA256, Username: "alice", Password: "wonderland"})
	ex, _ := srv.Start(client.Mechanism(), ci)
	ctx := context.Background()

	serverFirst, _, _ := ex.Step(ctx, client.First()) // <auth mechanism='SCRAM-SHA-256'>
	clientFinal, _ := client.Final(serverFirst)       // <challenge/> → <response/>
	serverFinal, done, err := ex.Step(ctx, clientFinal)
	if err != nil {
		fmt.Println("failure:", err) // <failure><not-authorized/></failure>
		return
	}
	fmt.Println(done, ex.Username(), client.Verify(serverFinal)) // <success>v=...</success>
	// Output:
	// [SCRAM-SHA-512 SCRAM-SHA-256 SCRAM-SHA-1]
	// true alice <nil>
}
