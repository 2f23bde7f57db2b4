// Command dvcmp is a temporary comparison tool (removed before hand-off).
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"petrel.dev/petrel/internal/message"
)

func main() {
	gen := os.Args[1] == "gen"
	files := os.Args[1:]
	if gen {
		files = os.Args[2:]
	}
	for i, f := range files {
		raw, _ := os.ReadFile(f)
		m, err := message.Parse(strings.NewReader(string(raw)))
		if err != nil {
			panic(err)
		}
		b := []byte("ENVELOPE ")
		b = message.AppendEnvelope(b, m.Root.Envelope)
		b = append(b, " BODYSTRUCTURE "...)
		b = message.AppendBodyStructure(b, m.Root, true)
		b = append(b, " BODY "...)
		b = message.AppendBodyStructure(b, m.Root, false)
		if gen {
			name := strings.TrimSuffix(filepath.Base(f), ".eml")
			fmt.Printf("\t{%q,\n\t\t%q,\n\t\t%q},\n", name, strings.ReplaceAll(string(raw), "\r\n", "\n"), string(b))
		} else {
			fmt.Printf("* %d FETCH (%s)\n", i+1, b)
		}
	}
}
