package nativeapi_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
)

func TestLongPollWakesOnSend(t *testing.T) {
	f := setup(t)
	f.createQueue(t, sluice.QueueConfig{Name: "q"})
	wait := time.Minute
	type result struct {
		msgs []sluice.Message
		err  error
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		msgs, err := f.client.Receive(t.Context(), "q", sluice.ReceiveOptions{WaitTime: &wait})
		done <- result{msgs, err}
	}()
	<-f.receiveStarted
	if _, err := f.client.Send(t.Context(), "q", sluice.SendInput{Body: []byte("wake")}); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.err != nil || len(r.msgs) != 1 || string(r.msgs[0].Body) != "wake" {
			t.Errorf("Receive() = %+v, %v; want the message sent while it waited", r.msgs, r.err)
		}
		if elapsed := time.Since(start); elapsed > 30*time.Second {
			t.Errorf("Receive() took %v, want it to return on the send", elapsed)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Receive() still waiting 30s after a send")
	}
}

func TestLongPollReturnsEmptyAfterWait(t *testing.T) {
	f := setup(t)
	f.createQueue(t, sluice.QueueConfig{Name: "q"})
	wait := 300 * time.Millisecond
	start := time.Now()
	msgs, err := f.client.Receive(t.Context(), "q", sluice.ReceiveOptions{WaitTime: &wait})
	elapsed := time.Since(start)
	if err != nil || len(msgs) != 0 {
		t.Fatalf("Receive() = %+v, %v; want no messages", msgs, err)
	}
	if elapsed < wait || elapsed > wait+10*time.Second {
		t.Errorf("Receive() returned after %v, want about %v", elapsed, wait)
	}
}

// TestLongPollEndsWhenClientGoesAway checks that cancelling a receive
// cancels the server's wait: the handler returns, and the waiter does not
// lease the next message sent.
func TestLongPollEndsWhenClientGoesAway(t *testing.T) {
	f := setup(t)
	f.createQueue(t, sluice.QueueConfig{Name: "q"})
	ctx, cancel := context.WithCancel(t.Context())
	wait := 10 * time.Minute
	done := make(chan error, 1)
	go func() {
		_, err := f.client.Receive(ctx, "q", sluice.ReceiveOptions{WaitTime: &wait})
		done <- err
	}()
	<-f.receiveStarted
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Receive() after cancel = %v, want context.Canceled", err)
	}
	select {
	case <-f.receiveFinished:
	case <-time.After(30 * time.Second):
		t.Fatal("the server's receive handler is still waiting 30s after the client went away")
	}

	if _, err := f.client.Send(t.Context(), "q", sluice.SendInput{Body: []byte("after")}); err != nil {
		t.Fatal(err)
	}
	none := time.Duration(0)
	msgs, err := f.client.Receive(t.Context(), "q", sluice.ReceiveOptions{WaitTime: &none})
	if err != nil || len(msgs) != 1 {
		t.Errorf("Receive() after the cancelled poll = %d messages, %v; want the message, not lost to the gone waiter", len(msgs), err)
	}
}
