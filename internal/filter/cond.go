package filter

import (
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// Numbers compare at SNS's documented precision: five digits after the
// decimal point, within ±10^9 (subscription-filter-policy-constraints). A
// number in that range is held as an integer count of 10^-5 units, so 300,
// 300.0 and 3e2 are equal and comparisons are exact.
const (
	numberLimit = 1e9
	numberScale = 1e5
)

// number is a numeric value from a policy or a message.
type number struct {
	q  int64   // value in units of 10^-5; saturated to ±MaxInt64 outside the range
	f  float64 // the value as parsed
	in bool    // whether |f| <= numberLimit, so q is exact to five places
}

func newNumber(f float64) number {
	switch {
	case f > numberLimit:
		return number{q: math.MaxInt64, f: f}
	case f < -numberLimit:
		return number{q: math.MinInt64, f: f}
	}
	return number{q: int64(math.Round(f * numberScale)), f: f, in: true}
}

// equal reports numeric equality: at five places within the range, exactly
// outside it.
func (n number) equal(m number) bool {
	if n.in && m.in {
		return n.q == m.q
	}
	return n.f == m.f
}

// parseNumber parses s as a JSON number ("-1", "2.50", "3e2"). It rejects
// what JSON rejects ("+1", ".5", "0x10", "NaN", "Inf") and numbers too large
// for a float64.
func parseNumber(s string) (number, bool) {
	if !isJSONNumber(s) {
		return number{}, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return number{}, false
	}
	return newNumber(f), true
}

func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i == len(s) || !isDigit(s[i]) {
			return false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i == len(s) || !isDigit(s[i]) {
			return false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	return i == len(s)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// kind is the JSON type of a message value.
type kind uint8

const (
	kindString kind = iota + 1
	kindNumber
	kindBool
	kindNull
)

// value is one scalar from a message: an attribute's value, one element of a
// String.Array attribute, or a leaf of a JSON body.
type value struct {
	kind kind
	s    string
	n    number
	b    bool
}

// op is a condition's operator.
type op uint8

const (
	opString           op = iota + 1 // "x": exact, case-sensitive
	opNumber                         // 5: numeric equality
	opBool                           // true, false
	opNull                           // null
	opPrefix                         // {"prefix": "x"}
	opSuffix                         // {"suffix": "x"}
	opEqualsIgnoreCase               // {"equals-ignore-case": "x"}
	opNumeric                        // {"numeric": [">", 0, "<=", 5]}
	opCIDR                           // {"cidr": "10.0.0.0/24"}
	opAnythingBut                    // {"anything-but": ...}
	opExists                         // {"exists": true|false}
)

// cond is one compiled condition from a key's array of conditions.
type cond struct {
	op  op
	s   string // string, prefix, suffix or equals-ignore-case operand
	lit string // a number's literal, as written, for String
	n   number
	b   bool // bool operand, or exists' operand

	rng    *numericRange // opNumeric
	prefix netip.Prefix  // opCIDR
	not    *anythingBut  // opAnythingBut
}

// numericRange is a numeric condition: one comparison or a range.
type numericRange struct {
	lo, hi         int64 // in 10^-5 units
	hasLo, hasHi   bool
	loIncl, hiIncl bool
	terms          []string // operators and number literals as written, for String
}

func (r *numericRange) contains(n number) bool {
	if r.hasLo && (n.q < r.lo || n.q == r.lo && !r.loIncl) {
		return false
	}
	if r.hasHi && (n.q > r.hi || n.q == r.hi && !r.hiIncl) {
		return false
	}
	return true
}

// anythingBut is the negated part of an anything-but condition: a list of
// strings, a list of numbers, or a prefix.
type anythingBut struct {
	strs     []string
	nums     []number
	numLits  []string
	prefix   string
	isPrefix bool
}

// excludes reports whether v is one of the values anything-but rules out.
func (a *anythingBut) excludes(v *value) bool {
	switch {
	case a.isPrefix:
		return v.kind == kindString && strings.HasPrefix(v.s, a.prefix)
	case v.kind == kindString:
		for _, s := range a.strs {
			if s == v.s {
				return true
			}
		}
	case v.kind == kindNumber:
		for _, n := range a.nums {
			if n.equal(v.n) {
				return true
			}
		}
	}
	return false
}

// match reports whether v satisfies c. Exists conditions depend on presence,
// not on a value, and never match here.
func (c *cond) match(v *value) bool {
	switch c.op {
	case opString:
		return v.kind == kindString && v.s == c.s
	case opNumber:
		return v.kind == kindNumber && v.n.equal(c.n)
	case opBool:
		return v.kind == kindBool && v.b == c.b
	case opNull:
		return v.kind == kindNull
	case opPrefix:
		return v.kind == kindString && strings.HasPrefix(v.s, c.s)
	case opSuffix:
		return v.kind == kindString && strings.HasSuffix(v.s, c.s)
	case opEqualsIgnoreCase:
		return v.kind == kindString && strings.EqualFold(v.s, c.s)
	case opNumeric:
		return v.kind == kindNumber && c.rng.contains(v.n)
	case opCIDR:
		if v.kind != kindString {
			return false
		}
		addr, err := netip.ParseAddr(v.s)
		return err == nil && c.prefix.Contains(addr.Unmap())
	case opAnythingBut:
		return !c.not.excludes(v)
	}
	return false
}
