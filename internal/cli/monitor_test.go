package cli_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/wire"
)

func TestMonitorCommands(t *testing.T) {
	f := setup(t)
	f.ok("queue", "create", "--tracked", "reports")
	ctx := t.Context()
	c := f.srv.Client
	if _, err := c.Send(ctx, "reports", sluice.SendInput{Body: []byte("a"), Tenant: "acme"}); err != nil {
		t.Fatal(err)
	}
	wait := time.Duration(0)
	msgs, err := c.Receive(ctx, "reports", sluice.ReceiveOptions{WaitTime: &wait, Worker: "w1"})
	if err != nil || len(msgs) != 1 {
		t.Fatalf("Receive() = %v, %v", msgs, err)
	}

	var ages []wire.TaskAges
	f.okJSON(&ages, "monitor", "buckets", "--tenants")
	if len(ages) != 1 || ages[0].Queue != "reports" || ages[0].Running != 1 || len(ages[0].Buckets) != 6 || ages[0].Tenants["acme"].Running != 1 {
		t.Errorf("monitor buckets --tenants = %+v", ages)
	}
	out := f.ok("monitor", "buckets", "reports")
	if row := tableRow(out, "reports"); row == nil || row[2] != "waiting" {
		t.Errorf("monitor buckets table:\n%s", out)
	}
	var tasks []wire.Task
	f.okJSON(&tasks, "monitor", "tasks", "reports")
	if len(tasks) != 1 || tasks[0].ID != msgs[0].ID || tasks[0].Worker != "w1" {
		t.Errorf("monitor tasks = %+v", tasks)
	}
	f.okJSON(&tasks, "monitor", "tasks", "--over", "45m", "reports")
	if len(tasks) != 0 {
		t.Errorf("monitor tasks --over 45m = %+v, want none", tasks)
	}

	f.ok("monitor", "rules", "set", "--condition", "running_age", "--threshold", "0s", "--label", "severity=page", "now")
	var rules []wire.AlertRule
	f.okJSON(&rules, "monitor", "rules", "list")
	if len(rules) != 1 || rules[0].Name != "now" || rules[0].Labels["severity"] != "page" {
		t.Errorf("monitor rules list = %+v", rules)
	}
	wantFailure(t, "bad condition", f.run("monitor", "rules", "set", "--condition", "sometimes", "x"), 1, "condition")
	f.ok("monitor", "rules", "delete", "now")
	wantFailure(t, "delete twice", f.run("monitor", "rules", "delete", "now"), 1, "rule not found")
	var alerts []wire.Alert
	f.okJSON(&alerts, "monitor", "alerts")
	if alerts == nil {
		t.Errorf("monitor alerts printed null")
	}
	wantFailure(t, "bad kind", f.run("monitor", "tasks", "--kind", "sleepy", "reports"), 2, "sleepy")
}

// TestMonitorWatchCommands sets a watch through the CLI and follows one
// external task from its start message to its completion message.
func TestMonitorWatchCommands(t *testing.T) {
	f := setup(t)
	f.ok("topic", "create", "jobs")
	f.ok("topic", "create", "jobs-done")
	out := f.ok("monitor", "watch", "set", "--start-topic", "jobs", "--id-path", "job.id", "--complete-topic", "jobs-done", "legacy")
	if !strings.Contains(out, "watch legacy") {
		t.Errorf("monitor watch set printed %q", out)
	}
	wantFailure(t, "no id", f.run("monitor", "watch", "set", "--start-topic", "jobs", "--complete-topic", "jobs-done", "x"), 1, "id_attribute")
	wantFailure(t, "bad status", f.run("monitor", "watch", "set", "--done-status", "ok", "x"), 2, "done-status")
	var watches []wire.Watch
	f.okJSON(&watches, "monitor", "watch", "list")
	if len(watches) != 1 || watches[0].IDPath != "job.id" || watches[0].Retention != wire.Duration(time.Hour) {
		t.Fatalf("monitor watch list = %+v", watches)
	}
	f.ok("publish", "jobs", `{"job":{"id":"r-1"}}`)
	var task wire.Task
	deadline := time.Now().Add(10 * time.Second)
	for {
		if f.run("monitor", "watch", "get", "legacy", "r-1").code == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the started task never appeared")
		}
		time.Sleep(50 * time.Millisecond)
	}
	var tasks []wire.Task
	f.okJSON(&tasks, "monitor", "tasks", "watch:legacy")
	if len(tasks) != 1 || tasks[0].ID != "r-1" || tasks[0].State != sluice.TaskRunning {
		t.Fatalf("monitor tasks watch:legacy = %+v", tasks)
	}
	f.ok("publish", "jobs-done", `{"job":{"id":"r-1"}}`)
	for {
		f.okJSON(&task, "monitor", "watch", "get", "legacy", "r-1")
		if task.State == sluice.TaskSucceeded {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the task never finished: %+v", task)
		}
		time.Sleep(50 * time.Millisecond)
	}
	f.ok("monitor", "watch", "delete", "legacy")
	wantFailure(t, "delete twice", f.run("monitor", "watch", "delete", "legacy"), 1, "watch not found")
}
