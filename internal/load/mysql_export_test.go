package load

// ForceMySQLInsert makes MySQL destinations opened from now on use INSERT instead of LOAD DATA.
// Only for tests that do not run in parallel.
func ForceMySQLInsert(on bool) { mysqlForceInsert = on }
