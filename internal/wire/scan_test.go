package wire

import (
	"encoding/binary"
	"encoding/json"
	"testing"
)

// FuzzScanStringMatchesUnmarshal checks the scanner's strings against
// json.Unmarshal into a string: the scanner accepts exactly the strings
// encoding/json accepts and decodes them to the same value.
func FuzzScanStringMatchesUnmarshal(f *testing.F) {
	for _, s := range []string{
		`""`, `"abc"`, `"a\"b\\c\/d\b\f\n\r\t"`, `"\u0000\u00e9\u4e16\uFFFF"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ude00\ud83d"`,
		`"\ud83d\u0041"`, `"\ud800\ud800\udc00"`, `"\x"`, `"\u12"`, `"\u12G4"`, `"\'"`, "\"a\tb\"", "\"\x7f\"",
		"\"\xff\xfe\xc3\x28\xed\xa0\x80\xf4\x90\x80\x80\xe2\x82\"", "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", `"abc`, `"\`, `"\u`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var want string
		err := json.Unmarshal(data, &want)
		if len(data) == 0 || data[0] != '"' {
			return
		}
		s := scanner{data: data}
		j, ok := s.string()
		ok = ok && s.end()
		if ok != (err == nil) {
			t.Fatalf("scanning %q: ok %v, json.Unmarshal: %v", data, ok, err)
		}
		if !ok {
			return
		}
		if got := s.decodeString(j); got != want {
			t.Errorf("decodeString(%q) = %q, json.Unmarshal: %q", data, got, want)
		}
		if got := string(appendDecoded([]byte("x"), j)); got != "x"+want {
			t.Errorf("appendDecoded(%q) = %q, want %q", data, got, "x"+want)
		}
	})
}

// TestPlain8 checks the eight-byte test against plainByte for every byte
// at every position, among plain bytes and among other non-plain ones.
func TestPlain8(t *testing.T) {
	for _, fill := range []byte{'a', ' ', '~', 0x7f, 0x1f, 0x80, 0xff} {
		for c := range 256 {
			for pos := range 8 {
				var b [8]byte
				for i := range b {
					b[i] = fill
				}
				b[pos] = byte(c)
				want := plainByte[fill] && plainByte[c]
				if got := plain8(binary.LittleEndian.Uint64(b[:])); got != want {
					t.Fatalf("plain8(%q) = %v, want %v", b, got, want)
				}
			}
		}
	}
}
