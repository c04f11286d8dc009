package wire

import (
	"encoding/base64"
	"strconv"
	"time"

	"github.com/sluicehq/sluice"
)

// DecodeReceiveMessages decodes the body of a receive's response straight
// into messages, in one pass and with bodies decoded into their own byte
// slices: the messages are what json.Unmarshal into a ReceiveResponse and
// Message on each entry give, and share no memory with data. Like
// json.Unmarshal it skips members it does not know, so that older clients
// read newer servers.
//
// It reports false, having decoded nothing, for documents it does not
// handle: every malformed document, every one json.Unmarshal or Message
// would reject, and some valid but unusual ones (escaped, non-ASCII or
// repeated member names). Callers then take the slow path, which decodes
// those or reports the error. FuzzReceiveResponseMatchesUnmarshal checks
// this. The result is never nil when it reports true.
func DecodeReceiveMessages(data []byte) ([]sluice.Message, bool) {
	d := receiveDecoder{scanner: scanner{data: data}}
	s := &d.scanner
	s.skipSpace()
	var msgs []sluice.Message
	switch s.peek() {
	case 'n':
		if !s.literal("null") || !s.end() {
			return nil, false
		}
		return []sluice.Message{}, true
	case '{':
	default:
		return nil, false
	}
	seen := false
	ok := s.object(func(name jsonString) bool {
		if name.escaped || name.nonASCII {
			return false // might unescape or fold to "messages"
		}
		if !asciiEqualFold(name.raw, "messages") {
			_, ok := s.skip(1)
			return ok
		}
		if seen {
			return false // encoding/json would decode into the first list
		}
		seen = true
		msgs = nil // "messages": null
		switch s.peek() {
		case 'n':
			return s.literal("null")
		case '[':
		default:
			return false
		}
		msgs = make([]sluice.Message, 0, min(len(data)/256+1, 1024)) // a guess: messages are rarely shorter
		return s.array(func() bool {
			msgs = append(msgs, sluice.Message{})
			switch s.peek() {
			case 'n':
				return s.literal("null")
			case '{':
				return d.message(&msgs[len(msgs)-1])
			}
			return false
		})
	})
	if !ok || !s.end() {
		return nil, false
	}
	if msgs == nil {
		msgs = []sluice.Message{}
	}
	return msgs, true
}

// receiveDecoder is a scanner with what decoding a receive response
// remembers from one message to the next.
type receiveDecoder struct {
	scanner
	names []string // attribute names seen, reused rather than allocated again
}

// The members of a received message, in the order of receiveFields.
const (
	fieldID = iota
	fieldBody
	fieldBodyBase64
	fieldAttributes
	fieldTenant
	fieldGroupID
	fieldDedupID
	fieldSequence
	fieldSentAt
	fieldFirstReceivedAt
	fieldReceiveCount
	fieldReceipt
	fieldSourceQueue
)

// receiveFields are the JSON names of Message's fields.
var receiveFields = [...]string{
	"id", "body", "body_base64", "attributes", "tenant", "group_id", "dedup_id",
	"sequence", "sent_at", "first_received_at", "receive_count", "receipt", "source_queue",
}

// message reads one message into m, as Message would convert it.
func (d *receiveDecoder) message(m *sluice.Message) bool {
	s := &d.scanner
	var (
		seen      uint16
		body      []byte
		hasBody   bool
		b64       jsonString
		hasBase64 bool
	)
	ok := s.object(func(name jsonString) bool {
		f, ok := foldField(name, receiveFields[:])
		if !ok {
			return false
		}
		if f < 0 {
			_, ok := s.skip(1)
			return ok
		}
		if seen&(1<<f) != 0 {
			return false // encoding/json would merge into the first value
		}
		seen |= 1 << f
		switch f {
		case fieldID:
			return s.stringOrNull(&m.ID)
		case fieldBody, fieldBodyBase64:
			if s.peek() == 'n' {
				return s.literal("null")
			}
			if s.peek() != '"' {
				return false
			}
			j, ok := s.string()
			if f == fieldBody {
				body, hasBody = appendDecoded(make([]byte, 0, len(j.raw)), j), true
			} else {
				b64, hasBase64 = j, true
			}
			return ok
		case fieldAttributes:
			var ok bool
			m.Attributes, ok = d.attributes()
			return ok
		case fieldTenant:
			return s.stringOrNull(&m.Tenant)
		case fieldGroupID:
			return s.stringOrNull(&m.GroupID)
		case fieldDedupID:
			return s.stringOrNull(&m.DedupID)
		case fieldSequence:
			return s.uint64(&m.Sequence)
		case fieldSentAt:
			return s.time(&m.SentAt)
		case fieldFirstReceivedAt:
			return s.time(&m.FirstReceivedAt)
		case fieldReceiveCount:
			return s.int(&m.ReceiveCount)
		case fieldReceipt:
			return s.stringOrNull(&m.Receipt)
		default:
			return s.stringOrNull(&m.SourceQueue)
		}
	})
	switch {
	case !ok:
		return false
	case hasBody:
		m.Body = body
	case hasBase64:
		s.buf = appendDecoded(s.buf[:0], b64)
		b := make([]byte, base64.StdEncoding.DecodedLen(len(s.buf)))
		n, err := base64.StdEncoding.Decode(b, s.buf)
		if err != nil {
			return false // Message reports it
		}
		m.Body = b[:n]
	}
	return true
}

// attributes reads a message's attributes, converted as Message converts
// them.
func (d *receiveDecoder) attributes() (map[string]sluice.Attribute, bool) {
	s := &d.scanner
	switch s.peek() {
	case 'n':
		return nil, s.literal("null")
	case '{':
	default:
		return nil, false
	}
	attrs := make(map[string]sluice.Attribute, 1)
	ok := s.object(func(name jsonString) bool {
		key := d.name(name)
		var a Attribute
		switch s.peek() {
		case 'n':
			if !s.literal("null") {
				return false
			}
		case '{':
			var seen uint8
			if !s.object(func(name jsonString) bool {
				f, ok := foldField(name, attributeFields[:])
				if !ok {
					return false
				}
				if f < 0 {
					_, ok := s.skip(1)
					return ok
				}
				if seen&(1<<f) != 0 {
					return false
				}
				seen |= 1 << f
				return s.attributeMember(&a, f)
			}) {
				return false
			}
		default:
			return false
		}
		at, err := a.Attribute()
		if err != nil {
			return false // Message reports it
		}
		attrs[key] = at // as encoding/json, the last of repeated names
		return true
	})
	if !ok {
		return nil, false
	}
	if len(attrs) == 0 {
		return nil, true
	}
	return attrs, true
}

// name returns the decoded attribute name j, reusing the string of an
// earlier message's attribute of the same name.
func (d *receiveDecoder) name(j jsonString) string {
	if j.plain() {
		for _, n := range d.names {
			if n == string(j.raw) {
				return n
			}
		}
	}
	n := d.decodeString(j)
	if len(d.names) < 8 {
		d.names = append(d.names, n)
	}
	return n
}

// uint64 reads an unsigned integer into *v, or null, which leaves *v as it
// is; encoding/json rejects anything else for a uint64.
func (s *scanner) uint64(v *uint64) bool {
	if s.peek() == 'n' {
		return s.literal("null")
	}
	lit, integer, ok := s.number()
	if !ok || !integer || lit[0] == '-' {
		return false
	}
	if len(lit) <= 19 { // below 1e19, in range
		var n uint64
		for _, c := range lit {
			n = n*10 + uint64(c-'0')
		}
		*v = n
		return true
	}
	n, err := strconv.ParseUint(string(lit), 10, 64)
	*v = n
	return err == nil
}

// int reads an integer into *v, or null, which leaves *v as it is;
// encoding/json rejects anything else for an int.
func (s *scanner) int(v *int) bool {
	if s.peek() == 'n' {
		return s.literal("null")
	}
	lit, integer, ok := s.number()
	if !ok || !integer {
		return false
	}
	if len(lit) > 18 {
		return slowInt(lit, v)
	}
	neg := lit[0] == '-' // below 1e18 in magnitude, in range
	if neg {
		lit = lit[1:]
	}
	n := 0
	for _, c := range lit {
		n = n*10 + int(c-'0')
	}
	if neg {
		n = -n
	}
	*v = n
	return true
}

// slowInt parses lit into *v as encoding/json parses an int.
func slowInt(lit []byte, v *int) bool {
	n, err := strconv.ParseInt(string(lit), 10, strconv.IntSize)
	*v = int(n)
	return err == nil
}

// time reads a time as time.Time's UnmarshalJSON does, parsing the common
// form (UTC, as the server writes it) without allocating.
func (s *scanner) time(t *time.Time) bool {
	start := s.pos
	if s.peek() == '"' {
		j, ok := s.string()
		if !ok {
			return false
		}
		if !j.escaped {
			if v, ok := parseUTC(j.raw); ok {
				*t = v
				return true
			}
		}
	} else if _, ok := s.skip(1); !ok {
		return false
	}
	return t.UnmarshalJSON(s.data[start:s.pos]) == nil
}

// parseUTC parses an RFC 3339 time in UTC ("Z") with at most nine digits
// of fraction, reporting false for any other form.
func parseUTC(b []byte) (time.Time, bool) {
	const layout = "2006-01-02T15:04:05"
	if len(b) < len(layout)+1 || b[len(b)-1] != 'Z' ||
		b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	ok := true
	num := func(d []byte, lo, hi int) int {
		n := 0
		for _, c := range d {
			if c < '0' || c > '9' {
				ok = false
			}
			n = n*10 + int(c-'0')
		}
		if n < lo || n > hi {
			ok = false
		}
		return n
	}
	year := num(b[0:4], 0, 9999)
	month := num(b[5:7], 1, 12)
	day := num(b[8:10], 1, 31)
	hour := num(b[11:13], 0, 23)
	minute := num(b[14:16], 0, 59)
	sec := num(b[17:19], 0, 59)
	nsec := 0
	if frac := b[len(layout) : len(b)-1]; len(frac) > 0 {
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
			return time.Time{}, false
		}
		nsec = num(frac[1:], 0, 999999999)
		for range 10 - len(frac) {
			nsec *= 10
		}
	}
	if !ok || day > daysIn(month, year) {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC), true
}

// daysIn returns the number of days in month of year.
func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// foldField returns the index of the field that name matches, ignoring
// ASCII case as encoding/json does, or -1 for a name that matches none. It
// declines (ok false) names that are escaped or not ASCII, which might
// unescape or fold to a field name.
func foldField(name jsonString, fields []string) (f int, ok bool) {
	if name.escaped || name.nonASCII {
		return -1, false
	}
	for i, field := range fields {
		if asciiEqualFold(name.raw, field) {
			return i, true
		}
	}
	return -1, true
}
