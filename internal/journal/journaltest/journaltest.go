// Package journaltest is the conformance suite every journal.Journal
// implementation runs: call Exercise from the implementation's tests with a
// Harness that opens and reopens it.
package journaltest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sluicehq/sluice/internal/journal"
)

// Harness tells Exercise how to make the journal under test.
type Harness struct {
	// Open returns a new, empty journal over fresh storage and arranges
	// (with t.Cleanup) for it to be closed.
	Open func(t *testing.T) journal.Journal
	// Reopen closes j and returns a journal over the same storage, as a
	// restart of the process does. It must accept a broken j, whose Close
	// may return an error, and arrange for the new journal to be closed.
	Reopen func(t *testing.T, j journal.Journal) journal.Journal
	// Fail, if set, makes every later write to j fail, as a failed disk
	// would. Exercise skips the failure test without it.
	Fail func(t *testing.T, j journal.Journal)
}

// Record is a record as Replay reports it.
type Record struct {
	Index uint64
	Data  string
}

// Exercise runs the conformance suite against the journal h makes, each
// case in its own subtest over fresh storage.
func Exercise(t *testing.T, h Harness) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"Empty", testEmpty},
		{"IndexesFromOne", testIndexesFromOne},
		{"CallbacksInOrder", testCallbacksInOrder},
		{"ConcurrentAppend", testConcurrentAppend},
		{"ReplayAfterReopen", testReplayAfterReopen},
		{"AppendAfterReopen", testAppendAfterReopen},
		{"SnapshotRoundTrip", testSnapshotRoundTrip},
		{"ReplayAfterSnapshot", testReplayAfterSnapshot},
		{"LastIndexAfterSnapshotOnly", testLastIndexAfterSnapshotOnly},
		{"SnapshotReplaced", testSnapshotReplaced},
		{"SnapshotWhileAppending", testSnapshotWhileAppending},
		{"LargeRecords", testLargeRecords},
		{"CloseWaitsAndIsIdempotent", testClose},
		{"FailureIsSticky", testFailureIsSticky},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, h) })
	}
}

func testEmpty(t *testing.T, h Harness) {
	j := h.Open(t)
	check := func(j journal.Journal) {
		t.Helper()
		if got := j.LastIndex(); got != 0 {
			t.Errorf("LastIndex() = %d, want 0", got)
		}
		if got := ReplayAll(t, j, 0); len(got) != 0 {
			t.Errorf("Replay(0) = %v, want nothing", got)
		}
		if _, _, err := j.OpenSnapshot(t.Context()); !errors.Is(err, journal.ErrNoSnapshot) {
			t.Errorf("OpenSnapshot() error = %v, want ErrNoSnapshot", err)
		}
	}
	check(j)
	check(h.Reopen(t, j))
}

func testIndexesFromOne(t *testing.T, h Harness) {
	j := h.Open(t)
	var want []Record
	for i, batch := range [][]string{{"a"}, {"b", "c", "d"}, {}, {"e"}} {
		before := j.LastIndex()
		errc := make(chan error, 1)
		j.Append(records(batch...), func(err error) { errc <- err })
		// The indexes are taken at the call, before the records are durable.
		if got, want := j.LastIndex(), before+uint64(len(batch)); got != want {
			t.Errorf("batch %d: LastIndex() right after Append = %d, want %d", i, got, want)
		}
		if err := <-errc; err != nil {
			t.Fatalf("batch %d: Append() error = %v", i, err)
		}
		for k, s := range batch {
			want = append(want, Record{before + 1 + uint64(k), s})
		}
	}
	if got := j.LastIndex(); got != 5 {
		t.Errorf("LastIndex() = %d, want 5", got)
	}
	j = h.Reopen(t, j)
	if diff := cmp.Diff(want, ReplayAll(t, j, 0)); diff != "" {
		t.Errorf("Replay(0) after reopen (-want +got):\n%s", diff)
	}
}

func testCallbacksInOrder(t *testing.T, h Harness) {
	j := h.Open(t)
	const n = 500
	var (
		mu    sync.Mutex
		order []int
		wg    sync.WaitGroup
		errs  atomic.Int32
	)
	for i := range n {
		wg.Add(1)
		j.Append(records(fmt.Sprint(i)), func(err error) {
			if err != nil {
				errs.Add(1)
			}
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			wg.Done()
		})
	}
	wg.Wait()
	if errs.Load() != 0 {
		t.Fatalf("%d Append callbacks got an error", errs.Load())
	}
	for k, i := range order {
		if k != i {
			t.Fatalf("callback %d was for Append %d; callbacks must come in Append order", k, i)
		}
	}
}

func testConcurrentAppend(t *testing.T, h Harness) {
	j := h.Open(t)
	const writers, appends = 8, 200
	calls := make([][appends]atomic.Int32, writers)
	var wg, callbacks sync.WaitGroup
	var total atomic.Uint64
	for w := range writers {
		wg.Go(func() {
			for a := range appends {
				n := 1 + (w+a)%3
				recs := make([]string, n)
				for k := range recs {
					recs[k] = fmt.Sprintf("%d/%d/%d", w, a, k)
				}
				total.Add(uint64(n))
				callbacks.Add(1)
				j.Append(records(recs...), func(err error) {
					if err != nil {
						t.Errorf("Append(%d/%d) error = %v", w, a, err)
					}
					calls[w][a].Add(1)
					callbacks.Done()
				})
			}
		})
	}
	wg.Wait()
	callbacks.Wait()
	for w := range writers {
		for a := range appends {
			if got := calls[w][a].Load(); got != 1 {
				t.Errorf("callback of Append %d/%d called %d times, want 1", w, a, got)
			}
		}
	}
	if got, want := j.LastIndex(), total.Load(); got != want {
		t.Errorf("LastIndex() = %d, want %d", got, want)
	}

	j = h.Reopen(t, j)
	got := ReplayAll(t, j, 0)
	if uint64(len(got)) != total.Load() {
		t.Fatalf("Replay(0) returned %d records, want %d", len(got), total.Load())
	}
	nextAppend := make([]int, writers) // per writer, the Append expected next
	for i := 0; i < len(got); {
		var w, a, k int
		if _, err := fmt.Sscanf(got[i].Data, "%d/%d/%d", &w, &a, &k); err != nil {
			t.Fatalf("record %d = %q: %v", got[i].Index, got[i].Data, err)
		}
		if a != nextAppend[w] || k != 0 {
			t.Fatalf("record %d = %q, want writer %d's Append %d to come next, whole", got[i].Index, got[i].Data, w, nextAppend[w])
		}
		n := 1 + (w+a)%3
		for k := range n {
			if want := fmt.Sprintf("%d/%d/%d", w, a, k); i+k >= len(got) || got[i+k].Data != want {
				t.Fatalf("records of Append %d/%d are not contiguous at index %d", w, a, got[i].Index+uint64(k))
			}
		}
		nextAppend[w]++
		i += n
	}
}

func testReplayAfterReopen(t *testing.T, h Harness) {
	j := h.Open(t)
	var want []Record
	for i := range 100 {
		data := string(bytes.Repeat([]byte{byte('a' + i%26)}, (i*37)%1000)) // includes an empty record
		AppendWait(t, j, data)
		want = append(want, Record{uint64(i + 1), data})
	}
	j = h.Reopen(t, j)
	if got := j.LastIndex(); got != 100 {
		t.Errorf("LastIndex() after reopen = %d, want 100", got)
	}
	if diff := cmp.Diff(want, ReplayAll(t, j, 0)); diff != "" {
		t.Errorf("Replay(0) after reopen (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want[37:], ReplayAll(t, j, 37)); diff != "" {
		t.Errorf("Replay(37) after reopen (-want +got):\n%s", diff)
	}
	if got := ReplayAll(t, j, 100); len(got) != 0 {
		t.Errorf("Replay(100) = %v, want nothing", got)
	}
}

func testAppendAfterReopen(t *testing.T, h Harness) {
	j := h.Open(t)
	AppendWait(t, j, "1", "2", "3", "4", "5")
	j = h.Reopen(t, j)
	ReplayAll(t, j, 0)
	if got := j.LastIndex(); got != 5 {
		t.Fatalf("LastIndex() after reopen = %d, want 5", got)
	}
	if got := AppendWait(t, j, "6", "7", "8"); got != 8 {
		t.Errorf("LastIndex() after appending 3 = %d, want 8", got)
	}
	j = h.Reopen(t, j)
	want := []Record{{1, "1"}, {2, "2"}, {3, "3"}, {4, "4"}, {5, "5"}, {6, "6"}, {7, "7"}, {8, "8"}}
	if diff := cmp.Diff(want, ReplayAll(t, j, 0)); diff != "" {
		t.Errorf("Replay(0) after second reopen (-want +got):\n%s", diff)
	}
}

func testSnapshotRoundTrip(t *testing.T, h Harness) {
	j := h.Open(t)
	for i := range 10 {
		AppendWait(t, j, fmt.Sprint(i+1))
	}
	InstallSnapshot(t, j, 4, "state@4")
	check := func(j journal.Journal) {
		t.Helper()
		if index, data := OpenSnapshot(t, j); index != 4 || data != "state@4" {
			t.Errorf("OpenSnapshot() = %d, %q; want 4, %q", index, data, "state@4")
		}
		if sr, ok := j.(journal.StatsReporter); ok {
			st := sr.Stats()
			if st.SnapshotIndex != 4 || st.SnapshotBytes != int64(len("state@4")) || st.Records != 6 {
				t.Errorf("Stats() = %+v, want SnapshotIndex 4, SnapshotBytes %d, Records 6", st, len("state@4"))
			}
		}
	}
	check(j)
	check(h.Reopen(t, j))
}

func testReplayAfterSnapshot(t *testing.T, h Harness) {
	j := h.Open(t)
	for i := range 10 {
		AppendWait(t, j, fmt.Sprint(i+1))
	}
	InstallSnapshot(t, j, 6, "state@6")
	AppendWait(t, j, "11", "12")
	j = h.Reopen(t, j)
	index, _ := OpenSnapshot(t, j)
	if index != 6 {
		t.Fatalf("OpenSnapshot() index = %d, want 6", index)
	}
	want := []Record{{7, "7"}, {8, "8"}, {9, "9"}, {10, "10"}, {11, "11"}, {12, "12"}}
	if diff := cmp.Diff(want, ReplayAll(t, j, index)); diff != "" {
		t.Errorf("Replay(6) (-want +got):\n%s", diff)
	}
	if got := j.LastIndex(); got != 12 {
		t.Errorf("LastIndex() = %d, want 12", got)
	}
}

func testLastIndexAfterSnapshotOnly(t *testing.T, h Harness) {
	j := h.Open(t)
	AppendWait(t, j, "1", "2", "3")
	InstallSnapshot(t, j, 3, "state@3")
	j = h.Reopen(t, j)
	if got := j.LastIndex(); got != 3 {
		t.Errorf("LastIndex() after reopen = %d, want 3", got)
	}
	if got := ReplayAll(t, j, 3); len(got) != 0 {
		t.Errorf("Replay(3) = %v, want nothing", got)
	}
	if got := AppendWait(t, j, "4"); got != 4 {
		t.Errorf("LastIndex() after Append = %d, want 4", got)
	}
	j = h.Reopen(t, j)
	if diff := cmp.Diff([]Record{{4, "4"}}, ReplayAll(t, j, 3)); diff != "" {
		t.Errorf("Replay(3) after second reopen (-want +got):\n%s", diff)
	}
}

func testSnapshotReplaced(t *testing.T, h Harness) {
	j := h.Open(t)
	AppendWait(t, j, "1", "2", "3", "4", "5", "6")
	InstallSnapshot(t, j, 2, "old")
	InstallSnapshot(t, j, 5, "new")
	errWrite := errors.New("state could not be written")
	err := j.InstallSnapshot(t.Context(), 6, func(w io.Writer) error {
		io.WriteString(w, "partial")
		return errWrite
	})
	if !errors.Is(err, errWrite) {
		t.Errorf("InstallSnapshot(6) with a failing write: error = %v, want %v", err, errWrite)
	}
	if err := j.InstallSnapshot(t.Context(), 3, writeString("older")); err == nil {
		t.Errorf("InstallSnapshot(3) after InstallSnapshot(5) succeeded, want an error")
	}
	if err := j.InstallSnapshot(t.Context(), 7, writeString("future")); err == nil {
		t.Errorf("InstallSnapshot(7) with LastIndex 6 succeeded, want an error")
	}
	check := func(j journal.Journal) {
		t.Helper()
		if index, data := OpenSnapshot(t, j); index != 5 || data != "new" {
			t.Errorf("OpenSnapshot() = %d, %q; want 5, %q", index, data, "new")
		}
	}
	check(j)
	j = h.Reopen(t, j)
	check(j)
	if diff := cmp.Diff([]Record{{6, "6"}}, ReplayAll(t, j, 5)); diff != "" {
		t.Errorf("Replay(5) (-want +got):\n%s", diff)
	}
}

func testSnapshotWhileAppending(t *testing.T, h Harness) {
	j := h.Open(t)
	stop := make(chan struct{})
	appended := make(chan uint64)
	go func() {
		// The only appender, so the n-th record has index n.
		var pending sync.WaitGroup
		n := uint64(0)
		for {
			select {
			case <-stop:
				pending.Wait()
				appended <- n
				return
			default:
			}
			if n%128 == 0 {
				pending.Wait() // keep the queue bounded
			}
			n++
			pending.Add(1)
			j.Append(records(fmt.Sprint(n), fmt.Sprint(n+1)), func(err error) {
				if err != nil {
					t.Errorf("Append() error = %v", err)
				}
				pending.Done()
			})
			n++
		}
	}()
	var last uint64
	for i := range 5 {
		last = j.LastIndex()
		InstallSnapshot(t, j, last, fmt.Sprintf("state %d@%d", i, last))
	}
	close(stop)
	n := <-appended
	j = h.Reopen(t, j)
	index, data := OpenSnapshot(t, j)
	if index != last || data != fmt.Sprintf("state 4@%d", last) {
		t.Errorf("OpenSnapshot() = %d, %q; want %d, %q", index, data, last, fmt.Sprintf("state 4@%d", last))
	}
	got := ReplayAll(t, j, index)
	if uint64(len(got)) != n-index {
		t.Fatalf("Replay(%d) returned %d records, want %d", index, len(got), n-index)
	}
	for k, r := range got {
		if want := index + 1 + uint64(k); r.Index != want || r.Data != fmt.Sprint(want) {
			t.Fatalf("Replay(%d) record %d = %+v, want index and data %d", index, k, r, want)
		}
	}
}

func testLargeRecords(t *testing.T, h Harness) {
	j := h.Open(t)
	const mib = 1 << 20
	want := make([][]byte, 4)
	for i := range want {
		size := mib
		if i == 2 {
			size = 10 // a small one between large ones
		}
		want[i] = make([]byte, size)
		for k := range want[i] {
			want[i][k] = byte(k*7 + i)
		}
	}
	if err := journal.AppendWait(t.Context(), j, want[:2]...); err != nil {
		t.Fatalf("Append() error = %v", err)
	}
	if err := journal.AppendWait(t.Context(), j, want[2:]...); err != nil {
		t.Fatalf("Append() error = %v", err)
	}
	j = h.Reopen(t, j)
	var i int
	err := j.Replay(t.Context(), 0, func(index uint64, rec []byte) error {
		if i >= len(want) {
			return fmt.Errorf("unexpected record %d", index)
		}
		if index != uint64(i+1) || !bytes.Equal(rec, want[i]) {
			t.Errorf("record %d: index %d, %d bytes; want index %d, %d bytes as appended", i, index, len(rec), i+1, len(want[i]))
		}
		i++
		return nil
	})
	if err != nil || i != len(want) {
		t.Errorf("Replay(0) = %d records, error %v; want %d records", i, err, len(want))
	}
}

func testClose(t *testing.T, h Harness) {
	j := h.Open(t)
	const n = 50
	var called, failed atomic.Int32
	for i := range n {
		j.Append(records(fmt.Sprint(i)), func(err error) {
			if err != nil {
				failed.Add(1)
			}
			called.Add(1)
		})
	}
	if err := j.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
	if called.Load() != n || failed.Load() != 0 {
		t.Errorf("after Close, %d callbacks were called, %d with errors; want %d, none", called.Load(), failed.Load(), n)
	}
	if err := j.Close(); err != nil {
		t.Errorf("second Close() = %v, want nil", err)
	}
	j = h.Reopen(t, j)
	if got := j.LastIndex(); got != n {
		t.Errorf("LastIndex() after reopen = %d, want %d", got, n)
	}
}

func testFailureIsSticky(t *testing.T, h Harness) {
	if h.Fail == nil {
		t.Skip("the harness cannot inject failures")
	}
	j := h.Open(t)
	AppendWait(t, j, "1", "2")
	h.Fail(t, j)
	for i := range 3 {
		if err := journal.AppendWait(t.Context(), j, []byte("x")); err == nil {
			t.Errorf("Append() %d after the failure succeeded, want an error", i)
		}
	}
	if err := j.InstallSnapshot(t.Context(), 2, writeString("s")); err == nil {
		t.Errorf("InstallSnapshot() after the failure succeeded, want an error")
	}
	j = h.Reopen(t, j)
	got := ReplayAll(t, j, 0)
	if len(got) < 2 || got[0] != (Record{1, "1"}) || got[1] != (Record{2, "2"}) {
		t.Errorf("Replay(0) after the failure and reopen = %v, want records 1 and 2 first", got)
	}
	if got := AppendWait(t, j, "y"); got != uint64(len(ReplayAll(t, j, 0))) {
		t.Errorf("Append() after reopen gave LastIndex %d, not the index after the replayed records", got)
	}
}
