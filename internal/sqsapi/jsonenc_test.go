package sqsapi

import (
	"bytes"
	"encoding/json"
	"testing"
)

// encodingJSON is what awswire.Respond writes for v without an appender.
func encodingJSON(t *testing.T, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// wantSameJSON fails unless the hand-written encoding of v is encoding/json's.
func wantSameJSON(t *testing.T, v interface{ AppendJSON([]byte) []byte }) {
	t.Helper()
	got, want := v.AppendJSON(nil), encodingJSON(t, v)
	if !bytes.Equal(got, want) {
		t.Fatalf("AppendJSON() =\n%s\nencoding/json =\n%s", got, want)
	}
}

// receiveOutputOf builds a ReceiveMessage result from fuzzed strings.
func receiveOutputOf(s1, s2 string, bin []byte, n uint8) receiveMessageOutput {
	var out receiveMessageOutput
	for i := range int(n % 4) {
		m := message{MessageId: s1, ReceiptHandle: s2 + s1, MD5OfBody: "5d41402abc4b2a76b9719d911017c592", Body: s2}
		if i%2 == 0 {
			m.Attributes = map[string]string{"SenderId": s1, s2: s1, "ApproximateReceiveCount": "1", "": s2}
			m.MD5OfMessageAttributes = s1
			str := s2
			m.MessageAttributes = map[string]attributeValue{
				s1:     {DataType: "String", StringValue: &str},
				"bin":  {DataType: "Binary", BinaryValue: bin},
				"list": {DataType: s2, StringListValues: []string{s1, s2}, BinaryListValues: [][]byte{bin, nil, {}}},
				"zero": {DataType: "Binary", BinaryValue: []byte{}},
			}
		}
		out.Messages = append(out.Messages, m)
	}
	return out
}

func sendBatchOutputOf(s1, s2 string, n uint8) sendMessageBatchOutput {
	var out sendMessageBatchOutput
	if n&1 != 0 {
		out.Successful = []sendBatchResult{}
		out.Failed = []batchError{}
	}
	for i := range int(n>>1) % 4 {
		r := sendBatchResult{Id: s1, MessageId: s2, MD5OfMessageBody: s1}
		if i%2 == 1 {
			r.MD5OfMessageAttributes, r.MD5OfMessageSystemAttributes, r.SequenceNumber = s2, s1, s2
		}
		out.Successful = append(out.Successful, r)
		out.Failed = append(out.Failed, batchError{Id: s1, SenderFault: i%2 == 0, Code: s2, Message: s1[:len(s1)*(i%2)]})
	}
	return out
}

var encodeSeeds = []struct {
	s1, s2 string
	bin    []byte
}{
	{"hello", "AQEB-receipt", []byte("Hello binary world!")},
	{"", "", nil},
	{"quote\" back\\slash \b\f\n\r\t\x00\x1f \x7f", "<html>&amp;</html>", []byte{0, 1, 2}},
	{"héllo wörld ☃ 😀", "\u2028\u2029", []byte{0xff}},
	{"bad utf-8 \xff\xfe \xc3", "\xed\xa0\x80 surrogate", nil},
}

// Whatever the result, the hand-written encoders write what encoding/json
// writes.
func FuzzAppendJSON(f *testing.F) {
	for _, s := range encodeSeeds {
		f.Add(s.s1, s.s2, s.bin, uint8(3))
	}
	f.Fuzz(func(t *testing.T, s1, s2 string, bin []byte, n uint8) {
		wantSameJSON(t, receiveOutputOf(s1, s2, bin, n))
		wantSameJSON(t, sendBatchOutputOf(s1, s2, n))
	})
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	for _, s := range encodeSeeds {
		for n := range uint8(8) {
			wantSameJSON(t, receiveOutputOf(s.s1, s.s2, s.bin, n))
			wantSameJSON(t, sendBatchOutputOf(s.s1, s.s2, n))
		}
	}
}

// BenchmarkEncodeResult compares the hand-written encoders with
// encoding/json on the results of BenchmarkCycle's calls: ten 256-byte
// messages with one attribute and their receipt handles and MD5s.
func BenchmarkEncodeResult(b *testing.B) {
	body := string(bytes.Repeat([]byte("sluice-0"), 32))
	kind := "bench"
	var recv receiveMessageOutput
	var sent sendMessageBatchOutput
	sent.Failed = []batchError{}
	for i := range 10 {
		recv.Messages = append(recv.Messages, message{MessageId: "0b6ad3a4-6a1e-4b6e-9f4d-3c1e2a5b7c8d", ReceiptHandle: "AAAAAAAAAAEAAAAAAAAAAUBAB-I4P5Ge",
			MD5OfBody: "5d41402abc4b2a76b9719d911017c592", Body: body, MD5OfMessageAttributes: "c932db14a896c663f83c260297d594ff",
			MessageAttributes: map[string]attributeValue{"kind": {DataType: "String", StringValue: &kind}}})
		sent.Successful = append(sent.Successful, sendBatchResult{Id: string(rune('0' + i)), MessageId: "0b6ad3a4-6a1e-4b6e-9f4d-3c1e2a5b7c8d",
			MD5OfMessageBody: "5d41402abc4b2a76b9719d911017c592", MD5OfMessageAttributes: "c932db14a896c663f83c260297d594ff"})
	}
	for _, c := range []struct {
		name string
		v    interface{ AppendJSON([]byte) []byte }
	}{{"ReceiveMessage", recv}, {"SendMessageBatch", sent}} {
		b.Run(c.name+"/encoding-json", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var buf bytes.Buffer
				enc := json.NewEncoder(&buf)
				enc.SetEscapeHTML(false)
				if err := enc.Encode(c.v); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/append", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.v.AppendJSON(nil)
			}
		})
	}
}
