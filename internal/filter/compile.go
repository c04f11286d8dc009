package filter

import (
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// Limits SNS enforces on a filter policy (subscription-filter-policy-constraints).
const (
	// MaxPolicySize is the largest policy, in bytes, Compile accepts.
	MaxPolicySize = 256 * 1024
	// MaxKeys is the most top-level keys any one alternative of a policy may
	// have. Nested keys count as their top-level parent.
	MaxKeys = 5
	// MaxCombinations bounds a policy's complexity, counted as SNS counts it.
	MaxCombinations = 150
)

// saturated caps combination counts so that products cannot overflow.
const saturated = 1 << 40

// node is a compiled JSON object of a policy: every field must match, and in
// each $or group at least one branch must.
type node struct {
	fields []field
	ors    [][]*node
}

// field is one key of a node: either a nested object (body scope) or a leaf
// whose conditions are ORed.
type field struct {
	key   string
	sub   *node
	conds []cond
}

// compiler turns a decoded policy into nodes, checking it as it goes.
type compiler struct {
	scope Scope
}

// reserved lists the match-expression keywords. A "$or" array whose objects
// use one of them is a list of conditions, not of alternatives (and-or-logic).
var reserved = map[string]bool{
	"prefix": true, "suffix": true, "equals-ignore-case": true, "anything-but": true,
	"numeric": true, "exists": true, "cidr": true,
}

// compileNode compiles obj, found at path and nesting depth (1 for the top
// level). It returns the node, its combinations and its key count.
func (c *compiler) compileNode(obj *object, path string, depth int) (*node, int64, int, error) {
	n := &node{}
	combos := int64(1)
	keys := 0
	for i, key := range obj.keys {
		kp := joinKey(path, key)
		if key == "$or" {
			if branches, ok := orBranches(obj.vals[i]); ok {
				group := make([]*node, len(branches))
				sum, most := int64(0), 0
				for j, b := range branches {
					bp := fmt.Sprintf("%s[%d]", kp, j)
					if len(b.keys) == 0 {
						return nil, 0, 0, &Error{Path: bp, Reason: "Empty objects are not allowed"}
					}
					sub, bc, bk, err := c.compileNode(b, bp, depth)
					if err != nil {
						return nil, 0, 0, err
					}
					group[j] = sub
					sum = min(sum+bc, saturated)
					most = max(most, bk)
				}
				n.ors = append(n.ors, group)
				combos = mul(combos, sum)
				keys += most
				continue
			}
		}
		switch v := obj.vals[i].(type) {
		case *object:
			if c.scope == MessageAttributes {
				return nil, 0, 0, &Error{Path: kp, Reason: "Filter policy scope MessageAttributes does not support nested filter policy"}
			}
			if len(v.keys) == 0 {
				return nil, 0, 0, &Error{Path: kp, Reason: "Empty objects are not allowed"}
			}
			sub, sc, _, err := c.compileNode(v, kp, depth+1)
			if err != nil {
				return nil, 0, 0, err
			}
			n.fields = append(n.fields, field{key: key, sub: sub})
			combos = mul(combos, sc)
		case []any:
			if len(v) == 0 {
				return nil, 0, 0, &Error{Path: kp, Reason: "Empty arrays are not allowed"}
			}
			f := field{key: key, conds: make([]cond, len(v))}
			for j, raw := range v {
				cd, err := compileCond(raw)
				if err != nil {
					return nil, 0, 0, &Error{Path: fmt.Sprintf("%s[%d]", kp, j), Reason: err.Error()}
				}
				f.conds[j] = cd
			}
			n.fields = append(n.fields, f)
			// A key's values count once per level of nesting (and-or-logic).
			combos = mul(combos, mul(int64(len(v)), int64(depth)))
		default:
			return nil, 0, 0, &Error{Path: kp, Reason: fmt.Sprintf("%q must be an object or an array", key)}
		}
		keys++
	}
	return n, combos, keys, nil
}

// orBranches returns v's objects if v makes "$or" an operator: an array of at
// least two objects, none of whose keys is a reserved keyword.
func orBranches(v any) ([]*object, bool) {
	arr, ok := v.([]any)
	if !ok || len(arr) < 2 {
		return nil, false
	}
	branches := make([]*object, len(arr))
	for i, e := range arr {
		obj, ok := e.(*object)
		if !ok {
			return nil, false
		}
		for _, k := range obj.keys {
			if reserved[k] {
				return nil, false
			}
		}
		branches[i] = obj
	}
	return branches, true
}

func mul(a, b int64) int64 {
	if a != 0 && b > saturated/a {
		return saturated
	}
	return a * b
}

// reason is a compile problem inside one condition; compileNode adds the path.
type reason string

func (r reason) Error() string { return string(r) }

func reasonf(format string, args ...any) error { return reason(fmt.Sprintf(format, args...)) }

// compileCond compiles one element of a key's array of conditions.
func compileCond(raw any) (cond, error) {
	switch v := raw.(type) {
	case string:
		return cond{op: opString, s: v}, nil
	case json.Number:
		n, err := policyNumber(v)
		return cond{op: opNumber, n: n, lit: string(v)}, err
	case bool:
		return cond{op: opBool, b: v}, nil
	case nil:
		return cond{op: opNull}, nil
	case *object:
		return compileOperator(v)
	}
	return cond{}, reason("Match value must be String, number, true, false, or null")
}

// policyNumber converts a number written in a policy, rejecting one too
// large for a float64.
func policyNumber(lit json.Number) (number, error) {
	n, ok := parseNumber(string(lit))
	if !ok || math.IsInf(n.f, 0) {
		return number{}, reasonf("Number %s is out of range", lit)
	}
	return n, nil
}

func compileOperator(obj *object) (cond, error) {
	if len(obj.keys) != 1 {
		return cond{}, reason("Only one key allowed in match expression")
	}
	name, v := obj.keys[0], obj.vals[0]
	switch name {
	case "prefix", "suffix", "equals-ignore-case":
		s, ok := v.(string)
		if !ok {
			return cond{}, reasonf("%s match pattern must be a string", name)
		}
		o := map[string]op{"prefix": opPrefix, "suffix": opSuffix, "equals-ignore-case": opEqualsIgnoreCase}[name]
		return cond{op: o, s: s}, nil
	case "exists":
		b, ok := v.(bool)
		if !ok {
			return cond{}, reason("exists match pattern must be either true or false.")
		}
		return cond{op: opExists, b: b}, nil
	case "anything-but":
		a, err := compileAnythingBut(v)
		return cond{op: opAnythingBut, not: a}, err
	case "numeric":
		r, err := compileNumeric(v)
		return cond{op: opNumeric, rng: r}, err
	case "cidr":
		p, err := compileCIDR(v)
		return cond{op: opCIDR, prefix: p}, err
	}
	return cond{}, reasonf("Unrecognized match type %s", name)
}

// compileAnythingBut accepts a string, a number, a list of strings or of
// numbers, or {"prefix": "..."}: the forms string-value-matching and
// numeric-value-matching document for SNS.
func compileAnythingBut(v any) (*anythingBut, error) {
	a := &anythingBut{}
	switch v := v.(type) {
	case string:
		a.strs = []string{v}
	case json.Number:
		n, err := policyNumber(v)
		a.nums, a.numLits = []number{n}, []string{string(v)}
		return a, err
	case []any:
		if len(v) == 0 {
			return nil, reason("Empty arrays are not allowed")
		}
		for _, e := range v {
			switch e := e.(type) {
			case string:
				a.strs = append(a.strs, e)
			case json.Number:
				n, err := policyNumber(e)
				if err != nil {
					return nil, err
				}
				a.nums, a.numLits = append(a.nums, n), append(a.numLits, string(e))
			default:
				return nil, reasonf("Inside anything-but list, %s is not supported", jsonType(e))
			}
			if len(a.strs) > 0 && len(a.nums) > 0 {
				return nil, reason("Inside anything-but list, mixed types are not allowed")
			}
		}
	case *object:
		if len(v.keys) != 1 {
			return nil, reason("Only one key allowed in match expression")
		}
		if v.keys[0] != "prefix" {
			return nil, reasonf("Unsupported anything-but pattern: %s", v.keys[0])
		}
		s, ok := v.vals[0].(string)
		if !ok {
			return nil, reason("prefix match pattern must be a string")
		}
		a.prefix, a.isPrefix = s, true
	default:
		return nil, reasonf("anything-but match pattern must be a string, number, list or object, not %s", jsonType(v))
	}
	return a, nil
}

// compileNumeric accepts [op, n] with op one of = < <= > >=, or a range
// [">" or ">=", lo, "<" or "<=", hi] with lo < hi, every number within ±10^9.
func compileNumeric(v any) (*numericRange, error) {
	terms, ok := v.([]any)
	if !ok || len(terms) == 0 {
		return nil, reason("Value of numeric must be an array.")
	}
	r := &numericRange{}
	first, n, err := numericTerm(terms, 0)
	if err != nil {
		return nil, err
	}
	switch first {
	case "=":
		r.lo, r.hi, r.hasLo, r.hasHi, r.loIncl, r.hiIncl = n, n, true, true, true, true
	case ">", ">=":
		r.lo, r.hasLo, r.loIncl = n, true, first == ">="
	case "<", "<=":
		r.hi, r.hasHi, r.hiIncl = n, true, first == "<="
	}
	if len(terms) > 2 {
		if first != ">" && first != ">=" {
			return nil, reason("Too many elements in numeric expression")
		}
		second, n, err := numericTerm(terms, 2)
		if err != nil {
			return nil, err
		}
		if second != "<" && second != "<=" {
			return nil, reasonf("Bad numeric range operator: %s", second)
		}
		if n <= r.lo {
			return nil, reason("Bottom must be less than top")
		}
		if len(terms) > 4 {
			return nil, reason("Too many terms in numeric range expression")
		}
		r.hi, r.hasHi, r.hiIncl = n, true, second == "<="
	}
	for i, t := range terms {
		if i%2 == 0 {
			r.terms = append(r.terms, t.(string))
		} else {
			r.terms = append(r.terms, string(t.(json.Number)))
		}
	}
	return r, nil
}

// numericTerm reads the operator at terms[i] and the number after it.
func numericTerm(terms []any, i int) (string, int64, error) {
	o, ok := terms[i].(string)
	if !ok {
		return "", 0, reasonf("Invalid member in numeric match: %s", jsonType(terms[i]))
	}
	switch o {
	case "=", "<", "<=", ">", ">=":
	default:
		return "", 0, reasonf("Unrecognized numeric range operator: %s", o)
	}
	name := o
	if o == "=" {
		name = "equals"
	}
	if i+1 >= len(terms) {
		return "", 0, reasonf("Value of %s must be numeric", name)
	}
	lit, ok := terms[i+1].(json.Number)
	if !ok {
		return "", 0, reasonf("Value of %s must be numeric", name)
	}
	n, ok := parseNumber(string(lit))
	if !ok || !n.in {
		return "", 0, reasonf("Value of %s must be between -1000000000 and 1000000000, not %s", name, lit)
	}
	return o, n.q, nil
}

func compileCIDR(v any) (netip.Prefix, error) {
	s, ok := v.(string)
	if !ok {
		return netip.Prefix{}, reason("cidr match pattern must be a string")
	}
	addr, bits, ok := strings.Cut(s, "/")
	if !ok || strings.Contains(bits, "/") {
		return netip.Prefix{}, reason("Malformed CIDR, one '/' required")
	}
	if _, err := strconv.Atoi(bits); err != nil {
		return netip.Prefix{}, reason("Malformed CIDR, mask bits must be an integer")
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, reasonf("Nonstandard IP address: %s", addr)
	}
	return p.Masked(), nil
}

// jsonType names v's JSON type for error messages.
func jsonType(v any) string {
	switch v := v.(type) {
	case string:
		return "string"
	case json.Number:
		return "number " + string(v)
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return "null"
	case []any:
		return "array"
	}
	return "object"
}
