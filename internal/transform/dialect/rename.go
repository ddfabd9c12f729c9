package dialect

// Rename renames schema.from to to, a relation of kind (adapter.rename_relation).
func (d *Dialect) Rename(kind, schema, from, to string) string {
	return d.rename(kind, schema, from, to)
}
