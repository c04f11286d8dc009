package filter

import (
	"encoding/json"
	"strings"
)

// matchAttrs reports whether attrs satisfy n.
func matchAttrs(n *node, attrs map[string]Attribute) bool {
	for i := range n.fields {
		f := &n.fields[i]
		if f.sub != nil {
			// Attributes are flat: a nested key is absent.
			if !matchBody(f.sub, "", -1) {
				return false
			}
			continue
		}
		a, present := attrs[f.key]
		if !f.matchAttr(a, present) {
			return false
		}
	}
	for _, group := range n.ors {
		matched := false
		for _, b := range group {
			if matched = matchAttrs(b, attrs); matched {
				break
			}
		}
		if !matched {
			return false
		}
	}
	return true
}

// attrType is an attribute's base data type.
type attrType uint8

const (
	typeOther attrType = iota // Binary, or a type SNS does not compare
	typeString
	typeNumber
	typeStringArray
)

// baseType strips a custom suffix: "Number.int" is a Number.
func baseType(t string) attrType {
	if t == "String.Array" || strings.HasPrefix(t, "String.Array.") {
		return typeStringArray
	}
	base, _, _ := strings.Cut(t, ".")
	switch base {
	case "String":
		return typeString
	case "Number":
		return typeNumber
	}
	return typeOther
}

// matchAttr reports whether attribute a (present or not) satisfies one of
// f's conditions.
func (f *field) matchAttr(a Attribute, present bool) bool {
	for i := range f.conds {
		if c := &f.conds[i]; c.op == opExists && c.b == present {
			return true
		}
	}
	if !present {
		return false
	}
	var v value
	switch baseType(a.Type) {
	case typeString:
		v = value{kind: kindString, s: a.Value}
	case typeNumber:
		n, ok := parseNumber(a.Value)
		if !ok {
			return false
		}
		v = value{kind: kindNumber, n: n}
	case typeStringArray:
		return f.matchArray(a.Value)
	default:
		return false
	}
	for i := range f.conds {
		if c := &f.conds[i]; c.op != opExists && c.match(&v) {
			return true
		}
	}
	return false
}

// matchArray matches a String.Array attribute's elements. A value condition
// matches if any element satisfies it; anything-but matches only if no
// element is excluded, as string-value-matching specifies for String.Array.
func (f *field) matchArray(text string) bool {
	if !json.Valid([]byte(text)) {
		return false
	}
	i := skipSpace(text, 0)
	if text[i] != '[' {
		return false
	}
	for k := range f.conds {
		c := &f.conds[k]
		if c.op == opExists {
			continue
		}
		seen, all := false, true
		for e, ok := nextElem(text, i+1); ok; e, ok = nextElem(text, endOfValue(text, e)) {
			v := scalar(text, e)
			if v.kind == 0 {
				continue // a nested array or object: not comparable
			}
			seen = true
			if c.op != opAnythingBut {
				if c.match(&v) {
					return true
				}
			} else if !c.match(&v) {
				all = false
				break
			}
		}
		if c.op == opAnythingBut && seen && all {
			return true
		}
	}
	return false
}

// matchBody reports whether the object whose '{' is at obj in the JSON text
// s satisfies n. An obj of -1 stands for an absent or non-object value:
// every key in it is absent.
func matchBody(n *node, s string, obj int) bool {
	for i := range n.fields {
		f := &n.fields[i]
		at, present := -1, false
		if obj >= 0 {
			at, present = lookup(s, obj, f.key)
		}
		if f.sub != nil {
			matched, found := false, false
			if present {
				matched, found = matchNested(f.sub, s, at)
			}
			if !matched && (found || !matchBody(f.sub, s, -1)) {
				return false
			}
			continue
		}
		matched, hasLeaf := false, false
		if present {
			matched, hasLeaf = f.matchLeaves(s, at)
		}
		if !matched && !f.matchExists(hasLeaf) {
			return false
		}
	}
	for _, group := range n.ors {
		matched := false
		for _, b := range group {
			if matched = matchBody(b, s, obj); matched {
				break
			}
		}
		if !matched {
			return false
		}
	}
	return true
}

// matchNested reports whether some object in the value at i (that value, or
// an element of an array at any depth) satisfies n, and whether the value
// held any object at all.
func matchNested(n *node, s string, i int) (matched, found bool) {
	switch s[i] {
	case '{':
		return matchBody(n, s, i), true
	case '[':
		for e, ok := nextElem(s, i+1); ok; e, ok = nextElem(s, endOfValue(s, e)) {
			m, f := matchNested(n, s, e)
			if m {
				return true, true
			}
			found = found || f
		}
	}
	return false, found
}

// matchLeaves reports whether a scalar in the value at i (that value, or an
// element of an array at any depth) satisfies one of f's value conditions,
// and whether the value held any scalar. Objects are not leaves: they
// neither match nor exist.
func (f *field) matchLeaves(s string, i int) (matched, hasLeaf bool) {
	switch s[i] {
	case '{':
		return false, false
	case '[':
		for e, ok := nextElem(s, i+1); ok; e, ok = nextElem(s, endOfValue(s, e)) {
			m, h := f.matchLeaves(s, e)
			if m {
				return true, true
			}
			hasLeaf = hasLeaf || h
		}
		return false, hasLeaf
	}
	v := scalar(s, i)
	for k := range f.conds {
		if c := &f.conds[k]; c.op != opExists && c.match(&v) {
			return true, true
		}
	}
	return false, true
}

// matchExists reports whether one of f's exists conditions agrees with
// whether the key holds a value.
func (f *field) matchExists(hasLeaf bool) bool {
	for i := range f.conds {
		if c := &f.conds[i]; c.op == opExists && c.b == hasLeaf {
			return true
		}
	}
	return false
}
