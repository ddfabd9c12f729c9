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
	copied, err := pipeCopy(ctx, dst, false, func(out io.Writer) error {
		bw := bufio.NewWriterSize(out, 256<<10)
		var err error
		if rows, bytes, err = s.WriteCopyText(ctx, dst.plan.Source, w, bw, progress); err != nil {
			return err
		}
		return bw.Flush()
	})
	return rows, bytes, checkCopied(dst, rows, copied, err)
}

// copyFileBinary copies the rows of a file source into the destination's staging as binary
// COPY.
func copyFileBinary(ctx context.Context, s load.CopyBinarySource, dst *pgTableLoad, w load.Window, progress func(rows int64)) (rows, bytes int64, err error) {
	copied, err := pipeCopy(ctx, dst, true, func(out io.Writer) error {
		pw := pgcopy.NewWriter(out)
		var err error
		if rows, bytes, err = s.WriteCopyBinary(ctx, dst.plan.Source, w, pw, progress); err != nil {
			return err
		}
		return pw.Close()
	})
	return rows, bytes, checkCopied(dst, rows, copied, err)
}

// checkCopied is err, else an ErrVerify when the destination took other than the rows written.
func checkCopied(dst *pgTableLoad, rows, copied int64, err error) error {
	if err == nil && copied != rows {
		return fmt.Errorf("%w: %s: %d records read, the destination took %d", load.ErrVerify, dst.plan.Source.QualifiedName(), rows, copied)
	}
	return err
}

// pipeCopy runs a COPY into the staging with write, which writes its data, beside it through a
// pipe: a failed COPY stops the writer, a failed writer the COPY. It returns the rows the
// destination took and the writer's error, else the COPY's.
func pipeCopy(ctx context.Context, dst *pgTableLoad, binary bool, write func(io.Writer) error) (int64, error) {
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
	err := write(pw)
	_ = pw.CloseWithError(err)
	out := <-done
	if err != nil {
		return out.n, err
	}
	return out.n, out.err
}
