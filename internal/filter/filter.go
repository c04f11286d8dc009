package filter

import (
	"encoding/json"
	"fmt"
)

// Scope says what a policy filters: message attributes or the message body.
// The zero Scope is MessageAttributes, SNS's default.
type Scope int

const (
	// MessageAttributes filters on a message's attributes. Policies in this
	// scope are flat: every key names an attribute.
	MessageAttributes Scope = iota
	// MessageBody filters on a message body holding a JSON object. Policies
	// in this scope may nest objects to reach nested properties.
	MessageBody
)

// ParseScope parses a FilterPolicyScope attribute value: "MessageAttributes"
// or "MessageBody". The empty string means the default, MessageAttributes.
// Any other value returns an *Error naming it.
func ParseScope(s string) (Scope, error) {
	switch s {
	case "", "MessageAttributes":
		return MessageAttributes, nil
	case "MessageBody":
		return MessageBody, nil
	}
	return 0, &Error{param: "FilterPolicyScope", Reason: fmt.Sprintf("Invalid value [%s]. Please use either MessageBody or MessageAttributes", s)}
}

// String returns the scope's name as SNS spells it.
func (s Scope) String() string {
	switch s {
	case MessageAttributes:
		return "MessageAttributes"
	case MessageBody:
		return "MessageBody"
	}
	return fmt.Sprintf("Scope(%d)", int(s))
}

// Error reports a filter policy (or scope) that SNS would refuse. Its
// message follows SNS's InvalidParameter wording, so a transport can return
// it to an SNS client as it stands.
type Error struct {
	// Path names the offending place in the policy: keys joined by dots,
	// array elements by index, as in "store.$or[1].price[0]". It is empty when
	// the problem is the policy as a whole (malformed JSON, too many keys).
	Path string
	// Reason says what is wrong, in SNS's words where SNS has them.
	Reason string

	param string // the request parameter; "" means FilterPolicy
}

// Error returns "Invalid parameter: FilterPolicy: <reason>", followed by the
// path when there is one.
func (e *Error) Error() string {
	param := e.param
	if param == "" {
		param = "FilterPolicy"
	}
	msg := "Invalid parameter: " + param + ": " + e.Reason
	if e.Path != "" {
		msg += " (at " + e.Path + ")"
	}
	return msg
}

// Attribute is a message attribute as SNS and SQS carry it.
type Attribute struct {
	// Type is the data type: "String", "String.Array", "Number" or "Binary",
	// optionally followed by a custom suffix ("Number.int", "String.id").
	Type string
	// Value is the attribute's value as text. A String.Array attribute holds
	// a JSON array; a Binary attribute's value is never matched.
	Value string
}

// Policy is a compiled filter policy. It is immutable and safe for
// concurrent use. A nil *Policy matches every message, as a subscription
// without a filter policy does.
type Policy struct {
	root  *node
	scope Scope
	text  string
}

// Compile parses and checks an SNS filter policy for scope. It enforces SNS's
// limits: at most MaxPolicySize bytes, MaxKeys keys and MaxCombinations
// combinations. Any problem returns an *Error whose Path names where it is.
// The empty object {} compiles to a policy that matches every message.
func Compile(policy []byte, scope Scope) (*Policy, error) {
	if scope != MessageAttributes && scope != MessageBody {
		return nil, &Error{param: "FilterPolicyScope", Reason: fmt.Sprintf("Invalid value [%s]. Please use either MessageBody or MessageAttributes", scope)}
	}
	if len(policy) > MaxPolicySize {
		return nil, &Error{Reason: fmt.Sprintf("Filter policy is too large: %d bytes, the limit is %d", len(policy), MaxPolicySize)}
	}
	tree, err := decodePolicy(policy)
	if err != nil {
		return nil, err
	}
	obj, ok := tree.(*object)
	if !ok {
		return nil, &Error{Reason: "Filter policy must be a JSON object"}
	}
	c := compiler{scope: scope}
	root, combos, keys, err := c.compileNode(obj, "", 1)
	if err != nil {
		return nil, err
	}
	if keys > MaxKeys {
		return nil, &Error{Reason: fmt.Sprintf("Filter policy can not have more than %d keys", MaxKeys)}
	}
	if combos > MaxCombinations {
		return nil, &Error{Reason: "Filter policy is too complex"}
	}
	return &Policy{root: root, scope: scope, text: string(appendNode(nil, root))}, nil
}

// Scope returns the scope the policy was compiled for.
func (p *Policy) Scope() Scope {
	if p == nil {
		return MessageAttributes
	}
	return p.scope
}

// String returns the policy as canonical JSON: keys sorted, no spaces,
// anything-but always written as a list, CIDR blocks masked. Compiling it
// again, in the same scope, gives an equivalent policy.
func (p *Policy) String() string {
	if p == nil {
		return "{}"
	}
	return p.text
}

// Match reports whether a message passes the policy, looking at attrs or at
// body according to the policy's scope.
func (p *Policy) Match(attrs map[string]Attribute, body []byte) bool {
	if p.Scope() == MessageBody {
		return p.MatchBody(body)
	}
	return p.MatchAttributes(attrs)
}

// MatchAttributes reports whether attrs satisfy the policy. String
// attributes match string conditions; each element of a String.Array
// attribute is matched on its own; Number attributes match numbers and
// numeric conditions; Binary attributes match only {"exists": true}. It does
// not allocate unless a String.Array element holds escapes.
func (p *Policy) MatchAttributes(attrs map[string]Attribute) bool {
	if p == nil {
		return true
	}
	return matchAttrs(p.root, attrs)
}

// MatchBody reports whether body, which must hold a JSON object, satisfies
// the policy. A body that is not a JSON object matches nothing. MatchBody
// walks the JSON text in place; it allocates only a string copy of body and
// the unescaped form of strings that hold escapes.
func (p *Policy) MatchBody(body []byte) bool {
	if p == nil {
		return true
	}
	if !json.Valid(body) {
		return false
	}
	s := string(body)
	obj := skipSpace(s, 0)
	if s[obj] != '{' {
		return false
	}
	return matchBody(p.root, s, obj)
}
