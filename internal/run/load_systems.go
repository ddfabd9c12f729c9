package run

// The load engine's system packages register their sources and destinations with package
// load when linked; the worker runs loads, so it links them.
import (
	_ "github.com/datanika/datanika/internal/load/myload"
	_ "github.com/datanika/datanika/internal/load/pgload"
)
