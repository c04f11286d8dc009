package wire

// The fast path of SendRequest reads the document in one pass with a
// scanner. It handles the documents clients send: member names exactly as
// documented, each at most once, and values of the documented types or
// null. Anything else (a case variant or escaped name, a repeated member or
// attribute, an unknown member, a value of the wrong type, a malformed
// duration, a document that is not an object) it declines, leaving the
// document unchanged, and Decode takes the precise path, which decodes it or
// explains what is wrong. FuzzSendDecodeFastMatchesSlow checks that the
// fast path decodes nothing the precise path rejects and decodes the same
// value as the precise path and as encoding/json.

func (r *SendRequest) decodeFast(data []byte) bool {
	s := scanner{data: data}
	s.skipSpace()
	if s.peek() != '{' {
		return false
	}
	var (
		m             SendMessage
		seen          uint8 // the members of m read, by messageFields index
		list          []SendMessage
		batch, single bool
	)
	ok := s.object(func(name jsonString) bool {
		if string(name.raw) == "messages" {
			if batch {
				return false
			}
			batch = true
			var ok bool
			list, ok = s.sendList()
			return ok
		}
		single = true
		return s.sendMember(&m, &seen, name)
	})
	if !ok || !s.end() || batch && single {
		return false
	}
	if batch {
		*r = SendRequest{Messages: list}
	} else {
		*r = SendRequest{Message: &m}
	}
	return true
}

// sendList reads the list of a batch; null is an empty batch, as in the
// precise path.
func (s *scanner) sendList() ([]SendMessage, bool) {
	switch s.peek() {
	case 'n':
		return []SendMessage{}, s.literal("null")
	case '[':
	default:
		return nil, false
	}
	list := make([]SendMessage, 0, 16)
	ok := s.array(func() bool {
		list = append(list, SendMessage{})
		m := &list[len(list)-1]
		switch s.peek() {
		case 'n':
			return s.literal("null")
		case '{':
			var seen uint8
			return s.object(func(name jsonString) bool {
				return s.sendMember(m, &seen, name)
			})
		}
		return false
	})
	return list, ok
}

// sendMember reads the value of the member name of m, recording it in
// seen.
func (s *scanner) sendMember(m *SendMessage, seen *uint8, name jsonString) bool {
	f := -1
	for i, field := range messageFields {
		if string(name.raw) == field {
			f = i
			break
		}
	}
	if f < 0 || *seen&(1<<f) != 0 {
		return false
	}
	*seen |= 1 << f
	var ok bool
	switch messageFields[f] {
	case "body":
		m.Body, ok = s.optionalString()
	case "body_base64":
		m.BodyBase64, ok = s.optionalString()
	case "attributes":
		m.Attributes, ok = s.sendAttributes()
	case "tenant":
		ok = s.stringOrNull(&m.Tenant)
	case "group_id":
		ok = s.stringOrNull(&m.GroupID)
	case "dedup_id":
		ok = s.stringOrNull(&m.DedupID)
	case "delay":
		m.Delay, ok = s.delay()
	}
	return ok
}

// sendAttributes reads the attributes of a message to send.
func (s *scanner) sendAttributes() (Attributes, bool) {
	switch s.peek() {
	case 'n':
		return nil, s.literal("null")
	case '{':
	default:
		return nil, false
	}
	attrs := make(Attributes, 1)
	ok := s.object(func(name jsonString) bool {
		key := s.decodeString(name)
		if _, dup := attrs[key]; dup {
			return false // the precise path would see only the last
		}
		var a Attribute
		switch s.peek() {
		case 'n':
			if !s.literal("null") {
				return false
			}
		case '{':
			var seen uint8
			if !s.object(func(name jsonString) bool {
				f := attributeField(name)
				if f < 0 || seen&(1<<f) != 0 {
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
		attrs[key] = a
		return true
	})
	return attrs, ok
}

// attributeField returns the index in attributeFields of the plain member
// name, or -1.
func attributeField(name jsonString) int {
	for i, f := range attributeFields {
		if string(name.raw) == f {
			return i
		}
	}
	return -1
}

// attributeMember reads the member attributeFields[f] of a.
func (s *scanner) attributeMember(a *Attribute, f int) bool {
	switch attributeFields[f] {
	case "type":
		if s.peek() != '"' {
			return s.literal("null")
		}
		j, ok := s.string()
		a.Type = s.attributeType(j)
		return ok
	case "value":
		return s.stringOrNull(&a.Value)
	default:
		return s.stringOrNull(&a.Binary)
	}
}

// delay reads an optional Duration: null, a duration string or a number of
// seconds.
func (s *scanner) delay() (*Duration, bool) {
	var lit []byte
	switch c := s.peek(); {
	case c == 'n':
		return nil, s.literal("null")
	case c == '"':
		start := s.pos
		if _, ok := s.string(); !ok {
			return nil, false
		}
		lit = s.data[start:s.pos]
	case c == '-' || '0' <= c && c <= '9':
		var ok bool
		if lit, _, ok = s.number(); !ok {
			return nil, false
		}
	default:
		return nil, false
	}
	v, ok := parseDuration(lit)
	if !ok {
		return nil, false
	}
	d := Duration(v)
	return &d, true
}
