package natsjournal

import (
	"encoding/binary"
	"errors"
	"io"
	"strings"

	"fmt"
	"github.com/google/go-cmp/cmp"
	"sync/atomic"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sluicehq/sluice/internal/journal"
	"github.com/sluicehq/sluice/internal/journal/journaltest"
	"github.com/sluicehq/sluice/internal/natstest"
)

// names gives each journal of a test run its own stream.
var names atomic.Int64

// setup opens journal name over js, closed when the test ends.
func setup(t testing.TB, js jetstream.JetStream, opts Options) *Journal {
	t.Helper()
	j, err := Open(t.Context(), js, opts)
	if err != nil {
		t.Fatalf("Open(%q) error = %v", opts.Name, err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func newJetStream(t testing.TB, c *natstest.Cluster) jetstream.JetStream {
	t.Helper()
	js, err := jetstream.New(c.Connect(t))
	if err != nil {
		t.Fatalf("jetstream.New() error = %v", err)
	}
	return js
}

func harness(js jetstream.JetStream, replicas int) journaltest.Harness {
	return journaltest.Harness{
		Open: func(t *testing.T) journal.Journal {
			return setup(t, js, Options{Name: fmt.Sprintf("t%d", names.Add(1)), Replicas: replicas})
		},
		Reopen: func(t *testing.T, j journal.Journal) journal.Journal {
			j.Close()
			return setup(t, js, j.(*Journal).opts)
		},
		Fail: func(t *testing.T, j journal.Journal) {
			// Another owner takes the journal over.
			other := setup(t, js, j.(*Journal).opts)
			other.Close()
		},
	}
}

func TestConformance(t *testing.T) {
	c := natstest.Start(t, natstest.Options{})
	journaltest.Exercise(t, harness(newJetStream(t, c), 1))
}

func TestConformanceReplicated(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	c := natstest.Start(t, natstest.Options{Nodes: 3})
	journaltest.Exercise(t, harness(newJetStream(t, c), 3))
}

// TestFencing shows that once a second journal opens the same stream, the
// first can no longer write: its appends and snapshots fail with
// ErrFenced, and nothing it tried to write after is stored.
func TestFencing(t *testing.T) {
	c := natstest.Start(t, natstest.Options{})
	js := newJetStream(t, c)
	opts := Options{Name: "fenced"}
	old := setup(t, js, opts)
	journaltest.AppendWait(t, old, "a", "b")

	cur := setup(t, js, opts)
	if got := cur.LastIndex(); got != 2 {
		t.Fatalf("LastIndex() of the new owner = %d, want 2", got)
	}
	if diff := cmp.Diff([]journaltest.Record{{Index: 1, Data: "a"}, {Index: 2, Data: "b"}}, journaltest.ReplayAll(t, cur, 0)); diff != "" {
		t.Fatalf("new owner's Replay(0) (-want +got):\n%s", diff)
	}
	journaltest.AppendWait(t, cur, "c")

	err := journal.AppendWait(t.Context(), old, []byte("stale"))
	if !errors.Is(err, journal.ErrFenced) {
		t.Fatalf("deposed owner's Append() error = %v, want ErrFenced", err)
	}
	if !strings.Contains(err.Error(), "another owner") {
		t.Errorf("Append() error %q does not say another owner took over", err)
	}
	if err := journal.AppendWait(t.Context(), old, []byte("stale again")); !errors.Is(err, journal.ErrFenced) {
		t.Errorf("deposed owner's second Append() error = %v, want ErrFenced", err)
	}
	if err := old.InstallSnapshot(t.Context(), 2, func(w io.Writer) error { return nil }); !errors.Is(err, journal.ErrFenced) {
		t.Errorf("deposed owner's InstallSnapshot() error = %v, want ErrFenced", err)
	}
	if !errors.Is(old.Err(), journal.ErrFenced) {
		t.Errorf("Err() = %v, want ErrFenced", old.Err())
	}

	journaltest.AppendWait(t, cur, "d")
	cur.Close()
	again := setup(t, js, opts)
	want := []journaltest.Record{{Index: 1, Data: "a"}, {Index: 2, Data: "b"}, {Index: 3, Data: "c"}, {Index: 4, Data: "d"}}
	if diff := cmp.Diff(want, journaltest.ReplayAll(t, again, 0)); diff != "" {
		t.Errorf("Replay(0) after the takeover (-want +got):\n%s", diff)
	}
}

// TestTornBatchIgnored shows that a batch whose last chunk never arrived
// (its writer died mid-batch) is not replayed, and that the next owner's
// records follow the last complete batch.
func TestTornBatchIgnored(t *testing.T) {
	c := natstest.Start(t, natstest.Options{})
	js := newJetStream(t, c)
	opts := Options{Name: "torn"}
	j := setup(t, js, opts)
	journaltest.AppendWait(t, j, "a")
	j.Close()
	// The first chunk of a two-record batch, as a writer that died would
	// leave it.
	body := binary.AppendUvarint(nil, 1)
	body = append(body, 'x')
	if _, err := js.PublishMsg(t.Context(), logMsg(j.logSubj, 2, 2, chunkFirst, body)); err != nil {
		t.Fatal(err)
	}

	j = setup(t, js, opts)
	if got := j.LastIndex(); got != 1 {
		t.Errorf("LastIndex() after a torn batch = %d, want 1", got)
	}
	journaltest.AppendWait(t, j, "b")
	j.Close()
	j = setup(t, js, opts)
	if diff := cmp.Diff([]journaltest.Record{{Index: 1, Data: "a"}, {Index: 2, Data: "b"}}, journaltest.ReplayAll(t, j, 0)); diff != "" {
		t.Errorf("Replay(0) (-want +got):\n%s", diff)
	}
}

// TestSnapshotPurgesLog shows that installing a snapshot removes the log
// messages it covers from the stream, and older snapshot objects.
func TestSnapshotPurgesLog(t *testing.T) {
	c := natstest.Start(t, natstest.Options{})
	js := newJetStream(t, c)
	j := setup(t, js, Options{Name: "purge"})
	for i := range 20 {
		journaltest.AppendWait(t, j, fmt.Sprint(i+1))
	}
	journaltest.InstallSnapshot(t, j, 10, "s10")
	journaltest.InstallSnapshot(t, j, 15, "s15")
	info, err := j.stream.Info(t.Context(), jetstream.WithSubjectFilter(j.logSubj))
	if err != nil {
		t.Fatal(err)
	}
	// Records 16..20, one batch each; the open marker went with the purge.
	if got := info.State.Subjects[j.logSubj]; got != 5 {
		t.Errorf("log messages after the snapshot at 15 = %d, want 5", got)
	}
	var objects int
	lister, err := j.objs.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	objects = len(lister)
	if objects != 1 {
		t.Errorf("snapshot objects = %d, want 1", objects)
	}
	if got := j.Stats().Bytes; got != 10 { // "16".."20"
		t.Errorf("Stats().Bytes = %d, want 10", got)
	}
}
