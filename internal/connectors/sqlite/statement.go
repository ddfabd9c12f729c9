package sqlite

import (
	"errors"
	"strings"
)

// ErrManyStatements refuses a query text holding more than one statement.
var ErrManyStatements = errors.New("only one statement can be run at a time")

// singleStatement reports whether sql holds at most one statement. Unlike the PostgreSQL and
// MySQL drivers, the SQLite driver runs a script statement by statement and has no setting to
// refuse one, so the text is split here with SQLite's own lexical rules: '…', "…" and `…`
// quote with the quote doubled as escape, […] quotes without escape, -- and /* */ are
// comments. This is a consistency rule, not the safety boundary: the file is opened
// read-only and cannot attach others, so a second statement could only read.
func singleStatement(sql string) bool {
	if i := strings.IndexByte(sql, 0); i >= 0 {
		sql = sql[:i] // SQLite reads a C string and sees nothing past a NUL
	}
	end := statementEnd(sql)
	if end < 0 {
		return true
	}
	for i := end + 1; i < len(sql); {
		switch c := sql[i]; {
		case c == ';' || c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r':
			i++
		case strings.HasPrefix(sql[i:], "--"):
			i = lineCommentEnd(sql, i)
		case strings.HasPrefix(sql[i:], "/*"):
			i = blockCommentEnd(sql, i)
		default:
			return false
		}
	}
	return true
}

// statementEnd returns the index of the ';' that ends the first statement, or -1.
func statementEnd(sql string) int {
	for i := 0; i < len(sql); {
		switch c := sql[i]; {
		case c == ';':
			return i
		case c == '\'' || c == '"' || c == '`':
			i = quotedEnd(sql, i, c, true)
		case c == '[':
			i = quotedEnd(sql, i, ']', false)
		case strings.HasPrefix(sql[i:], "--"):
			i = lineCommentEnd(sql, i)
		case strings.HasPrefix(sql[i:], "/*"):
			i = blockCommentEnd(sql, i)
		default:
			i++
		}
	}
	return -1
}

// quotedEnd returns the index after the quote closing the one at start; an unterminated
// quote runs to the end, as in SQLite.
func quotedEnd(sql string, start int, closing byte, doubled bool) int {
	for i := start + 1; i < len(sql); i++ {
		if sql[i] != closing {
			continue
		}
		if doubled && i+1 < len(sql) && sql[i+1] == closing {
			i++
			continue
		}
		return i + 1
	}
	return len(sql)
}

func lineCommentEnd(sql string, start int) int {
	if j := strings.IndexByte(sql[start:], '\n'); j >= 0 {
		return start + j + 1
	}
	return len(sql)
}

func blockCommentEnd(sql string, start int) int {
	if j := strings.Index(sql[start+2:], "*/"); j >= 0 {
		return start + 2 + j + 2
	}
	return len(sql)
}
