package nativeapi

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/wire"
)

// TestOpenAPICoversAPI checks that docs/openapi.yaml documents every route
// and every error code. It reads the document as text: the standard library
// has no YAML parser, and the document's layout is regular.
func TestOpenAPICoversAPI(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	// section returns the text of a path's entry, up to the next path.
	section := func(path string) string {
		_, rest, ok := strings.Cut(doc, "\n  "+path+":\n")
		if !ok {
			return ""
		}
		end := len(rest)
		for _, stop := range []string{"\n  /", "\ncomponents:"} {
			if i := strings.Index(rest, stop); i >= 0 && i < end {
				end = i
			}
		}
		return "\n" + rest[:end]
	}
	for _, rt := range routes {
		s := section(rt.path)
		if s == "" {
			t.Errorf("docs/openapi.yaml has no path %s", rt.path)
			continue
		}
		if !strings.Contains(s, "\n    "+strings.ToLower(rt.method)+":\n") {
			t.Errorf("docs/openapi.yaml has no %s under %s", rt.method, rt.path)
		}
	}
	for _, code := range wire.Codes() {
		row := "| `" + code + "` | " + strconv.Itoa(wire.Status(code)) + " |"
		if !strings.Contains(doc, row) {
			t.Errorf("docs/openapi.yaml's error table has no row %q", row)
		}
		if !strings.Contains(doc, "\n        - "+code+"\n") {
			t.Errorf("docs/openapi.yaml's ErrorCode enum lacks %s", code)
		}
	}
}
