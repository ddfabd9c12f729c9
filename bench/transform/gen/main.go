// Command gen writes the synthetic benchmark project: go run ./bench/transform/gen -models 1000 -out DIR
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/datanika/datanika/bench/transform/projectgen"
)

func main() {
	models := flag.Int("models", 1000, "number of models")
	out := flag.String("out", "", "directory to write the project into")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "gen: -out is required")
		os.Exit(2)
	}
	if err := projectgen.Generate(*out, *models); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
