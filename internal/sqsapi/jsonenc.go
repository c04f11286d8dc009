package sqsapi

import (
	"encoding/base64"
	"slices"

	"github.com/sluicehq/sluice/internal/awswire"
	"github.com/sluicehq/sluice/internal/jsonstr"
)

// Hand-written JSON encoders for the results of the hot operations
// (ReceiveMessage, SendMessageBatch), which otherwise spend a quarter of the
// handler's time in encoding/json's reflection. They write exactly what
// encoding/json writes for the same value without HTML escaping — member
// order, omitempty, sorted map keys, string escapes, base64 — which
// FuzzAppendJSON checks.

var (
	_ awswire.JSONAppender = receiveMessageOutput{}
	_ awswire.JSONAppender = sendMessageBatchOutput{}
)

// AppendJSON implements awswire.JSONAppender.
func (o receiveMessageOutput) AppendJSON(b []byte) []byte {
	size := 16
	for i := range o.Messages {
		m := &o.Messages[i]
		size += 160 + len(m.MessageId) + len(m.ReceiptHandle) + len(m.Body) + 40*len(m.Attributes) + 64*len(m.MessageAttributes)
		for _, v := range m.MessageAttributes {
			if v.StringValue != nil {
				size += len(*v.StringValue)
			}
			size += len(v.BinaryValue) * 4 / 3
		}
	}
	b = slices.Grow(b, size)
	b = append(b, '{')
	if len(o.Messages) > 0 {
		b = append(b, `"Messages":[`...)
		for i := range o.Messages {
			if i > 0 {
				b = append(b, ',')
			}
			b = o.Messages[i].appendJSON(b)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func (m *message) appendJSON(b []byte) []byte {
	b = append(b, `{"MessageId":`...)
	b = appendString(b, m.MessageId)
	b = append(b, `,"ReceiptHandle":`...)
	b = appendString(b, m.ReceiptHandle)
	b = append(b, `,"MD5OfBody":`...)
	b = appendString(b, m.MD5OfBody)
	b = append(b, `,"Body":`...)
	b = appendString(b, m.Body)
	if len(m.Attributes) > 0 {
		b = append(b, `,"Attributes":{`...)
		var kb [8]string
		for i, k := range appendSortedKeys(kb[:0], m.Attributes) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendString(b, m.Attributes[k])
		}
		b = append(b, '}')
	}
	if m.MD5OfMessageAttributes != "" {
		b = append(b, `,"MD5OfMessageAttributes":`...)
		b = appendString(b, m.MD5OfMessageAttributes)
	}
	if len(m.MessageAttributes) > 0 {
		b = append(b, `,"MessageAttributes":{`...)
		var kb [8]string
		for i, k := range appendSortedKeys(kb[:0], m.MessageAttributes) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			v := m.MessageAttributes[k]
			b = v.appendJSON(b)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

func (v *attributeValue) appendJSON(b []byte) []byte {
	b = append(b, '{')
	if v.StringValue != nil {
		b = append(b, `"StringValue":`...)
		b = appendString(b, *v.StringValue)
		b = append(b, ',')
	}
	if len(v.BinaryValue) > 0 {
		b = append(b, `"BinaryValue":`...)
		b = appendBase64(b, v.BinaryValue)
		b = append(b, ',')
	}
	if len(v.StringListValues) > 0 {
		b = append(b, `"StringListValues":[`...)
		for i, s := range v.StringListValues {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, s)
		}
		b = append(b, "],"...)
	}
	if len(v.BinaryListValues) > 0 {
		b = append(b, `"BinaryListValues":[`...)
		for i, s := range v.BinaryListValues {
			if i > 0 {
				b = append(b, ',')
			}
			if s == nil {
				b = append(b, "null"...)
			} else {
				b = appendBase64(b, s)
			}
		}
		b = append(b, "],"...)
	}
	b = append(b, `"DataType":`...)
	b = appendString(b, v.DataType)
	return append(b, '}')
}

// AppendJSON implements awswire.JSONAppender.
func (o sendMessageBatchOutput) AppendJSON(b []byte) []byte {
	b = slices.Grow(b, 32+(200+36)*len(o.Successful)+160*len(o.Failed))
	b = append(b, `{"Successful":`...)
	if o.Successful == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range o.Successful {
			if i > 0 {
				b = append(b, ',')
			}
			b = o.Successful[i].appendJSON(b)
		}
		b = append(b, ']')
	}
	b = append(b, `,"Failed":`...)
	b = appendBatchErrors(b, o.Failed)
	return append(b, '}')
}

func (r *sendBatchResult) appendJSON(b []byte) []byte {
	b = append(b, `{"Id":`...)
	b = appendString(b, r.Id)
	b = append(b, `,"MessageId":`...)
	b = appendString(b, r.MessageId)
	b = append(b, `,"MD5OfMessageBody":`...)
	b = appendString(b, r.MD5OfMessageBody)
	if r.MD5OfMessageAttributes != "" {
		b = append(b, `,"MD5OfMessageAttributes":`...)
		b = appendString(b, r.MD5OfMessageAttributes)
	}
	if r.MD5OfMessageSystemAttributes != "" {
		b = append(b, `,"MD5OfMessageSystemAttributes":`...)
		b = appendString(b, r.MD5OfMessageSystemAttributes)
	}
	if r.SequenceNumber != "" {
		b = append(b, `,"SequenceNumber":`...)
		b = appendString(b, r.SequenceNumber)
	}
	return append(b, '}')
}

func appendBatchErrors(b []byte, errs []batchError) []byte {
	if errs == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i := range errs {
		e := &errs[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"Id":`...)
		b = appendString(b, e.Id)
		if e.SenderFault {
			b = append(b, `,"SenderFault":true`...)
		} else {
			b = append(b, `,"SenderFault":false`...)
		}
		b = append(b, `,"Code":`...)
		b = appendString(b, e.Code)
		if e.Message != "" {
			b = append(b, `,"Message":`...)
			b = appendString(b, e.Message)
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendSortedKeys appends m's keys to keys in order, as encoding/json
// writes a map. Callers pass a stack array's slice so that small maps cost
// no allocation.
func appendSortedKeys[V any](keys []string, m map[string]V) []string {
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func appendBase64(b []byte, v []byte) []byte {
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, v)
	return append(b, '"')
}

// appendString appends s as a JSON string as encoding/json writes it with
// HTML escaping off: quotes, backslashes and control characters escaped,
// invalid UTF-8 as U+FFFD, and U+2028 and U+2029 escaped.
func appendString(b []byte, s string) []byte {
	return jsonstr.Append(b, s, false)
}
