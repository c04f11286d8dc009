package natsjournal

import (
	"encoding/binary"
	"testing"

	"github.com/nats-io/nats.go"
)

// FuzzDecode feeds arbitrary batch bodies and headers to the decoders that
// read what is stored in the stream: they must fail cleanly, never panic,
// and never yield more records than the header counts or bytes beyond the
// body.
func FuzzDecode(f *testing.F) {
	body := binary.AppendUvarint(nil, 3)
	body = append(body, "abc"...)
	body = binary.AppendUvarint(body, 0)
	f.Add(body, uint64(2), "7", "2", "whole")
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, uint64(1), "1", "1", "first")
	f.Add([]byte{}, uint64(0), "0", "0", "middle")
	f.Fuzz(func(t *testing.T, body []byte, count uint64, index, n, chunk string) {
		h := nats.Header{}
		h.Set(hdrIndex, index)
		h.Set(hdrCount, n)
		h.Set(hdrChunk, chunk)
		if b, err := parseHeader(h); err == nil && (b.first == 0 || b.chunk < 0 || b.chunk > chunkWhole) {
			t.Fatalf("parseHeader(%v) = %+v, accepted a bad header", h, b)
		}
		var got uint64
		var total int
		err := decode(body, count%1024, func(k uint64, rec []byte) error {
			if k != got {
				t.Fatalf("record %d reported as %d", got, k)
			}
			got++
			total += len(rec)
			return nil
		})
		if got > count%1024 || total > len(body) {
			t.Fatalf("decode yielded %d records, %d bytes from a %d-byte body counting %d", got, total, len(body), count%1024)
		}
		if err == nil && got != count%1024 {
			t.Fatalf("decode succeeded with %d of %d records", got, count%1024)
		}
	})
}
