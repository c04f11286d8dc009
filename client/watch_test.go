package client_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/sluicetest"
)

// A watch and its external tasks, through the real client and server,
// survive a restart over the same data directory.
func TestWatchEndToEnd(t *testing.T) {
	dir := t.TempDir()
	srv := sluicetest.NewServer(t, sluicetest.WithDataDir(dir))
	c, ctx := srv.Client, t.Context()
	if _, err := c.CreateTopic(ctx, sluice.TopicConfig{Name: "jobs"}); err != nil {
		t.Fatal(err)
	}
	w, err := c.PutWatch(ctx, sluice.Watch{Name: "legacy", StartTopic: "jobs", IDAttribute: "job", StatusURL: "http://127.0.0.1:1/jobs/{id}"})
	if err != nil {
		t.Fatal(err)
	}
	if w.PollInterval != time.Minute || !slices.Equal(w.DoneStatus, []int{200}) {
		t.Errorf("PutWatch() = %+v, want the defaults filled in", w)
	}
	_, err = c.PutWatch(ctx, sluice.Watch{Name: "bad", StartTopic: "jobs", IDPath: "id", StatusURL: "http://x/{id}", DoneStatus: []int{42}})
	var ia *sluice.InvalidArgumentError
	if !errors.As(err, &ia) || ia.Field != "done_status[0]" {
		t.Errorf("PutWatch(bad status) = %v, want invalid done_status[0]", err)
	}
	if _, err := c.Watch(ctx, "nope"); !errors.Is(err, sluice.ErrWatchNotFound) {
		t.Errorf("Watch(nope) = %v, want ErrWatchNotFound", err)
	}
	in := sluice.PublishInput{Body: []byte("run"), Attributes: map[string]sluice.Attribute{"job": {Type: "String", String: "j-1"}}}
	if _, err := c.Publish(ctx, "jobs", in); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := c.WatchTask(ctx, "legacy", "j-1")
		if err == nil {
			if st.State != sluice.TaskRunning || st.Queue != "watch:legacy" {
				t.Fatalf("WatchTask() = %+v, want running in watch:legacy", st)
			}
			break
		}
		if !errors.Is(err, sluice.ErrTaskNotFound) || time.Now().After(deadline) {
			t.Fatalf("WatchTask() = %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	srv = sluicetest.NewServer(t, sluicetest.WithDataDir(dir))
	c = srv.Client
	if ws, err := c.Watches(ctx); err != nil || len(ws) != 1 || ws[0].Name != "legacy" {
		t.Fatalf("Watches() after a restart = %+v, %v", ws, err)
	}
	if st, err := c.WatchTask(ctx, "legacy", "j-1"); err != nil || st.State != sluice.TaskRunning {
		t.Fatalf("WatchTask() after a restart = %+v, %v", st, err)
	}
	ages, err := c.TaskAges(ctx, "watch:legacy", false)
	if err != nil || len(ages) != 1 || ages[0].Running != 1 {
		t.Fatalf("TaskAges(watch:legacy) = %+v, %v", ages, err)
	}
	if err := c.DeleteWatch(ctx, "legacy"); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteWatch(ctx, "legacy"); !errors.Is(err, sluice.ErrWatchNotFound) {
		t.Errorf("DeleteWatch twice = %v, want ErrWatchNotFound", err)
	}
}
