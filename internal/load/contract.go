package load

import (
	"fmt"
	"slices"
)

// contractCheck is what the schema contract decided for one table load into an existing
// destination table, shared by the SQL destinations: which source columns are written, which
// are added, which existing columns are widened, whose values are checked one by one.
type contractCheck struct {
	exists   bool
	existing []existingColumn
	// keep marks the plan's columns that are written (discard_value drops new ones).
	keep []bool
	// addColumns are the columns evolve adds to an existing table.
	addColumns []int
	// widen are the existing columns evolve widens for the source's type.
	widen []columnWidening
	// guards check the values of the columns whose type differs, under data_type
	// discard_value or discard_row.
	guards []valueGuard
}

// newContractCheck applies the schema contract to the plan against the destination's existing
// columns (none: the table does not exist), before anything is copied, so a forbidden change
// fails the run with the destination untouched. want is the destination type of plan column i,
// same compares a type with the destination catalog's spelling of one.
func newContractCheck(p *TablePlan, schema string, existing []existingColumn, d widenDialect,
	want func(i int) string, same func(have, want string) bool) (contractCheck, error) {
	c := contractCheck{exists: len(existing) > 0, existing: existing, keep: make([]bool, len(p.Columns))}
	for i := range c.keep {
		c.keep[i] = true
	}
	if !c.exists {
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
		idx := slices.IndexFunc(existing, func(e existingColumn) bool { return e.name == name })
		if idx < 0 {
			switch p.Contract.Columns {
			case ContractFreeze:
				return c, fmt.Errorf("%w: column %q of %q is not in the destination and schema_contract.columns is freeze",
					ErrContract, name, schema+"."+p.Name)
			case ContractDiscardValue, ContractDiscardRow:
				c.keep[i] = false
			default:
				c.addColumns = append(c.addColumns, i)
			}
			continue
		}
		have, want := existing[idx].typ, want(i)
		if same(have, want) {
			continue
		}
		if err := typeChange(p, schema, d, i, have, want, &c.guards, &c.widen); err != nil {
			return c, err
		}
	}
	return c, nil
}

// valueGuards are the columns whose values are checked against the destination's type.
func (c *contractCheck) valueGuards() []valueGuard { return c.guards }

// allKept says every source column is written (no discard_value of a new column), and no
// value needs checking one by one: the paths that copy rows without decoding them need both.
func (c *contractCheck) allKept() bool { return !slices.Contains(c.keep, false) && len(c.guards) == 0 }

// typeChange applies the data_type contract to source column i, whose type want differs from
// the destination column's have: freeze fails naming both; discard_value/discard_row guard its
// values one by one as they stream; evolve widens the column to a type that holds both exactly,
// or fails when there is none. The new table of a replace is built in the source's types.
func typeChange(p *TablePlan, schema string, d widenDialect, i int, have, want string, guards *[]valueGuard,
	widens *[]columnWidening) error {
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
		switch w := widen(d, have, want); w.Verdict {
		case Incompatible:
			return fmt.Errorf("%w: column %q of %q is %s in the destination but %s in the source, and no type holds both exactly",
				ErrContract, name, schema+"."+p.Name, have, want)
		case WidenTo:
			*widens = append(*widens, columnWidening{column: name, from: have, to: w.To})
		}
	}
	return nil
}

// columnWidening is an existing column that evolve changes to a wider type.
type columnWidening struct {
	column, from, to string
}
