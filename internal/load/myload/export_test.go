package myload

// ForceInsert makes MySQL destinations opened from now on use INSERT instead of LOAD DATA.
// Only for tests that do not run in parallel.
func ForceInsert(on bool) { mysqlForceInsert = on }
