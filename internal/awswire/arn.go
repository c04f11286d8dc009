package awswire

import (
	"cmp"
	"net/http"
	"strings"
)

// Defaults for Config's zero fields.
const (
	DefaultRegion  = "us-east-1"
	DefaultAccount = "000000000000"
)

// Config holds what AWS clients see of the server's identity: the region
// and account id in ARNs and queue URLs, and the base URL of queue URLs.
// A zero field means the default.
type Config struct {
	Region  string // default us-east-1
	Account string // default 000000000000
	// PublicURL is the base of queue URLs ("https://sluice.example.com"),
	// for servers behind proxies or in containers. By default a queue URL
	// uses the scheme and Host the client's request used.
	PublicURL string
}

// WithDefaults returns c with zero fields set.
func (c Config) WithDefaults() Config {
	c.Region = cmp.Or(c.Region, DefaultRegion)
	c.Account = cmp.Or(c.Account, DefaultAccount)
	c.PublicURL = strings.TrimSuffix(c.PublicURL, "/")
	return c
}

// ARN returns the ARN of a resource of service: arn:aws:SERVICE:REGION:ACCOUNT:NAME.
func (c Config) ARN(service, name string) string {
	return "arn:aws:" + service + ":" + c.Region + ":" + c.Account + ":" + name
}

// ParseARN returns the service, region, account and resource of an ARN
// ("arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE").
func ParseARN(arn string) (service, region, account, resource string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" || parts[5] == "" {
		return "", "", "", "", false
	}
	return parts[2], parts[3], parts[4], parts[5], true
}

// BaseURL returns the base of the URLs given to the client of r: the
// configured PublicURL, or the scheme and Host the client used.
func (c Config) BaseURL(r *http.Request) string {
	if c.PublicURL != "" {
		return c.PublicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if host == "" {
		host = "localhost"
	}
	return scheme + "://" + host
}

// QueueURL returns the URL of the named queue for the client of r:
// BASE/ACCOUNT/NAME.
func (c Config) QueueURL(r *http.Request, name string) string {
	return c.BaseURL(r) + "/" + c.Account + "/" + name
}
