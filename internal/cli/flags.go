package cli

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/client"
)

// defaultServer is the server client commands talk to unless told otherwise.
const defaultServer = "http://127.0.0.1:9324"

// clientFlags are the flags every command that talks to a server has.
type clientFlags struct {
	server string
	json   bool
}

// clientFlags adds --server and --json to c.
func (c *cmd) clientFlags() *clientFlags {
	cf := &clientFlags{}
	c.fs.StringVar(&cf.server, "server", envOr("SLUICE_SERVER", defaultServer), "server base `URL` ($SLUICE_SERVER)")
	c.fs.BoolVar(&cf.json, "json", false, "print JSON instead of a table")
	return cf
}

// client returns a client for the server flag, or a usage error when it is
// not an http or https URL.
func (cf *clientFlags) client() (*client.Client, error) {
	u, err := url.Parse(cf.server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageErrorf("invalid --server %q: want a URL such as %s", cf.server, defaultServer)
	}
	return client.New(strings.TrimRight(cf.server, "/")), nil
}

// durationValue is a flag.Value for durations written as Go durations
// ("1m30s"), whole days ("4d") or bare seconds ("30"), as SQS counts them.
type durationValue struct{ d *time.Duration }

func (v durationValue) String() string {
	if v.d == nil || *v.d == 0 {
		return ""
	}
	return formatDuration(*v.d)
}

func (v durationValue) Set(s string) error {
	d, err := parseDuration(s)
	if err != nil {
		return err
	}
	*v.d = d
	return nil
}

// durationFlag defines a duration flag on c and returns where it is stored.
func (c *cmd) durationFlag(name string, def time.Duration, usage string) *time.Duration {
	d := def
	c.fs.Var(durationValue{&d}, name, usage)
	return &d
}

// parseDuration parses a Go duration, a number of days ("4d") or a bare
// number of seconds.
func parseDuration(s string) (time.Duration, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 || n > 1<<32 {
			return 0, fmt.Errorf("%d seconds is out of range", n)
		}
		return time.Duration(n) * time.Second, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 64)
		if err != nil || n < 0 || n > 3650 {
			return 0, fmt.Errorf("%q is not a number of days", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as 30s, 5m or 4d", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("%q is negative", s)
	}
	return d, nil
}

// sizeValue is a flag.Value for byte sizes: a count with an optional KiB,
// MiB, KB, MB or B suffix.
type sizeValue struct{ n *int }

func (v sizeValue) String() string {
	if v.n == nil || *v.n == 0 {
		return ""
	}
	return formatSize(int64(*v.n))
}

func (v sizeValue) Set(s string) error {
	n, err := parseSize(s)
	if err != nil {
		return err
	}
	*v.n = n
	return nil
}

// sizeFlag defines a byte-size flag on c and returns where it is stored.
func (c *cmd) sizeFlag(name string, def int, usage string) *int {
	n := def
	c.fs.Var(sizeValue{&n}, name, usage)
	return &n
}

// parseSize parses a byte count with an optional unit suffix.
func parseSize(s string) (int, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"KB", 1000}, {"MB", 1000 * 1000}, {"B", 1}}
	num, mult := s, int64(1)
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			num, mult = n, u.mult
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if err != nil || n < 0 || n*mult > 1<<40 {
		return 0, fmt.Errorf("%q is not a size such as 256, 64KiB or 1MiB", s)
	}
	return int(n * mult), nil
}

// keyValues is a repeated flag of key=value pairs.
type keyValues map[string]string

func (kv keyValues) String() string {
	keys := make([]string, 0, len(kv))
	for k, v := range kv {
		keys = append(keys, k+"="+v)
	}
	sort.Strings(keys)
	return strings.Join(keys, ",")
}

func (kv keyValues) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q is not key=value", s)
	}
	kv[k] = v
	return nil
}

// stringList is a repeated string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(s string) error {
	*l = append(*l, s)
	return nil
}

// attributes is a repeated --attr flag: name=Type:value, where Type is
// String, Number or Binary with an optional custom suffix, Binary values
// are base64, and a value without a type is a String.
type attributes map[string]sluice.Attribute

func (a attributes) String() string { return "" }

func (a attributes) Set(s string) error {
	name, rest, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return fmt.Errorf("%q is not name=Type:value", s)
	}
	typ, val, ok := strings.Cut(rest, ":")
	base, _, _ := strings.Cut(typ, ".")
	if !ok || (base != "String" && base != "Number" && base != "Binary") {
		// No recognised type: the whole of rest is a string value.
		a[name] = sluice.Attribute{Type: "String", String: rest}
		return nil
	}
	if base == "Binary" {
		b, err := base64.StdEncoding.DecodeString(val)
		if err != nil {
			return fmt.Errorf("attribute %s: binary value is not base64: %v", name, err)
		}
		a[name] = sluice.Attribute{Type: typ, Binary: b}
		return nil
	}
	a[name] = sluice.Attribute{Type: typ, String: val}
	return nil
}

// parseClient parses args as parse does and returns the positional
// arguments and a client for the --server flag of cf.
func (c *cmd) parseClient(st *streams, cf *clientFlags, args []string, min, max int) ([]string, *client.Client, error) {
	pos, err := c.parse(st, args, min, max)
	if err != nil {
		return nil, nil, err
	}
	cl, err := cf.client()
	return pos, cl, err
}
