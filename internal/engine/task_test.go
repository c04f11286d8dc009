package engine_test

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/engine"
)

func (f *fixture) status(queue, id string) sluice.TaskStatus {
	f.t.Helper()
	s, err := f.e.TaskStatus(f.t.Context(), queue, id)
	if err != nil {
		f.t.Fatalf("TaskStatus(%s, %s) = %v", queue, id, err)
	}
	return s
}

func (f *fixture) receiveAs(queue, worker string, vis time.Duration) []sluice.Message {
	f.t.Helper()
	zero := time.Duration(0)
	msgs, err := f.e.Receive(f.t.Context(), queue, sluice.ReceiveOptions{Max: 10, VisibilityTimeout: &vis, WaitTime: &zero, Worker: worker})
	if err != nil {
		f.t.Fatalf("Receive(%s) = %v", queue, err)
	}
	return msgs
}

func wantState(t *testing.T, s sluice.TaskStatus, state sluice.TaskState, attempt int) {
	t.Helper()
	if s.State != state || s.Attempt != attempt {
		t.Fatalf("status = %s attempt %d, want %s attempt %d (%+v)", s.State, s.Attempt, state, attempt, s)
	}
}

// TestTaskLifecycle follows a task through a failed attempt with backoff, a
// retry and success with a result, and checks that its status survives a
// restart at every step.
func TestTaskLifecycle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 2, engine.Options{})
		f.create(sluice.QueueConfig{Name: "jobs", Tasks: &sluice.TaskPolicy{MaxAttempts: 3, MinBackoff: 10 * time.Second, MaxBackoff: time.Minute}})
		start := time.Now()
		res := f.send("jobs", sluice.SendInput{Body: []byte("report"), Tenant: "acme"})
		if !res[0].Tracked {
			t.Fatalf("Send() = %+v, want Tracked", res[0])
		}
		id := res[0].ID
		s := f.status("jobs", id)
		wantState(t, s, sluice.TaskQueued, 0)
		if s.Tenant != "acme" || !s.CreatedAt.Equal(start) {
			t.Fatalf("status = %+v, want tenant acme created at %v", s, start)
		}

		msgs := f.receiveAs("jobs", "w1", time.Minute)
		if len(msgs) != 1 || msgs[0].ID != id {
			t.Fatalf("Receive() = %v, want the task", msgs)
		}
		f.restart()
		s = f.status("jobs", id)
		wantState(t, s, sluice.TaskRunning, 1)
		if s.Worker != "w1" || !s.LeaseDeadline.Equal(start.Add(time.Minute)) || !s.StartedAt.Equal(start) {
			t.Fatalf("running status = %+v, want worker w1, started %v, deadline %v", s, start, start.Add(time.Minute))
		}

		s, err := f.e.FailTask(t.Context(), "jobs", msgs[0].Receipt, sluice.TaskFailure{Error: "database down"})
		if err != nil {
			t.Fatalf("FailTask() = %v", err)
		}
		wantState(t, s, sluice.TaskFailed, 1)
		// Equal jitter: between half and all of the 10s first backoff.
		if wait := s.NextAttemptAt.Sub(start); wait < 5*time.Second || wait > 10*time.Second || s.LastError != "database down" {
			t.Fatalf("failed status = %+v, want the error and a next attempt 5s to 10s away", s)
		}
		if _, err := f.e.CompleteTask(t.Context(), "jobs", msgs[0].Receipt, nil); !errors.Is(err, sluice.ErrReceiptStale) {
			t.Fatalf("CompleteTask(failed attempt's receipt) = %v, want ErrReceiptStale", err)
		}
		f.restart()
		wantState(t, f.status("jobs", id), sluice.TaskFailed, 1)
		if got := f.receiveAs("jobs", "w2", time.Minute); len(got) != 0 {
			t.Fatalf("Receive() during backoff = %v, want nothing", got)
		}
		time.Sleep(10 * time.Second)
		msgs = f.receiveAs("jobs", "w2", time.Minute)
		if len(msgs) != 1 || msgs[0].ReceiveCount != 2 {
			t.Fatalf("Receive() after backoff = %v, want the task's second attempt", msgs)
		}
		s = f.status("jobs", id)
		wantState(t, s, sluice.TaskRunning, 2)
		if s.LastError != "database down" || s.Worker != "w2" {
			t.Fatalf("second attempt status = %+v, want the last error kept and worker w2", s)
		}
		if _, err := f.e.CompleteTask(t.Context(), "jobs", msgs[0].Receipt, []byte(`{"rows":3}`)); err != nil {
			t.Fatalf("CompleteTask() = %v", err)
		}
		for range 2 {
			s = f.status("jobs", id)
			wantState(t, s, sluice.TaskSucceeded, 2)
			if string(s.Result) != `{"rows":3}` || s.FinishedAt.IsZero() {
				t.Fatalf("succeeded status = %+v, want the result and a finish time", s)
			}
			f.restart()
		}
		if got := f.receiveAs("jobs", "w3", time.Minute); len(got) != 0 {
			t.Fatalf("Receive() after success = %v, want nothing", got)
		}
	})
}

// TestTaskDiesAfterAttempts checks that a task that keeps failing, or whose
// leases keep expiring, ends dead in the dead-letter queue with its last
// error.
func TestTaskDiesAfterAttempts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 2, engine.Options{})
		f.create(sluice.QueueConfig{Name: "jobs-dlq"})
		f.create(sluice.QueueConfig{Name: "jobs", DeadLetter: &sluice.DeadLetterPolicy{Queue: "jobs-dlq", MaxReceives: 10},
			Tasks: &sluice.TaskPolicy{MaxAttempts: 2, MinBackoff: time.Second}})
		failing := f.send("jobs", sluice.SendInput{Body: []byte("a")})[0].ID
		for attempt := 1; attempt <= 2; attempt++ {
			msgs := f.receiveAs("jobs", "w", time.Minute)
			if len(msgs) != 1 {
				t.Fatalf("attempt %d: Receive() = %v", attempt, msgs)
			}
			if _, err := f.e.FailTask(t.Context(), "jobs", msgs[0].Receipt, sluice.TaskFailure{Error: "boom"}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(2 * time.Second)
		}
		synctest.Wait()
		s := f.status("jobs", failing)
		wantState(t, s, sluice.TaskDead, 2)
		if s.DeadLetterQueue != "jobs-dlq" || s.LastError != "boom" {
			t.Fatalf("dead status = %+v, want the DLQ and the last error", s)
		}
		if dl := f.receive("jobs-dlq", 10, time.Minute); len(dl) != 1 || string(dl[0].Body) != "a" {
			t.Fatalf("dead-letter queue holds %v, want the task", dl)
		}

		// A task whose worker vanishes: each lease expiry is an attempt.
		lost := f.send("jobs", sluice.SendInput{Body: []byte("b")})[0].ID
		for range 2 {
			f.receiveAs("jobs", "w", time.Second)
			time.Sleep(2 * time.Second)
			wantState(t, f.status("jobs", lost), sluice.TaskQueued, f.status("jobs", lost).Attempt)
		}
		f.receiveAs("jobs", "w", time.Second) // over the limit: dead-lettered, not delivered
		synctest.Wait()
		f.restart()
		s = f.status("jobs", lost)
		wantState(t, s, sluice.TaskDead, 2)
		if s.LastError == "" {
			t.Fatalf("dead status = %+v, want an error saying the lease expired", s)
		}

		// A permanent failure dies at once; without a dead-letter queue it
		// is just dead.
		f.create(sluice.QueueConfig{Name: "plain", Tasks: &sluice.TaskPolicy{}})
		id := f.send("plain", sluice.SendInput{Body: []byte("c")})[0].ID
		msgs := f.receiveAs("plain", "w", time.Minute)
		if _, err := f.e.FailTask(t.Context(), "plain", msgs[0].Receipt, sluice.TaskFailure{Error: "bad input", Permanent: true}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		f.restart()
		s = f.status("plain", id)
		wantState(t, s, sluice.TaskDead, 1)
		if s.DeadLetterQueue != "" || s.LastError != "bad input" {
			t.Fatalf("dead status = %+v", s)
		}
	})
}

// TestTaskDeadLetterMaxReceivesCaps checks that a tracked queue whose
// dead-letter policy allows fewer receives than its task policy's attempts
// dead-letters its tasks after the fewer, so both limits hold.
func TestTaskDeadLetterMaxReceivesCaps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 1, engine.Options{})
		f.create(sluice.QueueConfig{Name: "jobs-dlq"})
		f.create(sluice.QueueConfig{Name: "jobs", DeadLetter: &sluice.DeadLetterPolicy{Queue: "jobs-dlq", MaxReceives: 2},
			Tasks: &sluice.TaskPolicy{MaxAttempts: 5}})
		expiring := f.send("jobs", sluice.SendInput{Body: []byte("a")})[0].ID
		for range 2 {
			if got := f.receiveAs("jobs", "w", time.Second); len(got) != 1 {
				t.Fatalf("Receive() = %v, want the task", got)
			}
			time.Sleep(2 * time.Second)
		}
		if got := f.receiveAs("jobs", "w", time.Second); len(got) != 0 {
			t.Fatalf("third Receive() = %v, want nothing: max_receives is 2", got)
		}
		synctest.Wait()
		s := f.status("jobs", expiring)
		wantState(t, s, sluice.TaskDead, 2)
		if s.LastError != "lease expired on attempt 2 of 2" || s.DeadLetterQueue != "jobs-dlq" {
			t.Fatalf("dead status = %+v, want the lease expiry of attempt 2 of 2, in jobs-dlq", s)
		}

		// A failure on the last allowed receive is final too.
		failing := f.send("jobs", sluice.SendInput{Body: []byte("b")})[0].ID
		for range 2 {
			got := f.receiveAs("jobs", "w", time.Minute)
			if len(got) != 1 {
				t.Fatalf("Receive() = %v, want the task", got)
			}
			if _, err := f.e.FailTask(t.Context(), "jobs", got[0].Receipt, sluice.TaskFailure{Error: "boom", RetryAfter: new(time.Duration)}); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		wantState(t, f.status("jobs", failing), sluice.TaskDead, 2)
	})
}

// TestTaskRetentionAndListing checks listing filters and cursors, expiry,
// purges, and that finished statuses go after the retention.
func TestTaskRetentionAndListing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 1, engine.Options{SnapshotMinBytes: 1})
		f.create(sluice.QueueConfig{Name: "jobs", Retention: time.Hour, Tasks: &sluice.TaskPolicy{Retention: 2 * time.Hour}})
		var ids []string
		for _, tenant := range []string{"a", "b", "a", "b", "a"} {
			ids = append(ids, f.send("jobs", sluice.SendInput{Body: []byte(tenant), Tenant: tenant})[0].ID)
		}
		msgs := f.receiveAs("jobs", "w", 10*time.Minute)
		if len(msgs) != 5 {
			t.Fatalf("Receive() = %d messages", len(msgs))
		}
		f.ack("jobs", msgs[0].Receipt) // succeeded
		page, err := f.e.ListTasks(t.Context(), "jobs", sluice.TaskFilter{Tenant: "a", Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Tasks) != 2 || page.Tasks[0].ID != ids[0] || page.Tasks[0].State != sluice.TaskSucceeded || page.Tasks[1].ID != ids[2] || page.Next == 0 {
			t.Fatalf("ListTasks(tenant a, limit 2) = %+v", page)
		}
		page, _ = f.e.ListTasks(t.Context(), "jobs", sluice.TaskFilter{Tenant: "a", Limit: 2, After: page.Next})
		if len(page.Tasks) != 1 || page.Tasks[0].ID != ids[4] || page.Next != 0 {
			t.Fatalf("ListTasks(second page) = %+v", page)
		}
		page, _ = f.e.ListTasks(t.Context(), "jobs", sluice.TaskFilter{States: []sluice.TaskState{sluice.TaskRunning}})
		if len(page.Tasks) != 4 {
			t.Fatalf("ListTasks(running) = %d tasks, want 4", len(page.Tasks))
		}
		time.Sleep(61 * time.Minute) // past the queue's retention: the rest expire
		f.restart()
		page, _ = f.e.ListTasks(t.Context(), "jobs", sluice.TaskFilter{States: []sluice.TaskState{sluice.TaskExpired}})
		if len(page.Tasks) != 4 {
			t.Fatalf("ListTasks(expired) = %+v, want 4", page)
		}
		purged := f.send("jobs", sluice.SendInput{Body: []byte("p")})[0].ID
		if _, err := f.e.PurgeQueue(t.Context(), "jobs"); err != nil {
			t.Fatal(err)
		}
		f.restart()
		wantState(t, f.status("jobs", purged), sluice.TaskPurged, 0)
		time.Sleep(2 * time.Hour)
		f.restart()
		if _, err := f.e.TaskStatus(t.Context(), "jobs", ids[0]); !errors.Is(err, sluice.ErrTaskNotFound) {
			t.Fatalf("TaskStatus() after the retention = %v, want ErrTaskNotFound", err)
		}
	})
}

func TestTaskErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := setup(t, 1, engine.Options{})
		f.create(sluice.QueueConfig{Name: "plain"})
		f.create(sluice.QueueConfig{Name: "jobs", Tasks: &sluice.TaskPolicy{MaxResultSize: 4}})
		ctx := t.Context()
		if _, err := f.e.TaskStatus(ctx, "plain", "x"); !errors.Is(err, sluice.ErrTaskNotFound) && !errors.Is(err, sluice.ErrNotTracked) {
			t.Fatalf("TaskStatus(untracked) = %v", err)
		}
		if _, err := f.e.ListTasks(ctx, "plain", sluice.TaskFilter{}); !errors.Is(err, sluice.ErrNotTracked) {
			t.Fatalf("ListTasks(untracked) = %v, want ErrNotTracked", err)
		}
		if _, err := f.e.TaskStatus(ctx, "jobs", "00000000-0000-4000-8000-000000000000"); !errors.Is(err, sluice.ErrTaskNotFound) {
			t.Fatalf("TaskStatus(unknown) = %v, want ErrTaskNotFound", err)
		}
		if _, err := f.e.ListTasks(ctx, "jobs", sluice.TaskFilter{States: []sluice.TaskState{"lost"}}); err == nil {
			t.Fatal("ListTasks(bad state) = nil error")
		}
		f.send("jobs", sluice.SendInput{Body: []byte("x")})
		msgs := f.receiveAs("jobs", "w", time.Minute)
		var le *sluice.LimitError
		if _, err := f.e.CompleteTask(ctx, "jobs", msgs[0].Receipt, []byte("too long")); !errors.As(err, &le) || le.Field != "result" {
			t.Fatalf("CompleteTask(big result) = %v, want a limit error on result", err)
		}
		if _, err := f.e.CompleteTask(ctx, "jobs", "nonsense", nil); !errors.Is(err, sluice.ErrReceiptInvalid) {
			t.Fatalf("CompleteTask(bad receipt) = %v, want ErrReceiptInvalid", err)
		}
		neg := -time.Second
		if _, err := f.e.FailTask(ctx, "jobs", msgs[0].Receipt, sluice.TaskFailure{RetryAfter: &neg}); err == nil {
			t.Fatal("FailTask(negative retry_after) = nil error")
		}
		if _, _, err := f.e.CreateQueue(ctx, sluice.QueueConfig{Name: "bad", Tasks: &sluice.TaskPolicy{MaxAttempts: 5000}}); err == nil {
			t.Fatal("CreateQueue(max_attempts 5000) = nil error")
		}
	})
}
