package pgload

import (
	"bufio"
	"context"
	"fmt"
	"io"

	"github.com/datanika/datanika/internal/load"
)

// copyFileText copies the rows of a file source into the destination's staging as COPY text.
func copyFileText(ctx context.Context, s load.CopyTextSource, dst *pgTableLoad, w load.Window, progress func(rows int64)) (rows, bytes int64, err error) {
	t := dst.plan.Source
	pr, pw := io.Pipe()
	type result struct {
		n   int64
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := dst.copyIn(ctx, pr, false)
		_ = pr.CloseWithError(err) // a failed COPY stops the writer
		done <- result{n, err}
	}()
	bw := bufio.NewWriterSize(pw, 256<<10)
	rows, bytes, err = s.WriteCopyText(ctx, t, w, bw, progress)
	if err == nil {
		err = bw.Flush()
	}
	_ = pw.CloseWithError(err)
	out := <-done
	switch {
	case err != nil:
		return rows, bytes, err
	case out.err != nil:
		return rows, bytes, out.err
	case out.n != rows:
		return rows, bytes, fmt.Errorf("%w: %s: %d records read, the destination took %d", load.ErrVerify, t.QualifiedName(), rows, out.n)
	}
	return rows, bytes, nil
}
