package awswire

import (
	"errors"
	"strings"
)

// Credential is the parsed credential of a SigV4-signed request. The
// signature is kept but not verified.
type Credential struct {
	AccessKey string
	// Scope: the date (YYYYMMDD), region and service the key was scoped
	// to, and the terminator, which is "aws4_request".
	Date, Region, Service, Terminal string
	SignedHeaders                   []string
	Signature                       string
}

// sigV4Algorithm is the only signing algorithm AWS SDKs use for SQS and SNS.
const sigV4Algorithm = "AWS4-HMAC-SHA256"

// ErrNotSigV4 reports an Authorization header that is not AWS Signature
// Version 4.
var ErrNotSigV4 = errors.New("authorization is not AWS4-HMAC-SHA256")

// ParseAuthorization parses a SigV4 Authorization header:
//
//	AWS4-HMAC-SHA256 Credential=AKID/20231108/us-east-1/sqs/aws4_request, SignedHeaders=host;x-amz-date, Signature=…
//
// It returns ErrNotSigV4 for another scheme and an error naming the part
// for a malformed header. Any access key is accepted.
func ParseAuthorization(h string) (Credential, error) {
	alg, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	if alg != sigV4Algorithm {
		return Credential{}, ErrNotSigV4
	}
	var c Credential
	var haveCred, haveHeaders, haveSig bool
	for part := range strings.SplitSeq(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			if strings.TrimSpace(part) == "" {
				continue
			}
			return Credential{}, errors.New("authorization: component " + quote(part) + " has no '='")
		}
		switch k {
		case "Credential":
			cred, err := ParseCredential(v)
			if err != nil {
				return Credential{}, err
			}
			cred.SignedHeaders, cred.Signature = c.SignedHeaders, c.Signature
			c, haveCred = cred, true
		case "SignedHeaders":
			if v == "" {
				return Credential{}, errors.New("authorization: SignedHeaders is empty")
			}
			c.SignedHeaders, haveHeaders = strings.Split(v, ";"), true
		case "Signature":
			if v == "" {
				return Credential{}, errors.New("authorization: Signature is empty")
			}
			c.Signature, haveSig = v, true
		}
	}
	switch {
	case !haveCred:
		return Credential{}, errors.New("authorization: missing Credential")
	case !haveHeaders:
		return Credential{}, errors.New("authorization: missing SignedHeaders")
	case !haveSig:
		return Credential{}, errors.New("authorization: missing Signature")
	}
	return c, nil
}

// ParseCredential parses a SigV4 credential, "AKID/DATE/REGION/SERVICE/aws4_request",
// as found in the Authorization header or a presigned URL's X-Amz-Credential.
func ParseCredential(s string) (Credential, error) {
	parts := strings.Split(s, "/")
	if len(parts) != 5 {
		return Credential{}, errors.New("authorization: Credential " + quote(s) + " is not KEY/DATE/REGION/SERVICE/aws4_request")
	}
	for i, name := range []string{"access key", "date", "region", "service", "terminator"} {
		if parts[i] == "" {
			return Credential{}, errors.New("authorization: Credential has an empty " + name)
		}
	}
	if parts[4] != "aws4_request" {
		return Credential{}, errors.New("authorization: Credential scope must end in aws4_request")
	}
	return Credential{AccessKey: parts[0], Date: parts[1], Region: parts[2], Service: parts[3], Terminal: parts[4]}, nil
}

// quote shortens s for an error message.
func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return `"` + s + `"`
}
