package awswire

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"slices"

	"github.com/sluicehq/sluice"
)

// MD5OfBody returns the lowercase hex MD5 of a message body, as SQS
// returns in MD5OfMessageBody and MD5OfBody.
func MD5OfBody(body []byte) string {
	sum := md5.Sum(body)
	return hex.EncodeToString(sum[:])
}

// MD5OfAttributes returns the digest SQS returns as MD5OfMessageAttributes
// (and, over system attributes, MD5OfMessageSystemAttributes), or "" when
// there are no attributes, since SQS then omits the field.
//
// The digest covers, for each attribute in ascending byte order of name:
// the name, the full data type (custom suffix included), one transport
// byte (1 for a string value, 2 for a binary one) and the value, each of
// the three strings preceded by its length as a 4-byte big-endian integer.
// Binary values are hashed as raw bytes, not base64.
func MD5OfAttributes(attrs map[string]sluice.Attribute) string {
	if len(attrs) == 0 {
		return ""
	}
	names := make([]string, 0, len(attrs))
	for k := range attrs {
		names = append(names, k)
	}
	slices.Sort(names)
	h := md5.New()
	var buf []byte
	for _, k := range names {
		a := attrs[k]
		buf = appendLengthPrefixed(buf[:0], []byte(k))
		buf = appendLengthPrefixed(buf, []byte(a.Type))
		if a.BaseType() == "Binary" {
			buf = append(buf, 2)
			buf = appendLengthPrefixed(buf, a.Binary)
		} else {
			buf = append(buf, 1)
			buf = appendLengthPrefixed(buf, []byte(a.String))
		}
		h.Write(buf)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func appendLengthPrefixed(b, v []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
	return append(b, v...)
}
