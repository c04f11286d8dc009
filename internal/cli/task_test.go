package cli_test

import (
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/wire"
)

func TestTaskCommands(t *testing.T) {
	f := setup(t)
	out := f.ok("queue", "create", "--max-attempts", "1", "reports")
	if row := tableRow(out, "tasks"); row == nil || row[1] != "1" {
		t.Errorf("queue create --max-attempts 1: tasks row %q\n%s", row, out)
	}
	ctx := t.Context()
	c := f.srv.Client
	good, err := c.Send(ctx, "reports", sluice.SendInput{Body: []byte("a"), Tenant: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	bad, err := c.Send(ctx, "reports", sluice.SendInput{Body: []byte("b")})
	if err != nil {
		t.Fatal(err)
	}
	wait := time.Duration(0)
	msgs, err := c.Receive(ctx, "reports", sluice.ReceiveOptions{Max: 2, WaitTime: &wait, Worker: "w1"})
	if err != nil || len(msgs) != 2 {
		t.Fatalf("Receive() = %v, %v", msgs, err)
	}
	if _, err := c.CompleteTask(ctx, "reports", msgs[0].Receipt, []byte("done")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.FailTask(ctx, "reports", msgs[1].Receipt, sluice.TaskFailure{Error: "no data"}); err != nil {
		t.Fatal(err)
	}

	out = f.ok("task", "get", "reports", good.ID)
	if row := tableRow(out, "state"); row == nil || row[1] != "succeeded" {
		t.Errorf("task get: state row %q\n%s", row, out)
	}
	var list []wire.Task
	f.okJSON(&list, "task", "list", "reports", "--tenant", "acme")
	if len(list) != 1 || list[0].ID != good.ID || *list[0].Result != "done" {
		t.Errorf("task list --tenant acme = %+v", list)
	}
	f.okJSON(&list, "task", "list", "reports", "--state", "dead,failed")
	if len(list) != 1 || list[0].ID != bad.ID {
		t.Errorf("task list --state dead,failed = %+v", list)
	}
	if out := f.ok("task", "wait", "reports", good.ID); tableRow(out, "result") == nil {
		t.Errorf("task wait printed no result:\n%s", out)
	}
	wantFailure(t, "wait for a dead task", f.run("task", "wait", "reports", bad.ID), 1, "is dead", "no data")
	wantFailure(t, "bad state", f.run("task", "list", "reports", "--state", "lost"), 2, "lost")
	wantFailure(t, "unknown task", f.run("task", "get", "reports", "nope"), 1, "task not found")

	var q wire.Queue
	f.okJSON(&q, "queue", "update", "--min-backoff", "7s", "reports")
	if q.Tasks == nil || q.Tasks.MaxAttempts != 1 || q.Tasks.MinBackoff != wire.Duration(7*time.Second) {
		t.Errorf("queue update --min-backoff 7s = %+v, want max attempts kept at 1 and the new backoff", q.Tasks)
	}
	f.ok("queue", "create", "plain")
	f.okJSON(&q, "queue", "update", "--tracked", "plain")
	if q.Tasks == nil || q.Tasks.MaxAttempts != sluice.DefaultMaxAttempts {
		t.Errorf("queue update --tracked = %+v, want the default policy", q.Tasks)
	}
}
