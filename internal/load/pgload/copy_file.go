package pgload

import (
	"bufio"
	"context"
	"fmt"
	"io"

	"github.com/datanika/datanika/internal/load"
	"github.com/datanika/datanika/internal/load/pgcopy"
)

// copyFileText copies the rows of a file source into the destination's staging as COPY text.
func copyFileText(ctx context.Context, s load.CopyTextSource, dst *pgTableLoad, w load.Window, progress func(rows int64)) (rows, bytes int64, err error) {
	return copyPiped(ctx, dst, false, func(out io.Writer) (int64, int64, error) {
		bw := bufio.NewWriterSize(out, 256<<10)
		rows, bytes, err := s.WriteCopyText(ctx, dst.plan.Source, w, bw, progress)
		if err == nil {
			err = bw.Flush()
		}
		return rows, bytes, err
	})
}

// copyFileBinary copies the rows of a file source into the destination's staging as binary
// COPY.
func copyFileBinary(ctx context.Context, s load.CopyBinarySource, dst *pgTableLoad, w load.Window, progress func(rows int64)) (rows, bytes int64, err error) {
	return copyPiped(ctx, dst, true, func(out io.Writer) (int64, int64, error) {
		pw := pgcopy.NewWriter(out)
		rows, bytes, err := s.WriteCopyBinary(ctx, dst.plan.Source, w, pw, progress)
		if err == nil {
			err = pw.Close()
		}
		return rows, bytes, err
	})
}

// copyPiped runs a COPY into the staging and write, which writes its data, beside it through a
// pipe; a failed COPY stops the writer, a failed writer the COPY. It checks that the
// destination took every row written.
func copyPiped(ctx context.Context, dst *pgTableLoad, binary bool, write func(io.Writer) (rows, bytes int64, err error)) (rows, bytes int64, err error) {
	t := dst.plan.Source
	pr, pw := io.Pipe()
	type result struct {
		n   int64
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := dst.copyIn(ctx, pr, binary)
		_ = pr.CloseWithError(err) // a failed COPY stops the writer
		done <- result{n, err}
	}()
	rows, bytes, err = write(pw)
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
