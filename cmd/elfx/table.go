package main

import (
	"bytes"
	"io"
	"strings"
	"text/tabwriter"
)

// writeTable renders rows under header as plain aligned columns, the way
// readelf and ldd lay out their output: no borders, two spaces between
// columns, cells left as they are. It uses text/tabwriter rather than a
// table package: the one elfx used cost a millisecond of package
// initialisation on every run, half the start-up of a one-file query.
func writeTable(w io.Writer, header []string, rows [][]string) error {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	writeRow := func(cells []string) {
		for i, c := range cells {
			if i > 0 {
				tw.Write([]byte{'\t'})
			}
			// A tab inside a cell would start a new column.
			tw.Write([]byte(strings.ReplaceAll(c, "\t", " ")))
		}
		tw.Write([]byte{'\n'})
	}
	if header != nil {
		writeRow(header)
	}
	for _, r := range rows {
		writeRow(r)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// An empty last cell leaves its column's padding at the end of a line.
	for line := range bytes.Lines(buf.Bytes()) {
		line = bytes.TrimRight(line, " \n")
		if _, err := w.Write(append(line, '\n')); err != nil {
			return err
		}
	}
	return nil
}
