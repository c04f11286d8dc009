package memjournal

import (
	"errors"
	"testing"
	"testing/synctest"

	"github.com/sluicehq/sluice/internal/journal"
	"github.com/sluicehq/sluice/internal/journal/journaltest"
)

func TestConformance(t *testing.T) {
	journaltest.Exercise(t, journaltest.Harness{
		Open: func(t *testing.T) journal.Journal {
			j := New()
			t.Cleanup(func() { j.Close() })
			return j
		},
		Reopen: func(t *testing.T, j journal.Journal) journal.Journal {
			j2 := j.(*Journal).Reopen()
			t.Cleanup(func() { j2.Close() })
			return j2
		},
		Fail: func(t *testing.T, j journal.Journal) {
			j.(*Journal).FailWith(errors.New("injected failure"))
		},
	})
}

func TestFailWithIsStickyUntilReopen(t *testing.T) {
	j := New()
	journaltest.AppendWait(t, j, "1")
	errDisk := errors.New("disk on fire")
	j.FailWith(errDisk)
	for range 2 {
		if err := journal.AppendWait(t.Context(), j, []byte("x")); !errors.Is(err, errDisk) {
			t.Errorf("Append() after FailWith = %v, want %v", err, errDisk)
		}
	}
	j = j.Reopen()
	if got := journaltest.AppendWait(t, j, "2"); got != 2 {
		t.Errorf("Append() after Reopen gave LastIndex %d, want 2", got)
	}
}

func TestDoneIsCalledBeforeAppendReturns(t *testing.T) {
	j := New()
	called := false
	j.Append([][]byte{[]byte("a")}, func(err error) {
		if err != nil {
			t.Errorf("Append() error = %v", err)
		}
		called = true
	})
	if !called {
		t.Errorf("done was not called before Append returned")
	}
}

func TestAppendCopiesRecords(t *testing.T) {
	j := New()
	rec := []byte("original")
	journaltest.AppendWait(t, j, string(rec))
	j.Append([][]byte{rec}, func(error) {})
	copy(rec, "changed!")
	got := journaltest.ReplayAll(t, j.Reopen(), 0)
	if got[1].Data != "original" {
		t.Errorf("record 2 = %q after the caller reused its slice, want %q", got[1].Data, "original")
	}
}

func TestUsableInSynctestBubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		j := New()
		journaltest.AppendWait(t, j, "1", "2", "3")
		journaltest.InstallSnapshot(t, j, 2, "state@2")
		synctest.Wait() // j runs no goroutines, so there is nothing to wait for
		j = j.Reopen()
		if index, data := journaltest.OpenSnapshot(t, j); index != 2 || data != "state@2" {
			t.Errorf("OpenSnapshot() = %d, %q; want 2, state@2", index, data)
		}
		if got := journaltest.ReplayAll(t, j, 2); len(got) != 1 || got[0].Data != "3" {
			t.Errorf("Replay(2) = %v, want record 3", got)
		}
		j.Close()
	})
}
