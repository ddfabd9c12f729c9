package server

import (
	"encoding/base64"
	"strconv"

	"github.com/datanika/datanika/internal/apperr"
)

const defaultLimit = 50

// pageLimit applies the list default (50); the contract bounds it to 1..500.
func pageLimit(limit *int32) int32 {
	if limit == nil || *limit <= 0 {
		return defaultLimit
	}
	return min(*limit, 500)
}

// Cursors are opaque to clients: the position (an id) of the last item of the previous page.
func encodeCursor(id int64) *string {
	s := base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(id, 10)))
	return &s
}

func decodeCursor(cursor *string) (int64, error) {
	if cursor == nil || *cursor == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*cursor)
	if err == nil {
		if id, err := strconv.ParseInt(string(b), 10, 64); err == nil && id > 0 {
			return id, nil
		}
	}
	return 0, apperr.Invalidf([]apperr.FieldError{{Field: "cursor", Message: "is not a cursor this server issued"}}, "The cursor is invalid.")
}

// nextCursor is the cursor after a page of n items whose last position is last, or nil when the
// page was not full (the last page).
func nextCursor(n int, limit int32, last int64) *string {
	if n < int(limit) {
		return nil
	}
	return encodeCursor(last)
}

// page converts one page of rows to API items and computes the cursor of the next page from the
// position of the last row.
func page[T, R any](rows []T, limit int32, position func(T) int64, convert func(T) R) ([]R, *string) {
	items := make([]R, 0, len(rows))
	for _, r := range rows {
		items = append(items, convert(r))
	}
	if len(rows) == 0 {
		return items, nil
	}
	return items, nextCursor(len(rows), limit, position(rows[len(rows)-1]))
}
