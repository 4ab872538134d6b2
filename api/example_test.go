package api_test

import (
	"context"
	"fmt"
	"os"

	"github.com/meerkat-xmpp/meerkat/api"
)

// A backend signs each request with the shared secret; the server checks
// the timestamp window and refuses a signature it has seen.
func ExampleSign() {
	body := []byte(`{"to":"alice@example.com","body":"Your order has shipped"}`)
	fmt.Println(api.HeaderTimestamp+":", 1800000000)
	fmt.Println(api.HeaderSignature+":", api.Sign([]byte("s3cretsecretsecret"), 1800000000, "POST", "/api/v1/messages", body))
	// Output:
	// X-Meerkat-Timestamp: 1800000000
	// X-Meerkat-Signature: sha256=0b68bae9315dd53a2df61cb398fed5c50c8d12ecc0e5e960c0add3f9da316a3f
}

// A Go program sends a message through a running server.
func ExampleClient_SendMessage() {
	c := &api.Client{BaseURL: "http://127.0.0.1:5280", Token: os.Getenv("MEERKAT_API_TOKEN")}
	r, err := c.SendMessage(context.Background(), api.MessageRequest{To: "alice@example.com", Body: "Build 42 passed"})
	if err != nil {
		fmt.Println(err) // an *api.Error carries the stable code
		return
	}
	fmt.Println("sent", r.ID)
}
