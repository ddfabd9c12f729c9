package notify

import (
	"net/url"
	"slices"
	"strings"

	"github.com/datanika/datanika/internal/apperr"
)

// Events a notification may subscribe to (openapi.yaml's NotificationEvent) and node types.
var (
	eventNames = []string{"failure", "success", "recovery", "overdue"}
	nodeTypes  = []string{"pipeline", "transformation", "job"}
)

func checkName(raw string) (string, *apperr.FieldError) {
	name := strings.TrimSpace(raw)
	if name == "" || len([]rune(name)) > 100 {
		return "", &apperr.FieldError{Field: "name", Message: "must be 1 to 100 characters"}
	}
	return name, nil
}

// checkURL accepts an absolute http(s) URL with a host and no credentials in it. Where it
// points is the egress policy's business, decided when it is dialled.
func checkURL(raw string) (string, *apperr.FieldError) {
	s := strings.TrimSpace(raw)
	u, err := url.Parse(s)
	switch {
	case s == "" || len(s) > 2000:
		return "", &apperr.FieldError{Field: "url", Message: "must be 1 to 2000 characters"}
	case err != nil || !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "":
		return "", &apperr.FieldError{Field: "url", Message: "must be an absolute http:// or https:// URL"}
	case u.User != nil:
		return "", &apperr.FieldError{Field: "url", Message: "must not contain a user name or password"}
	}
	return s, nil
}

// checkEvents keeps each known event once, in the order of eventNames.
func checkEvents(in []string) ([]string, *apperr.FieldError) {
	if len(in) == 0 {
		return nil, &apperr.FieldError{Field: "events", Message: "must name at least one of failure, success, recovery, overdue"}
	}
	for _, e := range in {
		if !slices.Contains(eventNames, e) {
			return nil, &apperr.FieldError{Field: "events", Message: "must be among failure, success, recovery, overdue"}
		}
	}
	out := make([]string, 0, len(in))
	for _, e := range eventNames {
		if slices.Contains(in, e) {
			out = append(out, e)
		}
	}
	return out, nil
}

// checkTarget: both null (every node of the org) or both set with a known node type.
func checkTarget(typ *string, id *int64) *apperr.FieldError {
	switch {
	case typ == nil && id == nil:
		return nil
	case typ == nil:
		return &apperr.FieldError{Field: "target_type", Message: "is required with target_id"}
	case id == nil:
		return &apperr.FieldError{Field: "target_id", Message: "is required with target_type"}
	case !slices.Contains(nodeTypes, *typ):
		return &apperr.FieldError{Field: "target_type", Message: "must be pipeline, transformation or job"}
	case *id <= 0:
		return &apperr.FieldError{Field: "target_id", Message: "must be a positive id"}
	}
	return nil
}

// MaskURL hides everything after the host: a Slack webhook's path is its credential, and a
// webhook's may be one too. Members below admin see URLs this way.
func MaskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "****"
	}
	return u.Scheme + "://" + u.Host + "/****"
}

func invalid(fields []apperr.FieldError) error {
	return apperr.Invalidf(fields, "The notification is invalid.")
}
