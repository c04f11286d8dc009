package filejournal

import (
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/journal"
	"github.com/sluicehq/sluice/internal/journal/journaltest"
)

// recordingObserver keeps what a journal reports.
type recordingObserver struct {
	mu        sync.Mutex // guards the fields below
	records   int
	bytes     int64
	syncs     int
	snapshots []int64
}

func (o *recordingObserver) Commit(appends, records int, bytes int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.records += records
	o.bytes += bytes
}

func (o *recordingObserver) Sync(d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.syncs++
}

func (o *recordingObserver) Snapshot(d time.Duration, bytes int64, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err == nil {
		o.snapshots = append(o.snapshots, bytes)
	}
}

func TestObserverSeesCommitsSyncsAndSnapshots(t *testing.T) {
	obs := &recordingObserver{}
	j, _ := setup(t, t.TempDir(), Options{Observer: obs, SegmentSize: 4096})
	rec := make([]byte, 100)
	for range 50 { // about two segments' worth, so the writer rolls
		if err := journal.AppendWait(t.Context(), j, rec, rec); err != nil {
			t.Fatalf("AppendWait() = %v", err)
		}
	}
	journaltest.InstallSnapshot(t, j, 100, "state")

	obs.mu.Lock()
	defer obs.mu.Unlock()
	if obs.records != 100 {
		t.Errorf("observed records = %d, want 100", obs.records)
	}
	// Each frame is the record plus its header.
	if obs.bytes < 100*100 || obs.bytes > 100*200 {
		t.Errorf("observed bytes = %d, want between 10000 and 20000", obs.bytes)
	}
	if obs.syncs < 50 {
		t.Errorf("observed syncs = %d, want at least one per append (50) under SyncAlways", obs.syncs)
	}
	if len(obs.snapshots) != 1 || obs.snapshots[0] < int64(len("state")) {
		t.Errorf("observed snapshots = %v, want one of at least %d bytes", obs.snapshots, len("state"))
	}
}
