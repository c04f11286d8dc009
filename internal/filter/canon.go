package filter

import (
	"slices"
	"strings"
)

// appendNode appends n to b as canonical JSON: keys sorted, no spaces.
func appendNode(b []byte, n *node) []byte {
	type entry struct {
		key   string
		field *field
		group []*node
	}
	entries := make([]entry, 0, len(n.fields)+len(n.ors))
	for i := range n.fields {
		entries = append(entries, entry{key: n.fields[i].key, field: &n.fields[i]})
	}
	for _, g := range n.ors {
		entries = append(entries, entry{key: "$or", group: g})
	}
	slices.SortStableFunc(entries, func(x, y entry) int { return strings.Compare(x.key, y.key) })

	b = append(b, '{')
	for i, e := range entries {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, e.key)
		b = append(b, ':')
		switch {
		case e.group != nil:
			b = append(b, '[')
			for j, br := range e.group {
				if j > 0 {
					b = append(b, ',')
				}
				b = appendNode(b, br)
			}
			b = append(b, ']')
		case e.field.sub != nil:
			b = appendNode(b, e.field.sub)
		default:
			b = append(b, '[')
			for j := range e.field.conds {
				if j > 0 {
					b = append(b, ',')
				}
				b = e.field.conds[j].appendJSON(b)
			}
			b = append(b, ']')
		}
	}
	return append(b, '}')
}

// appendJSON appends c as it would be written in a policy.
func (c *cond) appendJSON(b []byte) []byte {
	switch c.op {
	case opString:
		return appendString(b, c.s)
	case opNumber:
		return append(b, c.lit...)
	case opBool:
		if c.b {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case opNull:
		return append(b, "null"...)
	case opPrefix:
		return append(appendString(append(b, `{"prefix":`...), c.s), '}')
	case opSuffix:
		return append(appendString(append(b, `{"suffix":`...), c.s), '}')
	case opEqualsIgnoreCase:
		return append(appendString(append(b, `{"equals-ignore-case":`...), c.s), '}')
	case opExists:
		if c.b {
			return append(b, `{"exists":true}`...)
		}
		return append(b, `{"exists":false}`...)
	case opCIDR:
		return append(appendString(append(b, `{"cidr":`...), c.prefix.String()), '}')
	case opNumeric:
		b = append(b, `{"numeric":[`...)
		for i, t := range c.rng.terms {
			if i > 0 {
				b = append(b, ',')
			}
			if i%2 == 0 {
				b = appendString(b, t)
			} else {
				b = append(b, t...)
			}
		}
		return append(b, "]}"...)
	case opAnythingBut:
		b = append(b, `{"anything-but":`...)
		a := c.not
		switch {
		case a.isPrefix:
			b = append(appendString(append(b, `{"prefix":`...), a.prefix), '}')
		case len(a.numLits) > 0:
			b = append(b, '[')
			for i, lit := range a.numLits {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, lit...)
			}
			b = append(b, ']')
		default:
			b = append(b, '[')
			for i, s := range a.strs {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendString(b, s)
			}
			b = append(b, ']')
		}
		return append(b, '}')
	}
	return b
}
