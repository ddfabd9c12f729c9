package load

import (
	"fmt"
	"slices"
)

// ContractCheck is what the schema contract decided for one table load into an existing
// destination table, shared by the SQL destinations: which source columns are written, which
// are added, which existing columns are widened, whose values are checked one by one.
type ContractCheck struct {
	// Exists says the table exists; Existing are its columns.
	Exists   bool
	Existing []ExistingColumn
	// Keep marks the plan's columns that are written (discard_value drops new ones).
	Keep []bool
	// AddColumns are the columns evolve adds to an existing table.
	AddColumns []int
	// Widen are the existing columns evolve widens for the source's type.
	Widen []ColumnWidening
	// guards check the values of the columns whose type differs, under data_type
	// discard_value or discard_row.
	guards []ValueGuard
}

// NewContractCheck applies the schema contract to the plan against the destination's existing
// columns (none: the table does not exist), before anything is copied, so a forbidden change
// fails the run with the destination untouched. want is the destination type of plan column i,
// same compares a type with the destination catalog's spelling of one.
func NewContractCheck(p *TablePlan, schema string, existing []ExistingColumn, d WidenDialect,
	want func(i int) string, same func(have, want string) bool) (ContractCheck, error) {
	c := ContractCheck{Exists: len(existing) > 0, Existing: existing, Keep: make([]bool, len(p.Columns))}
	for i := range c.Keep {
		c.Keep[i] = true
	}
	if !c.Exists {
		if p.Contract.Tables == ContractFreeze {
			return c, fmt.Errorf("%w: table %q does not exist in the destination and schema_contract.tables is freeze",
				ErrContract, schema+"."+p.Name)
		}
		return c, nil
	}
	if p.Disposition == Replace && p.Contract.Columns == ContractEvolve && p.Contract.DataType == ContractEvolve {
		return c, nil // the table is rebuilt in the source's shape
	}
	for i, name := range p.Columns {
		idx := slices.IndexFunc(existing, func(e ExistingColumn) bool { return e.Name == name })
		if idx < 0 {
			switch p.Contract.Columns {
			case ContractFreeze:
				return c, fmt.Errorf("%w: column %q of %q is not in the destination and schema_contract.columns is freeze",
					ErrContract, name, schema+"."+p.Name)
			case ContractDiscardValue, ContractDiscardRow:
				c.Keep[i] = false
			default:
				c.AddColumns = append(c.AddColumns, i)
			}
			continue
		}
		have, want := existing[idx].Type, want(i)
		if same(have, want) {
			continue
		}
		if err := typeChange(p, schema, d, i, have, want, &c.guards, &c.Widen); err != nil {
			return c, err
		}
	}
	return c, nil
}

// ValueGuards are the columns whose values are checked against the destination's type.
func (c *ContractCheck) ValueGuards() []ValueGuard { return c.guards }

// AllKept says every source column is written (no discard_value of a new column), and no
// value needs checking one by one: the paths that copy rows without decoding them need both.
func (c *ContractCheck) AllKept() bool { return !slices.Contains(c.Keep, false) && len(c.guards) == 0 }

// typeChange applies the data_type contract to source column i, whose type want differs from
// the destination column's have: freeze fails naming both; discard_value/discard_row guard its
// values one by one as they stream; evolve widens the column to a type that holds both exactly,
// or fails when there is none. The new table of a replace is built in the source's types.
func typeChange(p *TablePlan, schema string, d WidenDialect, i int, have, want string, guards *[]ValueGuard,
	widens *[]ColumnWidening) error {
	name := p.Columns[i]
	switch p.Contract.DataType {
	case ContractFreeze:
		return fmt.Errorf("%w: column %q of %q is %s in the destination but %s in the source and schema_contract.data_type is freeze",
			ErrContract, name, schema+"."+p.Name, have, want)
	case ContractDiscardValue, ContractDiscardRow:
		if g, ok := newValueGuard(d, i, p.Source.Columns[i].Type.Kind, have, want); ok && p.Disposition != Replace {
			*guards = append(*guards, g)
		}
	case ContractEvolve:
		if p.Disposition == Replace {
			return nil
		}
		switch w := Widen(d, have, want); w.Verdict {
		case Incompatible:
			return fmt.Errorf("%w: column %q of %q is %s in the destination but %s in the source, and no type holds both exactly",
				ErrContract, name, schema+"."+p.Name, have, want)
		case WidenTo:
			*widens = append(*widens, ColumnWidening{Column: name, From: have, To: w.To})
		}
	}
	return nil
}

// ColumnWidening is an existing column that evolve changes to a wider type.
type ColumnWidening struct {
	// Column is widened from the type spelled From to the one spelled To.
	Column, From, To string
}

// ExistingColumn is a column of a destination table as it is.
type ExistingColumn struct {
	// Type is the column's type as the destination's catalog spells it.
	Name, Type string
}
