package connectors

import (
	"database/sql/driver"
	"encoding/base64"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"time"
)

// JSONValue turns a value read from a database into one that encodes to JSON without loss or
// failure: bytes become base64, times RFC 3339, arbitrary-precision numbers (big.*, and
// decimals through their driver.Valuer text) strings, NaN and infinities strings (JSON has no
// such numbers). 64-bit integers stay numbers: exact in the JSON text, though a JavaScript
// client rounds them beyond 2^53. Values it does not know are asked for their driver.Valuer or
// fmt form.
func JSONValue(v any) any {
	switch x := v.(type) {
	case nil, bool, string, int8, int16, int32, uint8, uint16, uint32:
		return x
	case int:
		return int64(x)
	case int64, uint, uint64:
		return x
	case float32:
		return floatValue(float64(x), 32)
	case float64:
		return floatValue(x, 64)
	case []byte:
		if x == nil {
			return nil
		}
		return base64.StdEncoding.EncodeToString(x)
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case *big.Int:
		return x.String()
	case *big.Rat:
		return x.RatString()
	case *big.Float:
		return x.Text('g', -1)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = JSONValue(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = JSONValue(e)
		}
		return out
	case driver.Valuer:
		dv, err := x.Value()
		if err != nil {
			return fmt.Sprint(v)
		}
		if _, again := dv.(driver.Valuer); again {
			return fmt.Sprint(dv) // guard against a Valuer returning itself
		}
		return JSONValue(dv)
	case fmt.Stringer:
		return x.String()
	default:
		return fmt.Sprint(v)
	}
}

func floatValue(f float64, bits int) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'g', -1, bits)
	}
	return f
}
