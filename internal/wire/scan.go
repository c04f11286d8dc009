package wire

import (
	"encoding/binary"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// scanner reads JSON in one pass for the hand-written decoders of the hot
// documents (send requests on the server, receive responses in the
// client). It accepts exactly the JSON grammar that encoding/json accepts
// and decodes strings exactly as encoding/json does when unmarshalling into
// a string: escapes and \u surrogate pairs are decoded, a lone surrogate and
// each byte of invalid UTF-8 become U+FFFD. The decoders built on it decline
// what they do not handle, and their callers then fall back to
// encoding/json, so a scanner method returning false means "not handled",
// never an error to report.
//
// Methods that read a value expect s.pos at its first byte, white space
// already skipped, and leave s.pos just after it.
type scanner struct {
	data []byte
	pos  int
	buf  []byte // scratch for unescaping, reused
}

// maxScanDepth bounds the nesting of values skipped; deeper documents are
// declined (encoding/json allows 10000).
const maxScanDepth = 1000

// skipSpace skips JSON white space.
func (s *scanner) skipSpace() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the byte at s.pos, or 0 at the end.
func (s *scanner) peek() byte {
	if s.pos < len(s.data) {
		return s.data[s.pos]
	}
	return 0
}

// end reports whether only white space is left.
func (s *scanner) end() bool {
	s.skipSpace()
	return s.pos == len(s.data)
}

// literal reads the literal lit (true, false or null).
func (s *scanner) literal(lit string) bool {
	if len(s.data)-s.pos < len(lit) || string(s.data[s.pos:s.pos+len(lit)]) != lit {
		return false
	}
	s.pos += len(lit)
	return true
}

// plainByte marks the bytes a string holds as themselves: printable ASCII
// other than the quote and the backslash.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// plain8 reports whether the eight bytes of x are all plainByte, testing
// them at once: none is below 0x20, a quote, a backslash or 0x80 or more.
func plain8(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	zero := func(v uint64) uint64 { return (v - ones) & ^v & highs } // nonzero if a byte of v is 0
	return (x-ones*0x20)&^x&highs|zero(x^(ones*'"'))|zero(x^(ones*'\\'))|x&highs == 0
}

// jsonString is the raw contents of a well-formed JSON string, between its
// quotes, and what decoding it involves.
type jsonString struct {
	raw      []byte
	escaped  bool // has a backslash escape
	nonASCII bool // has a byte of 0x80 or more, maybe invalid UTF-8
}

// plain reports whether the string decodes to its raw bytes.
func (j jsonString) plain() bool {
	return !j.escaped && (!j.nonASCII || utf8.Valid(j.raw))
}

// string reads a string, checking that it is well-formed: no control
// characters, only the escapes JSON has.
func (s *scanner) string() (jsonString, bool) {
	var j jsonString
	start := s.pos + 1
	d := s.data
	for i := start; i < len(d); {
		if i+8 <= len(d) && plain8(binary.LittleEndian.Uint64(d[i:])) {
			i += 8
			continue
		}
		c := d[i]
		if plainByte[c] {
			i++
			continue
		}
		switch {
		case c == '"':
			j.raw = d[start:i]
			s.pos = i + 1
			return j, true
		case c == '\\':
			j.escaped = true
			if i+1 >= len(d) {
				return j, false
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if hex4(d[i+2:]) < 0 {
					return j, false
				}
				i += 6
			default:
				return j, false
			}
		case c < 0x20:
			return j, false
		default:
			j.nonASCII = true
			i++
		}
	}
	return j, false
}

// appendDecoded appends what j decodes to.
func appendDecoded(b []byte, j jsonString) []byte {
	if j.plain() {
		return append(b, j.raw...)
	}
	return appendUnquoted(b, j.raw)
}

// decodeString returns what j decodes to, using s.buf as scratch.
func (s *scanner) decodeString(j jsonString) string {
	if j.plain() {
		return string(j.raw)
	}
	s.buf = appendUnquoted(s.buf[:0], j.raw)
	return string(s.buf)
}

// appendUnquoted appends the decoded contents of a well-formed JSON string
// to b, as encoding/json's unquote does.
func appendUnquoted(b, raw []byte) []byte {
	for r := 0; r < len(raw); {
		c := raw[r]
		switch {
		case c == '\\':
			switch e := raw[r+1]; e {
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				rr := rune(hex4(raw[r+2:]))
				r += 6
				if utf16.IsSurrogate(rr) {
					var rr1 rune = -1
					if r+1 < len(raw) && raw[r] == '\\' && raw[r+1] == 'u' {
						rr1 = rune(hex4(raw[r+2:]))
					}
					if dec := utf16.DecodeRune(rr, rr1); dec != unicode.ReplacementChar {
						b = utf8.AppendRune(b, dec)
						r += 6
						continue
					}
					rr = unicode.ReplacementChar
				}
				b = utf8.AppendRune(b, rr)
				continue
			default: // '"', '\\', '/'
				b = append(b, e)
			}
			r += 2
		case c < utf8.RuneSelf:
			b = append(b, c)
			r++
		default:
			rr, size := utf8.DecodeRune(raw[r:])
			b = utf8.AppendRune(b, rr)
			r += size
		}
	}
	return b
}

// hex4 returns the value of the four hex digits that start h, or -1.
func hex4(h []byte) int {
	if len(h) < 4 {
		return -1
	}
	v := 0
	for _, c := range h[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		v = v<<4 | int(c)
	}
	return v
}

// number reads a number and returns its literal, reporting whether it is
// an integer (no fraction, no exponent).
func (s *scanner) number() (lit []byte, integer, ok bool) {
	d, i := s.data, s.pos
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && '1' <= d[i] && d[i] <= '9':
		i = digits(d, i)
	default:
		return nil, false, false
	}
	integer = true
	if i < len(d) && d[i] == '.' {
		integer = false
		if j := digits(d, i+1); j > i+1 {
			i = j
		} else {
			return nil, false, false
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		integer = false
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if j := digits(d, i); j > i {
			i = j
		} else {
			return nil, false, false
		}
	}
	lit = d[s.pos:i]
	s.pos = i
	return lit, integer, true
}

// digits returns the index after the decimal digits starting at d[i].
func digits(d []byte, i int) int {
	for i < len(d) && '0' <= d[i] && d[i] <= '9' {
		i++
	}
	return i
}

// object reads an object, calling member with the raw name of each member
// and s.pos at its value, which member must read. name is plain when it is
// ASCII without escapes, so that it means what its bytes say.
func (s *scanner) object(member func(name jsonString) bool) bool {
	s.pos++ // '{'
	s.skipSpace()
	if s.peek() == '}' {
		s.pos++
		return true
	}
	for {
		if s.peek() != '"' {
			return false
		}
		name, ok := s.string()
		if !ok {
			return false
		}
		s.skipSpace()
		if s.peek() != ':' {
			return false
		}
		s.pos++
		s.skipSpace()
		if !member(name) {
			return false
		}
		s.skipSpace()
		switch s.peek() {
		case ',':
			s.pos++
			s.skipSpace()
		case '}':
			s.pos++
			return true
		default:
			return false
		}
	}
}

// array reads an array, calling elem with s.pos at each element, which
// elem must read.
func (s *scanner) array(elem func() bool) bool {
	s.pos++ // '['
	s.skipSpace()
	if s.peek() == ']' {
		s.pos++
		return true
	}
	for {
		if !elem() {
			return false
		}
		s.skipSpace()
		switch s.peek() {
		case ',':
			s.pos++
			s.skipSpace()
		case ']':
			s.pos++
			return true
		default:
			return false
		}
	}
}

// skip reads any value, nested at most maxScanDepth-depth deep, and returns
// its literal.
func (s *scanner) skip(depth int) ([]byte, bool) {
	start := s.pos
	ok := false
	switch s.peek() {
	case '"':
		_, ok = s.string()
	case '{':
		ok = depth < maxScanDepth && s.object(func(jsonString) bool {
			_, ok := s.skip(depth + 1)
			return ok
		})
	case '[':
		ok = depth < maxScanDepth && s.array(func() bool {
			_, ok := s.skip(depth + 1)
			return ok
		})
	case 't':
		ok = s.literal("true")
	case 'f':
		ok = s.literal("false")
	case 'n':
		ok = s.literal("null")
	default:
		_, _, ok = s.number()
	}
	return s.data[start:s.pos], ok
}

// stringOrNull reads a string into *v, or null, which leaves *v as it is
// (as encoding/json does for a string).
func (s *scanner) stringOrNull(v *string) bool {
	switch s.peek() {
	case '"':
		j, ok := s.string()
		if ok {
			*v = s.decodeString(j)
		}
		return ok
	case 'n':
		return s.literal("null")
	}
	return false
}

// optionalString reads a string, or null for nil.
func (s *scanner) optionalString() (*string, bool) {
	if s.peek() == 'n' {
		return nil, s.literal("null")
	}
	v := new(string)
	return v, s.stringOrNull(v)
}

// attributeType returns the decoded type of an attribute, without
// allocating for the base types.
func (s *scanner) attributeType(j jsonString) string {
	switch string(j.raw) {
	case "String":
		return "String"
	case "Number":
		return "Number"
	case "Binary":
		return "Binary"
	}
	return s.decodeString(j)
}
