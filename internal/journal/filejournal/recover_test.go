package filejournal

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sluicehq/sluice/internal/journal/journaltest"
)

func cmpRecords(want, got []journaltest.Record) string { return cmp.Diff(want, got) }

// smallLog writes five records to a fresh journal in one segment, closes it
// and returns the directory, the segment's bytes, the records, and the
// offset where the last frame starts.
func smallLog(t *testing.T) (dir string, seg []byte, recs []journaltest.Record, lastFrame int64) {
	t.Helper()
	j, _ := setup(t, t.TempDir(), Options{})
	for i, data := range []string{"one", "", "three", "four", "the fifth record"} {
		journaltest.AppendWait(t, j, data)
		recs = append(recs, journaltest.Record{Index: uint64(i + 1), Data: data})
		if i < 4 {
			lastFrame += frameHeaderSize + int64(len(data))
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	return j.dir, readFile(t, filepath.Join(j.dir, segmentName(1))), recs, lastFrame
}

// damaged copies seg, changed by mutate, as the only segment of a new
// directory.
func damaged(t *testing.T, seg []byte, mutate func([]byte) []byte) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, segmentName(1)), mutate(append([]byte(nil), seg...)))
	return dir
}

func TestTornTail(t *testing.T) {
	_, seg, recs, lastFrame := smallLog(t)
	for cut := lastFrame; cut < int64(len(seg)); cut++ {
		t.Run(fmt.Sprint(cut), func(t *testing.T) {
			dir := damaged(t, seg, func(b []byte) []byte { return b[:cut] })
			j, logs := setup(t, dir, Options{})
			if diff := cmpRecords(recs[:4], journaltest.ReplayAll(t, j, 0)); diff != "" {
				t.Errorf("Replay(0) (-want +got):\n%s", diff)
			}
			rep := j.Recovery()
			if cut == lastFrame {
				// A cut between frames is a clean end.
				if rep.Truncated || strings.Contains(logs.String(), "WARN") {
					t.Errorf("Recovery() = %+v, want nothing dropped; log:\n%s", rep, logs)
				}
				return
			}
			want := RecoveryReport{
				Segments: 1, Records: 4, LastIndex: 4,
				Truncated: true, Segment: segmentName(1), Offset: lastFrame,
				DroppedBytes: nonZeroLen(seg[lastFrame:cut]), Reason: errShortFrame.Error(),
			}
			if diff := cmp.Diff(want, rep); diff != "" {
				t.Errorf("Recovery() (-want +got):\n%s", diff)
			}
			if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), fmt.Sprintf("bytes=%d", want.DroppedBytes)) {
				t.Errorf("log does not warn of the %d bytes dropped:\n%s", want.DroppedBytes, logs)
			}
			if fi, err := os.Stat(filepath.Join(dir, segmentName(1))); err != nil || fi.Size() != lastFrame {
				t.Errorf("segment after recovery: %v, %v; want it truncated to %d bytes", fi.Size(), err, lastFrame)
			}
			if got := journaltest.AppendWait(t, j, "new fifth"); got != 5 {
				t.Errorf("Append() after recovery gave index %d, want 5", got)
			}
		})
	}
}

func TestFlippedByteInTail(t *testing.T) {
	_, seg, recs, lastFrame := smallLog(t)
	for off := lastFrame; off < int64(len(seg)); off++ {
		t.Run(fmt.Sprint(off), func(t *testing.T) {
			dir := damaged(t, seg, func(b []byte) []byte { b[off] ^= 0x40; return b })
			j, _ := setup(t, dir, Options{})
			if diff := cmpRecords(recs[:4], journaltest.ReplayAll(t, j, 0)); diff != "" {
				t.Errorf("Replay(0) (-want +got):\n%s", diff)
			}
			rep := j.Recovery()
			if !rep.Truncated || rep.Offset != lastFrame || rep.DroppedBytes != nonZeroLen(seg[lastFrame:]) || rep.LastIndex != 4 || rep.Reason == "" {
				t.Errorf("Recovery() = %+v, want the last frame (offset %d, %d bytes) dropped after index 4",
					rep, lastFrame, int64(len(seg))-lastFrame)
			}
		})
	}
}

func TestDamageInLastSegmentDropsTheRest(t *testing.T) {
	_, seg, recs, _ := smallLog(t)
	third := int64(2*frameHeaderSize + len("one"))
	dir := damaged(t, seg, func(b []byte) []byte { b[third+frameHeaderSize] ^= 0xff; return b })
	j, _ := setup(t, dir, Options{})
	if diff := cmpRecords(recs[:2], journaltest.ReplayAll(t, j, 0)); diff != "" {
		t.Errorf("Replay(0) (-want +got):\n%s", diff)
	}
	if rep := j.Recovery(); rep.Offset != third || rep.Reason != errBadChecksum.Error() {
		t.Errorf("Recovery() = %+v, want a bad checksum at offset %d", rep, third)
	}
}

func TestZeroTailIsPreallocatedSpace(t *testing.T) {
	_, seg, recs, _ := smallLog(t)
	dir := damaged(t, seg, func(b []byte) []byte { return append(b, make([]byte, 4096)...) })
	j, logs := setup(t, dir, Options{})
	if diff := cmpRecords(recs, journaltest.ReplayAll(t, j, 0)); diff != "" {
		t.Errorf("Replay(0) (-want +got):\n%s", diff)
	}
	if rep := j.Recovery(); rep.Truncated || strings.Contains(logs.String(), "WARN") {
		t.Errorf("Recovery() = %+v, want nothing dropped: zeros after the last frame are preallocated space; log:\n%s", rep, logs)
	}
	// The next record overwrites the zeros.
	journaltest.AppendWait(t, j, "six")
	j, _ = reopen(t, j, Options{})
	want := append(recs, journaltest.Record{Index: 6, Data: "six"})
	if diff := cmpRecords(want, journaltest.ReplayAll(t, j, 0)); diff != "" {
		t.Errorf("Replay(0) after appending over the zeros (-want +got):\n%s", diff)
	}
	if fi, err := os.Stat(filepath.Join(dir, segmentName(1))); err != nil || fi.Size() != int64(len(seg))+4096 {
		t.Errorf("segment is %v bytes (%v), want the preallocated %d kept", fi.Size(), err, len(seg)+4096)
	}
}

func TestZerosThenDamage(t *testing.T) {
	_, seg, recs, _ := smallLog(t)
	dir := damaged(t, seg, func(b []byte) []byte {
		b = append(b, make([]byte, 4096)...)
		return append(b, "garbage"...)
	})
	j, _ := setup(t, dir, Options{})
	if diff := cmpRecords(recs, journaltest.ReplayAll(t, j, 0)); diff != "" {
		t.Errorf("Replay(0) (-want +got):\n%s", diff)
	}
	want := RecoveryReport{
		Segments: 1, Records: 5, LastIndex: 5,
		Truncated: true, Segment: segmentName(1), Offset: int64(len(seg)),
		DroppedBytes: 4096 + 7, Reason: errZeroFrame.Error(),
	}
	if diff := cmp.Diff(want, j.Recovery()); diff != "" {
		t.Errorf("Recovery() (-want +got):\n%s", diff)
	}
}

// nonZeroLen returns the length of b without its trailing zero bytes.
func nonZeroLen(b []byte) int64 {
	n := len(b)
	for n > 0 && b[n-1] == 0 {
		n--
	}
	return int64(n)
}

func TestWrongIndexInTail(t *testing.T) {
	_, seg, recs, _ := smallLog(t)
	// A valid frame with an index that does not follow.
	dir := damaged(t, seg, func(b []byte) []byte { return appendFrame(b, 9, []byte("stray")) })
	j, _ := setup(t, dir, Options{})
	if diff := cmpRecords(recs, journaltest.ReplayAll(t, j, 0)); diff != "" {
		t.Errorf("Replay(0) (-want +got):\n%s", diff)
	}
	if rep := j.Recovery(); !strings.Contains(rep.Reason, "wrong index 9, want 6") {
		t.Errorf("Recovery() = %+v, want a wrong index", rep)
	}
}

// multiSegment writes 40 records in 256-byte segments and closes the
// journal, returning its directory and segments.
func multiSegment(t *testing.T) (string, []segment) {
	t.Helper()
	j, _ := setup(t, t.TempDir(), Options{SegmentSize: 256})
	for i := range 40 {
		journaltest.AppendWait(t, j, fmt.Sprintf("record %02d", i+1))
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	segs := segmentFiles(t, j.dir)
	if len(segs) < 3 {
		t.Fatalf("%d segments, want at least 3", len(segs))
	}
	return j.dir, segs
}

func TestDamageBeforeLastSegmentIsAnError(t *testing.T) {
	for _, tt := range []struct {
		name   string
		mutate func(b []byte) []byte
		want   string
	}{
		{"FlippedByte", func(b []byte) []byte { b[40] ^= 0x01; return b }, "offset"},
		{"Truncated", func(b []byte) []byte { return b[:len(b)-3] }, "short frame"},
		{"ZeroFilled", func(b []byte) []byte { return append(b, make([]byte, 64)...) }, "zero"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir, segs := multiSegment(t)
			path := filepath.Join(dir, segmentName(segs[1].first))
			writeFile(t, path, tt.mutate(readFile(t, path)))
			j, err := Open(dir, Options{})
			if err == nil {
				j.Close()
				t.Fatalf("Open() with sealed segment %s damaged succeeded, want an error", segmentName(segs[1].first))
			}
			if !strings.Contains(err.Error(), segmentName(segs[1].first)) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open() error = %v, want it to name %s and say %q", err, segmentName(segs[1].first), tt.want)
			}
		})
	}
}

func TestIndexGapIsAnError(t *testing.T) {
	t.Run("MissingMiddleSegment", func(t *testing.T) {
		dir, segs := multiSegment(t)
		if err := os.Remove(filepath.Join(dir, segmentName(segs[1].first))); err != nil {
			t.Fatal(err)
		}
		if j, err := Open(dir, Options{}); err == nil {
			j.Close()
			t.Fatal("Open() with a segment missing succeeded, want an error")
		} else if !strings.Contains(err.Error(), "gap") || !strings.Contains(err.Error(), segmentName(segs[2].first)) {
			t.Errorf("Open() error = %v, want an index gap naming %s", err, segmentName(segs[2].first))
		}
	})
	t.Run("MissingFirstSegment", func(t *testing.T) {
		dir, segs := multiSegment(t)
		if err := os.Remove(filepath.Join(dir, segmentName(segs[0].first))); err != nil {
			t.Fatal(err)
		}
		if j, err := Open(dir, Options{}); err == nil {
			j.Close()
			t.Fatal("Open() with the first segment missing and no snapshot succeeded, want an error")
		}
	})
}

func TestSnapshotAheadOfLog(t *testing.T) {
	j, _ := setup(t, t.TempDir(), Options{})
	journaltest.AppendWait(t, j, "1", "2", "3", "4", "5")
	journaltest.InstallSnapshot(t, j, 5, "state@5")
	j.Close()
	// Lose records 3 to 5, which the snapshot covers, leaving zeros as in a
	// preallocated segment.
	path := filepath.Join(j.dir, segmentName(1))
	writeFile(t, path, append(readFile(t, path)[:2*frameHeaderSize+2], make([]byte, 1024)...))

	j, _ = setup(t, j.dir, Options{})
	if got := j.LastIndex(); got != 5 {
		t.Errorf("LastIndex() = %d, want the snapshot's 5", got)
	}
	if got := journaltest.AppendWait(t, j, "6"); got != 6 {
		t.Errorf("Append() gave index %d, want 6", got)
	}
	// The old segment is now sealed; it must not look damaged.
	j, _ = reopen(t, j, Options{})
	if diff := cmpRecords([]journaltest.Record{{Index: 6, Data: "6"}}, journaltest.ReplayAll(t, j, 5)); diff != "" {
		t.Errorf("Replay(5) (-want +got):\n%s", diff)
	}
}

func TestEmptyLastSegmentIsReused(t *testing.T) {
	j, _ := setup(t, t.TempDir(), Options{})
	journaltest.AppendWait(t, j, "1", "2", "3")
	j.Close()
	// As if the process stopped right after creating the next segment.
	writeFile(t, filepath.Join(j.dir, segmentName(4)), nil)
	j, _ = setup(t, j.dir, Options{})
	if got := journaltest.AppendWait(t, j, "4"); got != 4 {
		t.Errorf("Append() gave index %d, want 4", got)
	}
	j, _ = reopen(t, j, Options{})
	want := []journaltest.Record{{Index: 1, Data: "1"}, {Index: 2, Data: "2"}, {Index: 3, Data: "3"}, {Index: 4, Data: "4"}}
	if diff := cmpRecords(want, journaltest.ReplayAll(t, j, 0)); diff != "" {
		t.Errorf("Replay(0) (-want +got):\n%s", diff)
	}
}

func TestUnfinishedSnapshotIsRemoved(t *testing.T) {
	j, _ := setup(t, t.TempDir(), Options{})
	journaltest.AppendWait(t, j, "1")
	j.Close()
	tmp := filepath.Join(j.dir, snapshotName(1)+tmpSuffix)
	writeFile(t, tmp, []byte("half a snapshot"))
	j, _ = setup(t, j.dir, Options{})
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("unfinished snapshot still there after Open: %v", err)
	}
}
