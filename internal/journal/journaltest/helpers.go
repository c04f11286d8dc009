package journaltest

import (
	"io"
	"testing"

	"github.com/sluicehq/sluice/internal/journal"
)

// AppendWait appends recs as one batch, waits for them to be durable and
// returns j.LastIndex(). It fails the test if the append fails.
func AppendWait(t testing.TB, j journal.Journal, recs ...string) uint64 {
	t.Helper()
	if err := journal.AppendWait(t.Context(), j, records(recs...)...); err != nil {
		t.Fatalf("Append(%q) error = %v", recs, err)
	}
	return j.LastIndex()
}

// ReplayAll returns every record above after. It fails the test if Replay
// fails.
func ReplayAll(t testing.TB, j journal.Journal, after uint64) []Record {
	t.Helper()
	var got []Record
	err := j.Replay(t.Context(), after, func(index uint64, rec []byte) error {
		got = append(got, Record{index, string(rec)})
		return nil
	})
	if err != nil {
		t.Fatalf("Replay(%d) error = %v", after, err)
	}
	return got
}

// InstallSnapshot installs data as the snapshot at index. It fails the test
// if that fails.
func InstallSnapshot(t testing.TB, j journal.Journal, index uint64, data string) {
	t.Helper()
	if err := j.InstallSnapshot(t.Context(), index, writeString(data)); err != nil {
		t.Fatalf("InstallSnapshot(%d) error = %v", index, err)
	}
}

// OpenSnapshot returns the newest snapshot's index and contents. It fails
// the test if there is none.
func OpenSnapshot(t testing.TB, j journal.Journal) (uint64, string) {
	t.Helper()
	index, r, err := j.OpenSnapshot(t.Context())
	if err != nil {
		t.Fatalf("OpenSnapshot() error = %v", err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading snapshot %d: %v", index, err)
	}
	return index, string(b)
}

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := io.WriteString(w, s)
		return err
	}
}

func records(recs ...string) [][]byte {
	b := make([][]byte, len(recs))
	for i, s := range recs {
		b[i] = []byte(s)
	}
	return b
}
