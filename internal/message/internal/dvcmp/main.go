// Command dvcmp is a temporary comparison tool (removed before hand-off).
package main

import (
	"fmt"
	"os"

	"petrel.dev/petrel/internal/message"
)

func main() {
	for i, f := range os.Args[1:] {
		fh, _ := os.Open(f)
		m, err := message.Parse(fh)
		if err != nil {
			panic(err)
		}
		b := []byte(fmt.Sprintf("* %d FETCH (ENVELOPE ", i+1))
		b = message.AppendEnvelope(b, m.Root.Envelope)
		b = append(b, " BODYSTRUCTURE "...)
		b = message.AppendBodyStructure(b, m.Root, true)
		b = append(b, " BODY "...)
		b = message.AppendBodyStructure(b, m.Root, false)
		fmt.Printf("%s)\n", b)
	}
}
