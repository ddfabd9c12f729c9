package pgload

// ForceLegacyMerge makes PostgreSQL merges take the path of servers before 15 (UPDATE then
// INSERT instead of MERGE). Only for tests that do not run in parallel.
func ForceLegacyMerge(on bool) { pgLegacyMerge = on }

// ForceNoDeltaMerge turns delta merges off (merge_delta.go). Only for tests that do not run in
// parallel.
func ForceNoDeltaMerge(on bool) { noDeltaMerge = on }

// DeltaMerges counts the merges staged as deltas.
func DeltaMerges() int64 { return deltaMerges.Load() }
