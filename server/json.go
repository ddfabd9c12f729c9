package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
)

// exactJSON is Echo's JSON serializer, except that request bodies keep their numbers exact:
// values of free-form objects (a pipeline's filter values and initial_value, a connection's
// settings) decode as json.Number instead of float64, which would round integers beyond 2^53
// (9007199254740993 arrived as ...992). Answers are encoded as Echo does.
type exactJSON struct{ echo.DefaultJSONSerializer }

func (exactJSON) Deserialize(c echo.Context, i any) error {
	dec := json.NewDecoder(c.Request().Body)
	dec.UseNumber()
	err := dec.Decode(i)
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("Unmarshal type error: expected=%v, got=%v, field=%v, offset=%v",
			typeErr.Type, typeErr.Value, typeErr.Field, typeErr.Offset)).SetInternal(err)
	case errors.As(err, &syntaxErr):
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("Syntax error: offset=%v, error=%v", syntaxErr.Offset, syntaxErr.Error())).SetInternal(err)
	}
	return err
}
