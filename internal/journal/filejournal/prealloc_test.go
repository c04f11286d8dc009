package filejournal

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"testing/synctest"

	"github.com/sluicehq/sluice/internal/journal/journaltest"
)

// appendN appends n records of 100 bytes (116-byte frames), numbered from
// the journal's next index.
func appendN(t *testing.T, j *Journal, n int) {
	t.Helper()
	for range n {
		journaltest.AppendWait(t, j, fmt.Sprintf("%03d%s", j.LastIndex()+1, bytes.Repeat([]byte("p"), 97)))
	}
}

func TestPreallocatedSegments(t *testing.T) {
	// The writer asks for a spare once a segment is half full (18 records
	// here); synctest.Wait lets the preparer finish it before the test goes
	// on, so that which segment is preallocated does not depend on timing.
	synctest.Test(t, func(t *testing.T) {
		const segSize = 4096
		opts := Options{SegmentSize: segSize}
		j, _ := setup(t, t.TempDir(), opts)
		appendN(t, j, 18)
		synctest.Wait()
		appendN(t, j, 1) // a new journal's first segment is left as soon as a spare is ready
		appendN(t, j, 17)
		synctest.Wait()
		appendN(t, j, 18) // the 36th record of the second segment fills it
		appendN(t, j, 1)
		segs := segmentFiles(t, j.dir)
		if want := []segment{{1, 18 * 116}, {19, 36 * 116}, {55, segSize}}; !slices.Equal(segs, want) {
			t.Fatalf("segment files = %v, want %v: the last two preallocated, the sealed ones ending at their last frame", segs, want)
		}

		// The zeros after the last frame are not damage, and the next
		// record overwrites them.
		j, _ = reopen(t, j, opts)
		if rep := j.Recovery(); rep.Truncated || rep.LastIndex != 55 {
			t.Errorf("Recovery() = %+v, want 55 records and nothing dropped", rep)
		}
		appendN(t, j, 1)

		// Sealing a preallocated segment cuts off its zeros.
		opts.SegmentSize = 256
		j, _ = reopen(t, j, opts)
		appendN(t, j, 1)
		synctest.Wait()
		appendN(t, j, 1)
		segs = segmentFiles(t, j.dir)
		if want := []segment{{1, 18 * 116}, {19, 36 * 116}, {55, 3 * 116}, {58, 256}}; !slices.Equal(segs, want) {
			t.Errorf("segment files = %v, want %v", segs, want)
		}
		j, _ = reopen(t, j, opts)
		if got := len(journaltest.ReplayAll(t, j, 0)); got != 58 {
			t.Errorf("Replay(0) returned %d records, want 58", got)
		}
	})
}

func TestEarlyRollToPreallocatedSegment(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const segSize = 8 << 20
		j, _ := setup(t, t.TempDir(), Options{SegmentSize: segSize})
		big := string(bytes.Repeat([]byte("b"), earlyRollSize/4))
		journaltest.AppendWait(t, j, big, big, big, big) // a new journal's first segment is not preallocated
		synctest.Wait()
		journaltest.AppendWait(t, j, "small")
		segs := segmentFiles(t, j.dir)
		if want := []segment{{1, 4 * (16 + earlyRollSize/4)}, {5, segSize}}; !slices.Equal(segs, want) {
			t.Errorf("segment files = %v, want %v: the writer moves to the spare once it is ready", segs, want)
		}
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
		if m, _ := filepath.Glob(filepath.Join(j.dir, "*"+tmpSuffix)); len(m) > 0 {
			t.Errorf("files left after Close: %v", m)
		}
	})
}
