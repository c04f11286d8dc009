package nativeapi_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
)

// TestTaskIntakeAndStatus sends a task the raw way, checks the 202 and the
// Location, and then follows the task through the client: a failed
// attempt, a retry and a result.
func TestTaskIntakeAndStatus(t *testing.T) {
	f := setup(t)
	f.createQueue(t, sluice.QueueConfig{Name: "reports", Tasks: &sluice.TaskPolicy{MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}})

	r := f.do(t, "POST", "/v1/queues/reports/messages", "application/json", `{"body":"hourly","tenant":"acme"}`)
	if r.status != http.StatusAccepted {
		t.Fatalf("send to a tracked queue = %d %s, want 202", r.status, r.body)
	}
	loc := r.header.Get("Location")
	st := f.do(t, "GET", loc, "", nil)
	if st.status != http.StatusOK {
		t.Fatalf("GET %s = %d %s", loc, st.status, st.body)
	}
	page, err := f.client.ListTasks(t.Context(), "reports", sluice.TaskFilter{Tenant: "acme", States: []sluice.TaskState{sluice.TaskQueued}})
	if err != nil || len(page.Tasks) != 1 || "/v1/queues/reports/tasks/"+page.Tasks[0].ID != loc {
		t.Fatalf("ListTasks(queued) = %+v, %v; want the task at %s", page, err, loc)
	}
	id := page.Tasks[0].ID

	wait := time.Duration(0)
	msgs, err := f.client.Receive(t.Context(), "reports", sluice.ReceiveOptions{Max: 1, WaitTime: &wait, Worker: "worker-7"})
	if err != nil || len(msgs) != 1 || msgs[0].ID != id {
		t.Fatalf("Receive() = %v, %v", msgs, err)
	}
	s, err := f.client.Task(t.Context(), "reports", id)
	if err != nil || s.State != sluice.TaskRunning || s.Worker != "worker-7" || s.Attempt != 1 || s.LeaseDeadline.IsZero() {
		t.Fatalf("Task() while running = %+v, %v", s, err)
	}
	s, err = f.client.FailTask(t.Context(), "reports", msgs[0].Receipt, sluice.TaskFailure{Error: "upstream 503"})
	if err != nil || s.State != sluice.TaskFailed || s.LastError != "upstream 503" {
		t.Fatalf("FailTask() = %+v, %v", s, err)
	}
	_, err = f.client.CompleteTask(t.Context(), "reports", msgs[0].Receipt, nil)
	wantAPIError(t, "CompleteTask(stale receipt)", err, http.StatusConflict, "receipt_stale", "")

	one := time.Second
	msgs, err = f.client.Receive(t.Context(), "reports", sluice.ReceiveOptions{Max: 1, WaitTime: &one, Worker: "worker-8"})
	if err != nil || len(msgs) != 1 || msgs[0].ID != id || msgs[0].ReceiveCount != 2 {
		t.Fatalf("Receive() of the retry = %v, %v", msgs, err)
	}
	if _, err := f.client.CompleteTask(t.Context(), "reports", msgs[0].Receipt, []byte{0xff, 'o', 'k'}); err != nil {
		t.Fatalf("CompleteTask() = %v", err)
	}
	s, err = f.client.WaitTask(t.Context(), "reports", id, time.Millisecond)
	if err != nil || s.State != sluice.TaskSucceeded || string(s.Result) != "\xffok" || s.Attempt != 2 {
		t.Fatalf("WaitTask() = %+v, %v; want succeeded with the binary result", s, err)
	}
	res, err := f.client.Send(t.Context(), "reports", sluice.SendInput{Body: []byte("second")})
	if err != nil || !res.Tracked {
		t.Fatalf("client Send() = %+v, %v; want Tracked", res, err)
	}
}

func TestTaskErrors(t *testing.T) {
	f := setup(t)
	f.createQueue(t, sluice.QueueConfig{Name: "plain"})
	f.createQueue(t, sluice.QueueConfig{Name: "jobs", Tasks: &sluice.TaskPolicy{}})
	ctx := t.Context()

	_, err := f.client.ListTasks(ctx, "plain", sluice.TaskFilter{})
	wantAPIError(t, "ListTasks(untracked)", err, http.StatusBadRequest, "not_tracked", "")
	if !errors.Is(err, sluice.ErrNotTracked) {
		t.Errorf("ListTasks(untracked) = %v, want sluice.ErrNotTracked", err)
	}
	_, err = f.client.Task(ctx, "jobs", "nope")
	wantAPIError(t, "Task(unknown)", err, http.StatusNotFound, "task_not_found", "")
	_, err = f.client.Task(ctx, "gone", "00000000-0000-4000-8000-000000000000")
	wantAPIError(t, "Task(no queue)", err, http.StatusNotFound, "queue_not_found", "")
	_, err = f.client.CompleteTask(ctx, "jobs", "", nil)
	wantAPIError(t, "CompleteTask(no receipt)", err, http.StatusBadRequest, "invalid_argument", "receipt")
	_, err = f.client.CompleteTask(ctx, "jobs", "garbage", nil)
	wantAPIError(t, "CompleteTask(bad receipt)", err, http.StatusBadRequest, "receipt_invalid", "")

	for _, tt := range []struct{ query, field string }{
		{"state=lost", "state"}, {"after=x", "after"}, {"limit=0", "limit"}, {"colour=red", "colour"},
	} {
		r := f.do(t, "GET", "/v1/queues/jobs/tasks?"+tt.query, "", nil)
		if e := r.apiError(t); r.status != http.StatusBadRequest || e.Field != tt.field {
			t.Errorf("GET tasks?%s = %d %+v, want 400 naming %s", tt.query, r.status, e, tt.field)
		}
	}
	for _, tt := range []struct{ path, body, field string }{
		{"/v1/queues/jobs/fail", `{"receipt":"x","retry_after":"-1s"}`, "retry_after"},
		{"/v1/queues/jobs/complete", `{"receipt":"x","result":"a","result_base64":"YQ=="}`, "result_base64"},
		{"/v1/queues/jobs/complete", `{"receipt":"x","result_base64":"%%"}`, "result_base64"},
		{"/v1/queues", `{"name":"bad","tasks":{"max_attempts":5000}}`, "tasks.max_attempts"},
		{"/v1/queues/jobs/receive", `{"worker":"` + strings.Repeat("w", 200) + `"}`, "worker"},
	} {
		r := f.do(t, "POST", tt.path, "application/json", tt.body)
		if e := r.apiError(t); e.Field != tt.field {
			t.Errorf("POST %s %s = %d %+v, want an error naming %s", tt.path, tt.body, r.status, e, tt.field)
		}
	}
}
