package load

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// Parquet files carry their own types, mapped exactly: integers by width and sign (unsigned
// 64-bit as decimal), decimals digit for digit from their unscaled integers, dates, times and
// timestamps with their unit (a timestamp adjusted to UTC is an instant, timestamptz; one that
// is not is a wall clock, timestamp; INT96 is the legacy nanosecond wall clock), strings,
// enums, UUIDs, JSON and bytes; a top-level group (list, map, struct) or repeated field is a
// JSON column.

// parquetPlan is how a parquet file's top-level fields become the table's columns.
type parquetPlan struct {
	fields []parquetField
	nested bool
}

type parquetField struct {
	name string
	// leaf is the column index of a top-level leaf; -1 for a nested field.
	leaf int
	conv func(parquet.Value) (any, error)
	// scale of a decimal held as an int32 or int64 (-1 otherwise), for COPY text.
	scale int
}

func (s *fileSource) inferParquet(ctx context.Context, obj fileObject) error {
	f, closeFn, err := openParquet(ctx, obj)
	if err != nil {
		return err
	}
	defer func() { _ = closeFn() }()
	plan, cols, err := planParquet(f.Schema())
	if err != nil {
		return err
	}
	s.parquet = plan
	t := &Table{Name: s.defaultName, Columns: cols, CastText: make([]bool, len(cols))}
	s.table = t
	return nil
}

func openParquet(ctx context.Context, obj fileObject) (*parquet.File, func() error, error) {
	ra, size, closer, err := obj.openAt(ctx)
	if err != nil {
		return nil, nil, err
	}
	f, err := parquet.OpenFile(ra, size)
	if err != nil {
		_ = closer.Close()
		return nil, nil, fmt.Errorf("parquet: %w", err)
	}
	return f, closer.Close, nil
}

// planParquet maps a schema's top-level fields.
func planParquet(schema *parquet.Schema) (*parquetPlan, []Column, error) {
	plan := &parquetPlan{}
	var cols []Column
	leaf := 0
	for _, field := range schema.Fields() {
		n := leafCount(field)
		if !field.Leaf() || field.Repeated() {
			plan.nested = true
			plan.fields = append(plan.fields, parquetField{name: field.Name(), leaf: -1, scale: -1})
			cols = append(cols, Column{Name: field.Name(), Type: Type{Kind: KindJSON, Source: "parquet group"}, Nullable: true})
			leaf += n
			continue
		}
		typ, conv, err := parquetLeaf(field)
		if err != nil {
			return nil, nil, fmt.Errorf("column %q: %w", field.Name(), err)
		}
		pf := parquetField{name: field.Name(), leaf: leaf, conv: conv, scale: -1}
		if k := field.Type().Kind(); isParquetDecimal(field) && (k == parquet.Int32 || k == parquet.Int64) {
			pf.scale = typ.Scale
		}
		plan.fields = append(plan.fields, pf)
		cols = append(cols, Column{Name: field.Name(), Type: typ, Nullable: field.Optional()})
		leaf += n
	}
	return plan, cols, nil
}

// isParquetDecimal says whether a leaf is a DECIMAL: an unsigned 64-bit integer also loads as
// a decimal, but its int64 bits are not a signed unscaled value.
func isParquetDecimal(field parquet.Field) bool {
	lt := field.Type().LogicalType()
	if lt == nil {
		return false
	}
	_, ok := lt.Value.(*format.DecimalType)
	return ok
}

func leafCount(n parquet.Node) int {
	if n.Leaf() {
		return 1
	}
	c := 0
	for _, f := range n.Fields() {
		c += leafCount(f)
	}
	return c
}

func unitName(u format.TimeUnit) string {
	switch u.Value.(type) {
	case *format.MilliSeconds:
		return "millis"
	case *format.NanoSeconds:
		return "nanos"
	}
	return "micros"
}

// parquetLeaf maps a leaf's physical and logical type to a Type and a converter.
func parquetLeaf(field parquet.Field) (Type, func(parquet.Value) (any, error), error) {
	pt := field.Type()
	kind := pt.Kind()
	lt := pt.LogicalType()
	src := pt.String()
	ty := func(k Kind) Type { return Type{Kind: k, Source: "parquet " + src} }
	if lt != nil {
		switch l := lt.Value.(type) {
		case *format.StringType, *format.EnumType:
			return ty(KindText), func(v parquet.Value) (any, error) { return string(v.ByteArray()), nil }, nil
		case *format.JsonType:
			return ty(KindJSON), func(v parquet.Value) (any, error) {
				b := v.ByteArray()
				if !json.Valid(b) {
					return nil, errors.New("the value is not valid JSON")
				}
				return string(b), nil
			}, nil
		case *format.UUIDType:
			return ty(KindUUID), func(v parquet.Value) (any, error) {
				b := v.ByteArray()
				if len(b) != 16 {
					return nil, errors.New("a UUID is 16 bytes")
				}
				return [16]byte(b), nil
			}, nil
		case *format.DateType:
			return ty(KindDate), func(v parquet.Value) (any, error) {
				return time.Unix(int64(v.Int32())*86400, 0).UTC(), nil
			}, nil
		case *format.DecimalType:
			t := ty(KindDecimal)
			t.Precision, t.Scale = int(l.Precision), int(l.Scale)
			exp := -l.Scale
			return t, func(v parquet.Value) (any, error) {
				var i *big.Int
				switch kind {
				case parquet.Int32:
					i = big.NewInt(int64(v.Int32()))
				case parquet.Int64:
					i = big.NewInt(v.Int64())
				default:
					i = twosComplement(v.ByteArray())
				}
				return pgtype.Numeric{Int: i, Exp: exp, Valid: true}, nil
			}, nil
		case *format.TimeType:
			src = fmt.Sprintf("time(%s)", unitName(l.Unit))
			return ty(KindTime), func(v parquet.Value) (any, error) {
				var us int64
				switch l.Unit.Value.(type) {
				case *format.MilliSeconds:
					us = int64(v.Int32()) * 1000
				case *format.NanoSeconds:
					us = v.Int64() / 1000
				default:
					us = v.Int64()
				}
				return pgtype.Time{Microseconds: us, Valid: true}, nil
			}, nil
		case *format.TimestampType:
			k := KindTimestamp
			zone := "local"
			if l.IsAdjustedToUTC {
				k, zone = KindTimestampTZ, "utc"
			}
			src = fmt.Sprintf("timestamp(%s, %s)", unitName(l.Unit), zone)
			return ty(k), func(v parquet.Value) (any, error) {
				n := v.Int64()
				switch l.Unit.Value.(type) {
				case *format.MilliSeconds:
					return time.UnixMilli(n).UTC(), nil
				case *format.NanoSeconds:
					return time.Unix(0, n).UTC(), nil
				default:
					return time.UnixMicro(n).UTC(), nil
				}
			}, nil
		case *format.IntType:
			switch {
			case !l.IsSigned && l.BitWidth == 64:
				t := ty(KindDecimal)
				t.Precision = 20
				return t, func(v parquet.Value) (any, error) {
					return pgtype.Numeric{Int: new(big.Int).SetUint64(v.Uint64()), Valid: true}, nil
				}, nil
			case !l.IsSigned && l.BitWidth == 32:
				return ty(KindInt64), func(v parquet.Value) (any, error) { return int64(v.Uint32()), nil }, nil
			case l.BitWidth <= 16 && l.IsSigned, l.BitWidth <= 8:
				return ty(KindInt16), func(v parquet.Value) (any, error) { return int64(v.Int32()), nil }, nil
			}
		}
	}
	switch kind {
	case parquet.Boolean:
		return ty(KindBool), func(v parquet.Value) (any, error) { return v.Boolean(), nil }, nil
	case parquet.Int32:
		if lt != nil {
			if it, ok := lt.Value.(*format.IntType); ok && !it.IsSigned && it.BitWidth == 16 {
				return ty(KindInt32), func(v parquet.Value) (any, error) { return int64(v.Int32()), nil }, nil
			}
		}
		return ty(KindInt32), func(v parquet.Value) (any, error) { return int64(v.Int32()), nil }, nil
	case parquet.Int64:
		return ty(KindInt64), func(v parquet.Value) (any, error) { return v.Int64(), nil }, nil
	case parquet.Int96:
		src = "int96 timestamp(nanos, local)"
		return ty(KindTimestamp), func(v parquet.Value) (any, error) {
			i := v.Int96()
			nanos := int64(i[1])<<32 | int64(i[0])
			day := int64(i[2]) - 2440588 // Julian day of 1970-01-01
			return time.Unix(day*86400, nanos).UTC(), nil
		}, nil
	case parquet.Float:
		return ty(KindFloat32), func(v parquet.Value) (any, error) { return float64(v.Float()), nil }, nil
	case parquet.Double:
		return ty(KindFloat64), func(v parquet.Value) (any, error) { return v.Double(), nil }, nil
	case parquet.ByteArray, parquet.FixedLenByteArray:
		return ty(KindBytes), func(v parquet.Value) (any, error) {
			return append([]byte{}, v.ByteArray()...), nil // empty, not NULL, when it has no bytes
		}, nil
	}
	return Type{}, nil, fmt.Errorf("parquet type %s is not supported", src)
}

// twosComplement reads a big-endian two's complement integer (parquet's decimal bytes).
func twosComplement(b []byte) *big.Int {
	i := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		i.Sub(i, new(big.Int).Lsh(big.NewInt(1), uint(len(b))*8))
	}
	return i
}

// eachParquetRow calls fn with each row of a parquet object: the file's fields, the table
// column of each (pos), the value of each leaf field (vals, by field; a null Value for a missing
// one) and, when the file has nested fields, the row reconstructed (nested).
func (s *fileSource) eachParquetRow(ctx context.Context, obj fileObject, t *Table,
	fn func(fields []parquetField, pos []int, vals []parquet.Value, nested map[string]any) error) error {
	f, closeFn, err := openParquet(ctx, obj)
	if err != nil {
		return fmt.Errorf("%s: %w", obj.Name, err)
	}
	defer func() { _ = closeFn() }()
	plan, cols, err := planParquet(f.Schema())
	if err != nil {
		return fmt.Errorf("%s: %w", obj.Name, err)
	}
	pos := make([]int, len(plan.fields))
	leafField := map[int]int{} // leaf column → field
	for i, pf := range plan.fields {
		idx, col := t.Column(pf.name)
		if idx < 0 || pf.name == s.fileColumn {
			return fmt.Errorf("%s: column %q is not in the first file", obj.Name, pf.name)
		}
		if col.Type.Kind != cols[i].Type.Kind || col.Type.Precision != cols[i].Type.Precision || col.Type.Scale != cols[i].Type.Scale {
			return fmt.Errorf("%s: column %q is %s where the first file's is %s", obj.Name, pf.name, cols[i].Type.Source, col.Type.Source)
		}
		pos[i] = idx
		if pf.leaf >= 0 {
			leafField[pf.leaf] = i
		}
	}
	byLeaf := make([]int, 0, 64) // leaf column → field, as a slice
	for leaf, fi := range leafField {
		for len(byLeaf) <= leaf {
			byLeaf = append(byLeaf, -1)
		}
		byLeaf[leaf] = fi
	}
	schema := f.Schema()
	rowBuf := make([]parquet.Row, 256)
	vals := make([]parquet.Value, len(plan.fields))
	var rowNum int64
	for _, rg := range f.RowGroups() {
		if err := s.parquetGroup(ctx, rg, func(prow parquet.Row) error {
			rowNum++
			clear(vals)
			for _, v := range prow {
				if c := v.Column(); c < len(byLeaf) && byLeaf[c] >= 0 {
					vals[byLeaf[c]] = v // a top-level leaf is not repeated: one value per row
				}
			}
			var nested map[string]any
			if plan.nested {
				nested = map[string]any{}
				if err := schema.Reconstruct(&nested, prow); err != nil {
					return fmt.Errorf("%s, row %d: %w", obj.Name, rowNum, err)
				}
			}
			if err := fn(plan.fields, pos, vals, nested); err != nil {
				return fmt.Errorf("%s, row %d: %w", obj.Name, rowNum, err)
			}
			return nil
		}, rowBuf); err != nil {
			return err
		}
	}
	return nil
}

// parquetGroup calls fn with each row of a row group.
func (s *fileSource) parquetGroup(ctx context.Context, rg parquet.RowGroup, fn func(parquet.Row) error, buf []parquet.Row) error {
	rows := rg.Rows()
	defer func() { _ = rows.Close() }()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, rerr := rows.ReadRows(buf)
		for _, prow := range buf[:n] {
			if err := fn(prow); err != nil {
				return err
			}
		}
		if errors.Is(rerr, io.EOF) {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

// readParquet reads one parquet object's rows into batches, its columns matched to the
// table's by name.
func (s *fileSource) readParquet(ctx context.Context, obj fileObject, rd *rowReader) error {
	fileIdx := -1
	if s.fileColumn != "" {
		fileIdx, _ = rd.t.Column(s.fileColumn)
	}
	return s.eachParquetRow(ctx, obj, rd.t, func(fields []parquetField, pos []int, vals []parquet.Value, nested map[string]any) error {
		row := rd.b.Next()
		for i, pf := range fields {
			ci := pos[i]
			if pf.leaf < 0 {
				if v, ok := nested[pf.name]; ok && v != nil {
					b, err := json.Marshal(v)
					if err != nil {
						return fmt.Errorf("column %q: %w", pf.name, err)
					}
					row[ci] = string(b)
				}
				continue
			}
			if vals[i].IsNull() {
				continue
			}
			cv, err := pf.conv(vals[i])
			if err != nil {
				return fmt.Errorf("column %q: %w", pf.name, err)
			}
			row[ci] = cv
		}
		if fileIdx >= 0 {
			row[fileIdx] = obj.Name
		}
		rd.b.Bytes += int64(len(vals)) * 8
		return rd.finish(false)
	})
}
