package dashboard

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"
)

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"age":    age,
	"rate":   rate,
	"spark":  sparkPoints,
	"add":    func(a, b int) int { return a + b },
	"bytes":  func(b []byte) string { return preview(b, 200) },
	"millis": func(d time.Duration) int64 { return d.Milliseconds() },
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04:05")
	},
}

// age formats a duration for people: "0s", "42s", "3m 12s", "5h 3m", "2d 4h".
func age(d time.Duration) string {
	s := int64(d / time.Second)
	switch {
	case s < 60:
		return strconv.FormatInt(max(s, 0), 10) + "s"
	case s < 3600:
		return fmt.Sprintf("%dm %ds", s/60, s%60)
	case s < 86400:
		return fmt.Sprintf("%dh %dm", s/3600, s%3600/60)
	default:
		return fmt.Sprintf("%dd %dh", s/86400, s%86400/3600)
	}
}

// rate formats a per-second rate with two significant digits or so.
func rate(r float64) string {
	switch {
	case r == 0:
		return "0/s"
	case r < 10:
		return strconv.FormatFloat(r, 'f', 1, 64) + "/s"
	default:
		return strconv.FormatFloat(math.Round(r), 'f', 0, 64) + "/s"
	}
}

// preview returns up to n bytes of b as text, marking what it cut and
// replacing what is not valid UTF-8.
func preview(b []byte, n int) string {
	s := strings.ToValidUTF8(string(b[:min(len(b), n)]), "\uFFFD")
	if len(b) > n {
		s += "…"
	}
	return s
}

// sparkPoints returns an SVG polyline's points drawing values scaled into
// a w×h box, newest at the right. The same computation lives in app.js
// for live updates.
func sparkPoints(values any, w, h float64) string {
	var vs []float64
	switch v := values.(type) {
	case []uint32:
		for _, x := range v {
			vs = append(vs, float64(x))
		}
	case []float64:
		vs = v
	}
	if len(vs) == 0 {
		return fmt.Sprintf("0,%g %g,%g", h-1, w, h-1)
	}
	top := 0.0
	for _, v := range vs {
		top = max(top, v)
	}
	if top == 0 {
		top = 1
	}
	var b strings.Builder
	step := w / float64(max(len(vs)-1, 1))
	for i, v := range vs {
		if i > 0 {
			b.WriteByte(' ')
		}
		x := float64(i) * step
		if len(vs) == 1 {
			x = w
		}
		y := (h - 1) - v/top*(h-2)
		fmt.Fprintf(&b, "%.1f,%.1f", x, y)
	}
	return b.String()
}
