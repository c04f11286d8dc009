package filejournal

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sluicehq/sluice/internal/journal"
	"github.com/sluicehq/sluice/internal/journal/journaltest"
)

// setup opens a journal in dir, closed when the test ends, and returns it
// with the buffer its logger writes to.
func setup(t *testing.T, dir string, opts Options) (*Journal, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	j, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open() error = %v", err)
	}
	t.Cleanup(func() { j.Close() })
	return j, &logs
}

// reopen closes j and opens its directory again.
func reopen(t *testing.T, j *Journal, opts Options) (*Journal, *bytes.Buffer) {
	t.Helper()
	j.Close()
	return setup(t, j.dir, opts)
}

func harness(opts Options) journaltest.Harness {
	return journaltest.Harness{
		Open: func(t *testing.T) journal.Journal {
			j, _ := setup(t, t.TempDir(), opts)
			return j
		},
		Reopen: func(t *testing.T, j journal.Journal) journal.Journal {
			j2, _ := reopen(t, j.(*Journal), opts)
			return j2
		},
		Fail: func(t *testing.T, j journal.Journal) {
			// Close the active segment under the writer, so that its next
			// write fails. The writer is idle: the test waited for its
			// last callback, so w.f is not being replaced.
			j.(*Journal).w.f.Close()
		},
	}
}

func TestConformance(t *testing.T) {
	t.Run("Default", func(t *testing.T) { journaltest.Exercise(t, harness(Options{})) })
	t.Run("SmallSegments", func(t *testing.T) { journaltest.Exercise(t, harness(Options{SegmentSize: 256})) })
	t.Run("SyncInterval", func(t *testing.T) {
		journaltest.Exercise(t, harness(Options{Sync: SyncInterval(time.Millisecond)}))
	})
	t.Run("SyncNever", func(t *testing.T) { journaltest.Exercise(t, harness(Options{Sync: SyncNever})) })
}

func TestParseSyncPolicy(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want SyncPolicy
	}{
		{"always", SyncAlways},
		{"never", SyncNever},
		{"interval:10ms", SyncInterval(10 * time.Millisecond)},
		{"interval:1m30s", SyncInterval(90 * time.Second)},
	} {
		got, err := ParseSyncPolicy(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseSyncPolicy(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if s := got.String(); s != tt.in {
			t.Errorf("ParseSyncPolicy(%q).String() = %q, want it back", tt.in, s)
		}
	}
	for _, in := range []string{"", "Always", "sometimes", "interval", "interval:", "interval:0", "interval:-5ms", "interval:soon"} {
		if got, err := ParseSyncPolicy(in); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%q", in)) {
			t.Errorf("ParseSyncPolicy(%q) = %v, %v; want an error naming the value", in, got, err)
		}
	}
	if got := (SyncPolicy(0)).String(); got != "always" {
		t.Errorf("zero SyncPolicy is %q, want always", got)
	}
}

func TestSyncPolicies(t *testing.T) {
	recs := [][]byte{[]byte("a"), []byte("b"), []byte("c")}
	t.Run("Always", func(t *testing.T) {
		j, _ := setup(t, t.TempDir(), Options{})
		if err := journal.AppendWait(t.Context(), j, recs...); err != nil {
			t.Fatalf("Append() error = %v", err)
		}
		if st := j.Stats(); st.Syncs != 1 || st.SyncedRecords != 3 {
			t.Errorf("after one Append: Syncs = %d, SyncedRecords = %d; want 1, 3", st.Syncs, st.SyncedRecords)
		}
	})
	t.Run("Interval", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			const every = 50 * time.Millisecond
			j, _ := setup(t, t.TempDir(), Options{Sync: SyncInterval(every)})
			if err := journal.AppendWait(t.Context(), j, recs...); err != nil {
				t.Fatalf("Append() error = %v", err)
			}
			if st := j.Stats(); st.Syncs != 0 {
				t.Errorf("Syncs = %d right after Append, want 0: the callback must not wait for a sync", st.Syncs)
			}
			time.Sleep(every)
			synctest.Wait()
			if st := j.Stats(); st.Syncs != 1 || st.SyncedRecords != 3 {
				t.Errorf("one interval after Append: Syncs = %d, SyncedRecords = %d; want 1, 3", st.Syncs, st.SyncedRecords)
			}
			time.Sleep(3 * every)
			synctest.Wait()
			if st := j.Stats(); st.Syncs != 1 {
				t.Errorf("Syncs = %d after idle intervals, want 1: nothing to sync", st.Syncs)
			}
		})
	})
	t.Run("Never", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			j, _ := setup(t, t.TempDir(), Options{Sync: SyncNever})
			if err := journal.AppendWait(t.Context(), j, recs...); err != nil {
				t.Fatalf("Append() error = %v", err)
			}
			time.Sleep(time.Minute)
			synctest.Wait()
			if st := j.Stats(); st.Syncs != 0 {
				t.Errorf("Syncs = %d, want 0", st.Syncs)
			}
			if err := j.Close(); err != nil {
				t.Fatalf("Close() = %v", err)
			}
			if st := j.Stats(); st.Syncs != 1 || st.SyncedRecords != 3 {
				t.Errorf("after Close: Syncs = %d, SyncedRecords = %d; want 1, 3 (Close syncs)", st.Syncs, st.SyncedRecords)
			}
		})
	})
}

func TestStatsBytes(t *testing.T) {
	j, _ := setup(t, t.TempDir(), Options{SegmentSize: 200})
	var want int64
	for i := range 40 {
		rec := bytes.Repeat([]byte("x"), i)
		journaltest.AppendWait(t, j, string(rec))
		want += frameHeaderSize + int64(i)
	}
	if st := j.Stats(); st.Records != 40 || st.Bytes != want {
		t.Errorf("Stats() = %+v, want Records 40, Bytes %d", st, want)
	}
	journaltest.InstallSnapshot(t, j, 30, "state")
	want = 0
	for i := 30; i < 40; i++ {
		want += frameHeaderSize + int64(i)
	}
	check := func(j *Journal) {
		t.Helper()
		st := j.Stats()
		if st.Records != 10 || st.Bytes != want || st.SnapshotIndex != 30 || st.SnapshotBytes != 5 {
			t.Errorf("Stats() = %+v, want Records 10, Bytes %d, SnapshotIndex 30, SnapshotBytes 5", st, want)
		}
	}
	check(j)
	j, _ = reopen(t, j, Options{SegmentSize: 200})
	check(j)
}

func TestOpenLockedDirectory(t *testing.T) {
	dir := t.TempDir()
	setup(t, dir, Options{})
	if j, err := Open(dir, Options{}); err == nil {
		j.Close()
		t.Fatalf("second Open() of one directory succeeded, want an error")
	} else if !strings.Contains(err.Error(), "locked") {
		t.Errorf("second Open() error = %v, want it to say the journal is locked", err)
	}
}

func TestOpenRejectsNegativeSegmentSize(t *testing.T) {
	if _, err := Open(t.TempDir(), Options{SegmentSize: -1}); err == nil {
		t.Errorf("Open() with SegmentSize -1 succeeded, want an error")
	}
}

func TestSegmentRollover(t *testing.T) {
	const segSize = 1024
	opts := Options{SegmentSize: segSize}
	j, _ := setup(t, t.TempDir(), opts)
	var want []journaltest.Record
	for i := range 100 {
		data := fmt.Sprintf("%03d%s", i, bytes.Repeat([]byte("r"), 97))
		journaltest.AppendWait(t, j, data)
		want = append(want, journaltest.Record{Index: uint64(i + 1), Data: data})
	}
	j, _ = reopen(t, j, opts)
	segs := segmentFiles(t, j.dir)
	if len(segs) < 10 {
		t.Fatalf("100 records of 116 bytes in %d-byte segments made %d segments, want at least 10", segSize, len(segs))
	}
	next := uint64(1)
	for _, s := range segs {
		if s.first != next {
			t.Errorf("segment %s, want it named for index %d", segmentName(s.first), next)
		}
		if s.size > segSize+116 {
			t.Errorf("segment %s is %d bytes, more than one record over %d", segmentName(s.first), s.size, segSize)
		}
		next = s.first + uint64(s.size/116)
	}
	if diff := cmpRecords(want, journaltest.ReplayAll(t, j, 0)); diff != "" {
		t.Errorf("Replay(0) after reopen (-want +got):\n%s", diff)
	}
	if diff := cmpRecords(want[55:], journaltest.ReplayAll(t, j, 55)); diff != "" {
		t.Errorf("Replay(55) after reopen (-want +got):\n%s", diff)
	}
}

func TestSnapshotDeletesSegments(t *testing.T) {
	opts := Options{SegmentSize: 1024}
	j, _ := setup(t, t.TempDir(), opts)
	for i := range 200 {
		journaltest.AppendWait(t, j, fmt.Sprintf("%03d%s", i+1, bytes.Repeat([]byte("r"), 97)))
	}
	before := dirBytes(t, j.dir)
	journaltest.InstallSnapshot(t, j, 100, "state@100")
	journaltest.InstallSnapshot(t, j, 150, "state@150")

	segs := segmentFiles(t, j.dir)
	if segs[0].first > 151 || (len(segs) > 1 && segs[1].first <= 151) {
		t.Errorf("segments after snapshot at 150 start at %d, %d; want the first to hold 151", segs[0].first, segs[1].first)
	}
	if after := dirBytes(t, j.dir); after > before/3 {
		t.Errorf("directory holds %d bytes after snapshot at 150 of 200 records, was %d; want segments reclaimed", after, before)
	}
	if snaps := snapshotFiles(t, j.dir); !slices.Equal(snaps, []string{snapshotName(150)}) {
		t.Errorf("snapshot files = %v, want only %s", snaps, snapshotName(150))
	}

	j, _ = reopen(t, j, opts)
	if index, data := journaltest.OpenSnapshot(t, j); index != 150 || data != "state@150" {
		t.Errorf("OpenSnapshot() = %d, %q; want 150, state@150", index, data)
	}
	got := journaltest.ReplayAll(t, j, 150)
	if len(got) != 50 || got[0].Index != 151 || !strings.HasPrefix(got[0].Data, "151") {
		t.Errorf("Replay(150) = %d records starting %v, want 50 from 151", len(got), got[0])
	}
	if err := j.Replay(t.Context(), 0, func(uint64, []byte) error { return nil }); err == nil {
		t.Errorf("Replay(0) after segments were deleted succeeded, want an error")
	}

	// A snapshot of everything deletes every sealed segment but keeps the
	// active one.
	journaltest.InstallSnapshot(t, j, 200, "state@200")
	if segs := segmentFiles(t, j.dir); len(segs) != 1 {
		t.Errorf("after snapshot at the last index, %d segments remain, want the active one", len(segs))
	}
	j, _ = reopen(t, j, opts)
	if got := j.LastIndex(); got != 200 {
		t.Errorf("LastIndex() = %d, want 200", got)
	}
	if got := journaltest.AppendWait(t, j, "201"); got != 201 {
		t.Errorf("LastIndex() after Append = %d, want 201", got)
	}
}

func TestCorruptSnapshotFallsBack(t *testing.T) {
	j, _ := setup(t, t.TempDir(), Options{})
	journaltest.AppendWait(t, j, "1", "2", "3", "4", "5", "6")
	journaltest.InstallSnapshot(t, j, 3, "older")
	older := readFile(t, filepath.Join(j.dir, snapshotName(3)))
	journaltest.InstallSnapshot(t, j, 6, "newer")
	// As if the process had stopped before deleting the older snapshot.
	writeFile(t, filepath.Join(j.dir, snapshotName(3)), older)
	if index, data := journaltest.OpenSnapshot(t, j); index != 6 || data != "newer" {
		t.Fatalf("OpenSnapshot() = %d, %q; want 6, newer", index, data)
	}

	newest := filepath.Join(j.dir, snapshotName(6))
	b := readFile(t, newest)
	b[len(b)-1] ^= 0x01
	writeFile(t, newest, b)
	j, logs := reopen(t, j, Options{})
	if index, data := journaltest.OpenSnapshot(t, j); index != 3 || data != "older" {
		t.Errorf("OpenSnapshot() with the newest damaged = %d, %q; want 3, older", index, data)
	}
	if !strings.Contains(logs.String(), "damaged snapshot") {
		t.Errorf("log does not mention the damaged snapshot:\n%s", logs)
	}
	if diff := cmpRecords([]journaltest.Record{{Index: 4, Data: "4"}, {Index: 5, Data: "5"}, {Index: 6, Data: "6"}}, journaltest.ReplayAll(t, j, 3)); diff != "" {
		t.Errorf("Replay(3) (-want +got):\n%s", diff)
	}

	writeFile(t, filepath.Join(j.dir, snapshotName(3)), older[:len(older)-1])
	if _, _, err := j.OpenSnapshot(t.Context()); err != journal.ErrNoSnapshot {
		t.Errorf("OpenSnapshot() with every snapshot damaged: error = %v, want ErrNoSnapshot", err)
	}
}

// segmentFiles lists the segment files in dir.
func segmentFiles(t *testing.T, dir string) []segment {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var segs []segment
	for _, e := range entries {
		if first, ok := parseIndexName(e.Name(), "", segmentSuffix); ok {
			fi, err := e.Info()
			if err != nil {
				t.Fatal(err)
			}
			segs = append(segs, segment{first: first, size: fi.Size()})
		}
	}
	return segs
}

func snapshotFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, snapshotPrefix+"*"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	return m
}

func dirBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	for _, s := range segmentFiles(t, dir) {
		n += s.size
	}
	return n
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
