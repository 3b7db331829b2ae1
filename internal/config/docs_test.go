package config

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the generated tables of docs/configuration.md")

const docsPath = "../../docs/configuration.md"

// docsTable renders one table of docs/configuration.md from a def table.
func docsTable(defs []Def, topic bool) string {
	var b strings.Builder
	if topic {
		b.WriteString("| property | type | default | broker default from | allowed | description |\n| --- | --- | --- | --- | --- | --- |\n")
	} else {
		b.WriteString("| property | type | default | dynamic | allowed | description |\n| --- | --- | --- | --- | --- | --- |\n")
	}
	for _, d := range defs {
		def := "`" + d.Default + "`"
		if d.NullDefault {
			def = "(none)"
		}
		if d.KafkaDefault != "" {
			def += fmt.Sprintf(" (Kafka: `%s`; %s)", d.KafkaDefault, d.Why)
		}
		col := "no"
		if topic {
			col = "`" + d.BrokerSynonym + "`"
			if d.BrokerSynonym == "" {
				col = "-"
			}
		} else if d.Dynamic {
			col = "yes"
		}
		doc := d.Doc
		if a := d.Aliases(); len(a) > 0 {
			doc += " Lower-precedence synonyms: " + strings.Join(a, ", ") + "."
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s |\n", d.Name, d.Type, def, col, d.Allowed(), strings.ReplaceAll(doc, "|", "\\|"))
	}
	return b.String()
}

// replaceBetween replaces the text between two marker lines.
func replaceBetween(doc, begin, end, body string) (string, error) {
	i := strings.Index(doc, begin)
	j := strings.Index(doc, end)
	if i < 0 || j < i {
		return "", fmt.Errorf("markers %q / %q missing", begin, end)
	}
	return doc[:i+len(begin)] + "\n" + body + doc[j:], nil
}

func TestDocs(t *testing.T) {
	raw, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatalf("read %s: %v", docsPath, err)
	}
	doc := string(raw)
	want, err := replaceBetween(doc, "<!-- BEGIN BROKER TABLE (generated) -->", "<!-- END BROKER TABLE -->", docsTable(brokerDefs, false))
	if err != nil {
		t.Fatal(err)
	}
	if want, err = replaceBetween(want, "<!-- BEGIN TOPIC TABLE (generated) -->", "<!-- END TOPIC TABLE -->", docsTable(topicDefs, true)); err != nil {
		t.Fatal(err)
	}
	if want == doc {
		return
	}
	if *update {
		if err := os.WriteFile(docsPath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s is out of date with the config tables; run go test ./internal/config -run TestDocs -update", docsPath)
}
