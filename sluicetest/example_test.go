package sluicetest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/sluicetest"
)

// A test of code that talks to Sluice starts a real server, uses its
// client (or its URL, for code that builds its own) and lets the test's
// cleanup stop it.
func ExampleNewServer() {
	testSignup := func(t *testing.T) {
		srv := sluicetest.NewServer(t)
		ctx := context.Background()
		if _, err := srv.Client.CreateQueue(ctx, sluice.QueueConfig{Name: "emails"}); err != nil {
			t.Fatal(err)
		}

		// The code under test would send here, given srv.URL.
		if _, err := srv.Client.Send(ctx, "emails", sluice.SendInput{Body: []byte("welcome")}); err != nil {
			t.Fatal(err)
		}

		msgs, err := srv.Client.Receive(ctx, "emails", sluice.ReceiveOptions{Max: 10})
		if err != nil || len(msgs) != 1 {
			t.Fatalf("Receive() = %v, %v; want the welcome email", msgs, err)
		}
		fmt.Println(string(msgs[0].Body))
	}
	_ = testSignup // a func(*testing.T): run it as a test with t.Run
}
