package sqsapi

import (
	"encoding/base64"
	"strconv"
	"unicode/utf8"
)

// One-pass decoders for the JSON inputs of the hot operations
// (SendMessageBatch, ReceiveMessage, DeleteMessageBatch), which otherwise
// spend most of the handler's time in encoding/json. They handle the
// documents AWS SDKs send: known members, strings without escapes, integer
// numbers. Anything else — an escape, null, an unknown member, a float —
// is declined, and the caller decodes the document with encoding/json
// instead, so a fast decoder never decides what a document means
// differently.

// fastDecoder is an input with a one-pass decoder. decodeFast reports
// whether it decoded data; when it did not, the input may be partly set.
type fastDecoder interface {
	decodeFast(data []byte) bool
}

type jscan struct {
	b []byte
	i int
}

func (s *jscan) ws() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
}

// str reads a string with no escapes and valid UTF-8.
func (s *jscan) str() (string, bool) {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return "", false
	}
	start := s.i + 1
	ascii := true
	for j := start; j < len(s.b); j++ {
		c := s.b[j]
		switch {
		case c == '"':
			v := s.b[start:j]
			if !ascii && !utf8.Valid(v) {
				return "", false
			}
			s.i = j + 1
			return string(v), true
		case c == '\\' || c < 0x20:
			return "", false
		case c >= 0x80:
			ascii = false
		}
	}
	return "", false
}

// integer reads a JSON integer that fits an int32, as SQS's numbers do.
func (s *jscan) integer() (int, bool) {
	s.ws()
	j := s.i
	if j < len(s.b) && s.b[j] == '-' {
		j++
	}
	d := j
	for j < len(s.b) && s.b[j] >= '0' && s.b[j] <= '9' {
		j++
	}
	if j == d || j-d > 10 || (s.b[d] == '0' && j-d > 1) || j < len(s.b) && (s.b[j] == '.' || s.b[j] == 'e' || s.b[j] == 'E') {
		return 0, false
	}
	n, err := strconv.ParseInt(string(s.b[s.i:j]), 10, 32)
	if err != nil {
		return 0, false
	}
	s.i = j
	return int(n), true
}

func (s *jscan) byte(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// object reads an object, calling member for each member name with the
// scanner at the value.
func (s *jscan) object(member func(name string) bool) bool {
	if !s.byte('{') {
		return false
	}
	if s.byte('}') {
		return true
	}
	for {
		name, ok := s.str()
		if !ok || !s.byte(':') || !member(name) {
			return false
		}
		if s.byte('}') {
			return true
		}
		if !s.byte(',') {
			return false
		}
	}
}

func (s *jscan) array(elem func() bool) bool {
	if !s.byte('[') {
		return false
	}
	if s.byte(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if s.byte(']') {
			return true
		}
		if !s.byte(',') {
			return false
		}
	}
}

func (s *jscan) end() bool {
	s.ws()
	return s.i == len(s.b)
}

func (s *jscan) strInto(p *string) bool {
	v, ok := s.str()
	*p = v
	return ok
}

func (s *jscan) strPtr(p **string) bool {
	v, ok := s.str()
	*p = &v
	return ok
}

func (s *jscan) intPtr(p **int) bool {
	v, ok := s.integer()
	*p = &v
	return ok
}

func (s *jscan) strings(p *[]string) bool {
	out := []string{}
	ok := s.array(func() bool {
		v, ok := s.str()
		out = append(out, v)
		return ok
	})
	*p = out
	return ok
}

func (s *jscan) attributes(p *map[string]attributeValue) bool {
	m := *p // a repeated member adds to the map, as with encoding/json
	if m == nil {
		m = map[string]attributeValue{}
	}
	ok := s.object(func(name string) bool {
		var a attributeValue
		ok := s.object(func(field string) bool {
			switch field {
			case "DataType":
				return s.strInto(&a.DataType)
			case "StringValue":
				return s.strPtr(&a.StringValue)
			case "BinaryValue":
				v, ok := s.str()
				if !ok {
					return false
				}
				b, err := base64.StdEncoding.DecodeString(v)
				if err != nil {
					return false // encoding/json says what is wrong
				}
				a.BinaryValue = b
				return true
			}
			return false
		})
		m[name] = a
		return ok
	})
	*p = m
	return ok
}

func (in *sendMessageBatchInput) decodeFast(data []byte) bool {
	s := &jscan{b: data}
	return s.object(func(name string) bool {
		switch name {
		case "QueueUrl":
			return s.strInto(&in.QueueUrl)
		case "Entries":
			in.Entries = []sendBatchEntry{}
			return s.array(func() bool {
				var e sendBatchEntry
				ok := s.object(func(name string) bool {
					switch name {
					case "Id":
						return s.strInto(&e.Id)
					case "MessageBody":
						return s.strPtr(&e.MessageBody)
					case "DelaySeconds":
						return s.intPtr(&e.DelaySeconds)
					case "MessageAttributes":
						return s.attributes(&e.MessageAttributes)
					case "MessageSystemAttributes":
						return s.attributes(&e.MessageSystemAttributes)
					case "MessageDeduplicationId":
						return s.strInto(&e.MessageDeduplicationId)
					case "MessageGroupId":
						return s.strInto(&e.MessageGroupId)
					}
					return false
				})
				in.Entries = append(in.Entries, e)
				return ok
			})
		}
		return false
	}) && s.end()
}

func (in *deleteMessageBatchInput) decodeFast(data []byte) bool {
	s := &jscan{b: data}
	return s.object(func(name string) bool {
		switch name {
		case "QueueUrl":
			return s.strInto(&in.QueueUrl)
		case "Entries":
			in.Entries = []receiptEntry{}
			return s.array(func() bool {
				var e receiptEntry
				ok := s.object(func(name string) bool {
					switch name {
					case "Id":
						return s.strInto(&e.Id)
					case "ReceiptHandle":
						return s.strInto(&e.ReceiptHandle)
					}
					return false
				})
				in.Entries = append(in.Entries, e)
				return ok
			})
		}
		return false
	}) && s.end()
}

func (in *receiveMessageInput) decodeFast(data []byte) bool {
	s := &jscan{b: data}
	return s.object(func(name string) bool {
		switch name {
		case "QueueUrl":
			return s.strInto(&in.QueueUrl)
		case "AttributeNames":
			return s.strings(&in.AttributeNames)
		case "MessageSystemAttributeNames":
			return s.strings(&in.MessageSystemAttributeNames)
		case "MessageAttributeNames":
			return s.strings(&in.MessageAttributeNames)
		case "MaxNumberOfMessages":
			return s.intPtr(&in.MaxNumberOfMessages)
		case "VisibilityTimeout":
			return s.intPtr(&in.VisibilityTimeout)
		case "WaitTimeSeconds":
			return s.intPtr(&in.WaitTimeSeconds)
		case "ReceiveRequestAttemptId":
			return s.strInto(&in.ReceiveRequestAttemptId)
		}
		return false
	}) && s.end()
}
