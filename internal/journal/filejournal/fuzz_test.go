package filejournal

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/sluicehq/sluice/internal/journal"
)

func FuzzDecodeFrame(f *testing.F) {
	f.Add([]byte{}, uint64(1), []byte("payload"))
	f.Add(appendFrame(nil, 7, []byte("hello")), uint64(7), []byte(""))
	f.Add(make([]byte, 16), uint64(1<<63), []byte{0})
	f.Add(appendFrame(nil, 1, nil)[:15], uint64(2), bytes.Repeat([]byte{0xff}, 300))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0}, uint64(0), []byte(nil))
	f.Fuzz(func(t *testing.T, data []byte, index uint64, payload []byte) {
		// Arbitrary bytes: no panic, and a frame that decodes re-encodes to
		// the same bytes.
		if gotIndex, gotPayload, n, err := decodeFrame(data); err == nil {
			if enc := appendFrame(nil, gotIndex, gotPayload); !bytes.Equal(enc, data[:n]) {
				t.Errorf("decodeFrame(%x) = %d, %x, %d; re-encoding gives %x", data, gotIndex, gotPayload, n, enc)
			}
		}
		// A valid frame round-trips, followed by anything.
		enc := appendFrame(nil, index, payload)
		gotIndex, gotPayload, n, err := decodeFrame(append(enc, data...))
		zero := index == 0 && len(payload) == 0 && crcOf(index, payload) == 0
		if zero {
			return // indistinguishable from a zero-filled header, and index 0 is never written
		}
		if err != nil || gotIndex != index || !bytes.Equal(gotPayload, payload) || n != len(enc) {
			t.Errorf("decodeFrame(appendFrame(%d, %x)) = %d, %x, %d, %v", index, payload, gotIndex, gotPayload, n, err)
		}
		// Every strict prefix of a frame is short.
		for _, cut := range []int{0, frameHeaderSize - 1, len(enc) - 1} {
			if cut >= 0 && cut < len(enc) {
				if _, _, _, err := decodeFrame(enc[:cut]); err == nil {
					t.Errorf("decodeFrame of %d of %d bytes succeeded", cut, len(enc))
				}
			}
		}
	})
}

func crcOf(index uint64, payload []byte) uint32 {
	var h [frameHeaderSize]byte
	putFrameHeader(h[:], index, payload)
	fh, _ := parseFrameHeader(h[:])
	return fh.crc
}

func FuzzRecover(f *testing.F) {
	valid := func(recs ...string) []byte {
		var b []byte
		for i, r := range recs {
			b = appendFrame(b, uint64(i+1), []byte(r))
		}
		return b
	}
	full := valid("one", "", "three", "a longer fourth record")
	f.Add([]byte{})
	f.Add(full)
	f.Add(full[:len(full)-5])
	f.Add(full[:20])
	f.Add(append(bytes.Clone(full), make([]byte, 40)...))
	flipped := bytes.Clone(full)
	flipped[len(flipped)-3] ^= 1
	f.Add(flipped)
	f.Add(appendFrame(valid("one"), 3, []byte("skips an index")))
	f.Add(bytes.Repeat([]byte{0xff}, 64))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, segmentName(1)), data)
		j, err := Open(dir, Options{})
		if err != nil {
			t.Fatalf("Open() of a single damaged segment failed, want its tail truncated: %v", err)
		}
		defer j.Close()
		// Re-encoding what is replayed must give a prefix of the file: a
		// damaged tail is dropped, never reinterpreted.
		var enc []byte
		next := uint64(1)
		err = j.Replay(context.Background(), 0, func(index uint64, rec []byte) error {
			if index != next {
				t.Errorf("Replay gave index %d, want %d", index, next)
			}
			next++
			enc = appendFrame(enc, index, rec)
			return nil
		})
		if err != nil {
			t.Fatalf("Replay() error = %v", err)
		}
		if !bytes.HasPrefix(data, enc) {
			t.Fatalf("replayed records re-encode to %x, not a prefix of the segment %x", enc, data)
		}
		// What follows is reported as dropped unless it is all zeros
		// (preallocated space).
		rep := j.Recovery()
		dropped := nonZeroLen(data[len(enc):])
		if rep.Truncated != (dropped > 0) || rep.DroppedBytes != dropped ||
			rep.LastIndex != next-1 || j.LastIndex() != next-1 {
			t.Errorf("Recovery() = %+v, LastIndex() = %d after replaying %d of %d bytes as %d records", rep, j.LastIndex(), len(enc), len(data), next-1)
		}
		if rep.Truncated && rep.Offset != int64(len(enc)) {
			t.Errorf("Recovery().Offset = %d, want %d", rep.Offset, len(enc))
		}
		// The journal goes on from there.
		if err := journal.AppendWait(context.Background(), j, []byte("next")); err != nil {
			t.Fatalf("Append() after recovery error = %v", err)
		}
		if got := j.LastIndex(); got != next {
			t.Errorf("LastIndex() after Append = %d, want %d", got, next)
		}
	})
}
