package wire

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/jsonstr"
)

// The hot documents are encoded by appending to a buffer directly, without
// reflection and without the intermediate documents: encoding/json runs the
// custom MarshalJSON of time.Time and SendRequest and then re-validates
// their output, and FromMessage copies each body into a string. Each Append
// function writes exactly the bytes json.Marshal writes for the document
// it names (TestAppendMatchesMarshal and FuzzAppendString check this), so
// the wire format has one definition: the document types.

// AppendReceiveResponse appends the JSON of the ReceiveResponse for msgs
// (each converted with FromMessage) to b. It fails, as json.Marshal does,
// only for a time outside the years 0 to 9999.
func AppendReceiveResponse(b []byte, msgs []sluice.Message) ([]byte, error) {
	b = append(b, `{"messages":[`...)
	for i := range msgs {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendMessage(b, &msgs[i]); err != nil {
			return b, err
		}
	}
	return append(b, "]}"...), nil
}

func appendMessage(b []byte, m *sluice.Message) ([]byte, error) {
	b = append(b, `{"id":`...)
	b = appendString(b, m.ID)
	if utf8.Valid(m.Body) {
		b = append(b, `,"body":`...)
		b = appendString(b, m.Body)
	} else {
		b = append(b, `,"body_base64":"`...)
		b = base64.StdEncoding.AppendEncode(b, m.Body)
		b = append(b, '"')
	}
	if len(m.Attributes) > 0 {
		b = append(b, `,"attributes":`...)
		b = appendAttributes(b, m.Attributes)
	}
	b = appendOptional(b, `,"tenant":`, m.Tenant)
	b = appendOptional(b, `,"group_id":`, m.GroupID)
	b = appendOptional(b, `,"dedup_id":`, m.DedupID)
	b = append(b, `,"sequence":`...)
	b = strconv.AppendUint(b, m.Sequence, 10)
	b = append(b, `,"sent_at":`...)
	var err error
	if b, err = appendTime(b, m.SentAt); err != nil {
		return b, err
	}
	if !m.FirstReceivedAt.IsZero() {
		b = append(b, `,"first_received_at":`...)
		if b, err = appendTime(b, m.FirstReceivedAt); err != nil {
			return b, err
		}
	}
	b = append(b, `,"receive_count":`...)
	b = strconv.AppendInt(b, int64(m.ReceiveCount), 10)
	b = append(b, `,"receipt":`...)
	b = appendString(b, m.Receipt)
	b = appendOptional(b, `,"source_queue":`, m.SourceQueue)
	return append(b, '}'), nil
}

// appendAttributes appends attrs as FromAttribute documents, in the order of
// their names as encoding/json sorts map keys.
func appendAttributes(b []byte, attrs map[string]sluice.Attribute) []byte {
	b = append(b, '{')
	if len(attrs) == 1 {
		for name, a := range attrs {
			b = appendAttribute(b, name, a)
		}
		return append(b, '}')
	}
	names := make([]string, 0, len(attrs))
	for name := range attrs {
		names = append(names, name)
	}
	slices.Sort(names)
	for i, name := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendAttribute(b, name, attrs[name])
	}
	return append(b, '}')
}

func appendAttribute(b []byte, name string, a sluice.Attribute) []byte {
	b = appendString(b, name)
	b = append(b, `:{"type":`...)
	b = appendString(b, a.Type)
	if a.BaseType() == "Binary" {
		if len(a.Binary) > 0 {
			b = append(b, `,"binary":"`...)
			b = base64.StdEncoding.AppendEncode(b, a.Binary)
			b = append(b, '"')
		}
	} else {
		b = appendOptional(b, `,"value":`, a.String)
	}
	return append(b, '}')
}

// AppendSendResponse appends the JSON of the response to a send with
// results to b: a SendBatchResponse for a batch, otherwise the SendResult
// of results[0].
func AppendSendResponse(b []byte, results []sluice.SendResult, batch bool) []byte {
	if !batch {
		return appendSendResult(b, results[0])
	}
	b = append(b, `{"messages":[`...)
	for i, r := range results {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendSendResult(b, r)
	}
	return append(b, "]}"...)
}

func appendSendResult(b []byte, r sluice.SendResult) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, r.ID)
	b = append(b, `,"sequence":`...)
	b = strconv.AppendUint(b, r.Sequence, 10)
	b = append(b, `,"duplicate":`...)
	b = strconv.AppendBool(b, r.Duplicate)
	if r.Tracked {
		b = append(b, `,"tracked":true`...)
	}
	return append(b, '}')
}

// AppendJSON appends the JSON of r to b.
func (r AckResponse) AppendJSON(b []byte) []byte {
	b = appendEntryResults(b, `{"results":`, r.Results)
	b = append(b, `,"acked":`...)
	b = strconv.AppendInt(b, int64(r.Acked), 10)
	b = append(b, `,"failed":`...)
	b = strconv.AppendInt(b, int64(r.Failed), 10)
	return append(b, '}')
}

// AppendJSON appends the JSON of r to b.
func (r VisibilityResponse) AppendJSON(b []byte) []byte {
	b = appendEntryResults(b, `{"results":`, r.Results)
	b = append(b, `,"changed":`...)
	b = strconv.AppendInt(b, int64(r.Changed), 10)
	b = append(b, `,"failed":`...)
	b = strconv.AppendInt(b, int64(r.Failed), 10)
	return append(b, '}')
}

func appendEntryResults(b []byte, prefix string, results []EntryResult) []byte {
	b = append(b, prefix...)
	if results == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, r := range results {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"receipt":`...)
		b = appendString(b, r.Receipt)
		b = append(b, `,"error":`...)
		if r.Error == nil {
			b = append(b, "null"...)
		} else {
			b = r.Error.appendJSON(b)
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

func (e *ErrorBody) appendJSON(b []byte) []byte {
	b = append(b, `{"code":`...)
	b = appendString(b, e.Code)
	b = append(b, `,"message":`...)
	b = appendString(b, e.Message)
	b = appendOptional(b, `,"field":`, e.Field)
	if e.Limit != 0 {
		b = append(b, `,"limit":`...)
		b = strconv.AppendInt(b, e.Limit, 10)
	}
	if e.Got != 0 {
		b = append(b, `,"got":`...)
		b = strconv.AppendInt(b, e.Got, 10)
	}
	return append(b, '}')
}

// AppendSendRequest appends the JSON of the SendRequest for ins (each
// converted with FromSendInput) to b: a batch, or when batch is false the
// single send of ins[0].
func AppendSendRequest(b []byte, ins []sluice.SendInput, batch bool) []byte {
	if !batch {
		return appendSendMessage(b, &ins[0])
	}
	b = append(b, `{"messages":[`...)
	for i := range ins {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendSendMessage(b, &ins[i])
	}
	return append(b, "]}"...)
}

func appendSendMessage(b []byte, in *sluice.SendInput) []byte {
	if utf8.Valid(in.Body) {
		b = append(b, `{"body":`...)
		b = appendString(b, in.Body)
	} else {
		b = append(b, `{"body_base64":"`...)
		b = base64.StdEncoding.AppendEncode(b, in.Body)
		b = append(b, '"')
	}
	if len(in.Attributes) > 0 {
		b = append(b, `,"attributes":`...)
		b = appendAttributes(b, in.Attributes)
	}
	b = appendOptional(b, `,"tenant":`, in.Tenant)
	b = appendOptional(b, `,"group_id":`, in.GroupID)
	b = appendOptional(b, `,"dedup_id":`, in.DedupID)
	if in.Delay != nil {
		b = append(b, `,"delay":`...)
		b = strconv.AppendQuote(b, in.Delay.String()) // as Duration.MarshalJSON
	}
	return append(b, '}')
}

// AppendJSON appends the JSON of r to b.
func (r AckRequest) AppendJSON(b []byte) []byte {
	b = append(b, `{"receipts":`...)
	if r.Receipts == nil {
		return append(b, "null}"...)
	}
	b = append(b, '[')
	for i, rc := range r.Receipts {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, rc)
	}
	return append(b, "]}"...)
}

// appendOptional appends member and s unless s is empty, as omitempty does.
func appendOptional(b []byte, member, s string) []byte {
	if s == "" {
		return b
	}
	return appendString(append(b, member...), s)
}

// appendTime appends t in UTC as time.Time.MarshalJSON does for the times
// FromMessage returns.
func appendTime(b []byte, t time.Time) ([]byte, error) {
	t = utc(t)
	if y := t.Year(); y < 0 || y > 9999 {
		_, err := json.Marshal(t) // the error encoding/json would report
		return b, err
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), nil
}

// appendString appends s as a JSON string exactly as encoding/json does,
// escaping HTML characters, U+2028 and U+2029 and replacing invalid UTF-8.
func appendString[T string | []byte](b []byte, s T) []byte {
	return jsonstr.Append(b, s, true)
}
