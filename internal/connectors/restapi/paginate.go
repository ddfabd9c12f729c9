package restapi

import (
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// jsonLinkPaths are where auto pagination looks for the next page's URL in a JSON body.
var jsonLinkPaths = []string{"next", "next_url", "nextUrl", "next_page_url", "links.next", "_links.next.href",
	"paging.next", "pagination.next"}

// pager walks the pages of one resource. It is a small state machine: start adds the first
// page's parameters, next reads a page and says where the following one is.
type pager struct {
	cfg    Paginator
	kind   string
	offset int
	page   int
	cursor string
}

func newPager(cfg Paginator) *pager {
	kind := cfg.Type
	if kind == "" {
		kind = PageAuto
	}
	return &pager{cfg: cfg, kind: kind, page: cfg.StartPage}
}

// start sets the first page's parameters.
func (p *pager) start(q url.Values) {
	switch p.kind {
	case PageOffset:
		q.Set(p.cfg.LimitParam, strconv.Itoa(p.cfg.Limit))
		q.Set(p.cfg.OffsetParam, strconv.Itoa(p.offset))
	case PageNumber:
		q.Set(p.cfg.PageParam, strconv.Itoa(p.page))
	}
}

// next returns the URL of the page after pg, or nil when pg was the last. Links the server
// gives must stay on the API's scheme and host: credentials go nowhere else.
func (p *pager) next(api *url.URL, pg *page) (*url.URL, error) {
	switch p.kind {
	case PageAuto:
		// Decided on the first page, then kept.
		if path := findJSONLink(pg.doc); path != "" {
			p.kind, p.cfg.NextURLPath = PageJSONLink, path
		} else if nextLink(pg.header) != "" {
			p.kind = PageHeaderLink
		} else {
			p.kind = PageSingle
		}
		return p.next(api, pg)
	case PageJSONLink:
		v, _ := lookup(pg.doc, p.cfg.NextURLPath)
		link, ok := scalarText(v)
		if !ok || link == "" {
			return nil, nil
		}
		return follow(api, pg, link)
	case PageHeaderLink:
		link := nextLink(pg.header)
		if link == "" {
			return nil, nil
		}
		return follow(api, pg, link)
	case PageOffset:
		n := len(pg.records)
		if n == 0 {
			return nil, nil
		}
		p.offset += p.cfg.Limit
		if total, ok := p.total(pg); ok {
			if big.NewInt(int64(p.offset)).Cmp(total) >= 0 {
				return nil, nil
			}
		} else if n < p.cfg.Limit {
			return nil, nil
		}
		return withParam(pg.asked, p.cfg.OffsetParam, strconv.Itoa(p.offset)), nil
	case PageNumber:
		if len(pg.records) == 0 {
			return nil, nil
		}
		if total, ok := p.total(pg); ok {
			read := big.NewInt(int64(p.page - p.cfg.StartPage + 1))
			if read.Cmp(total) >= 0 {
				return nil, nil
			}
		}
		p.page++
		return withParam(pg.asked, p.cfg.PageParam, strconv.Itoa(p.page)), nil
	case PageCursor:
		v, _ := lookup(pg.doc, p.cfg.CursorPath)
		cursor, ok := scalarText(v)
		if !ok || cursor == "" {
			return nil, nil
		}
		if cursor == p.cursor {
			return nil, errors.New("pagination does not advance: the server answered the same cursor twice")
		}
		p.cursor = cursor
		return withParam(pg.asked, p.cfg.CursorParam, cursor), nil
	default: // single_page
		return nil, nil
	}
}

// total reads total_path as an integer.
func (p *pager) total(pg *page) (*big.Int, bool) {
	if p.cfg.TotalPath == "" {
		return nil, false
	}
	v, ok := lookup(pg.doc, p.cfg.TotalPath)
	if !ok {
		return nil, false
	}
	text, ok := scalarText(v)
	if !ok {
		return nil, false
	}
	n, ok := new(big.Int).SetString(strings.TrimSpace(text), 10)
	return n, ok
}

func withParam(u *url.URL, name, value string) *url.URL {
	out := *u
	q := out.Query()
	q.Set(name, value)
	out.RawQuery = q.Encode()
	return &out
}

// follow resolves a link given by the server against the page's URL.
func follow(api *url.URL, pg *page, link string) (*url.URL, error) {
	ref, err := url.Parse(strings.TrimSpace(link))
	if err != nil {
		return nil, errors.New("the next page link is not a URL")
	}
	u := pg.final.ResolveReference(ref)
	u.Fragment, u.RawFragment = "", ""
	if u.Scheme != api.Scheme || !strings.EqualFold(u.Host, api.Host) {
		return nil, fmt.Errorf("the next page link leaves %s://%s: refused, credentials go to the base URL's host only", api.Scheme, api.Host)
	}
	if u.String() == pg.asked.String() || u.String() == pg.final.String() {
		return nil, errors.New("pagination does not advance: the next page link is the page just read")
	}
	return u, nil
}

// findJSONLink returns the path of the first well-known next-page field holding a URL.
func findJSONLink(doc any) string {
	if _, ok := doc.(map[string]any); !ok {
		return ""
	}
	for _, path := range jsonLinkPaths {
		v, _ := lookup(doc, path)
		if s, ok := v.(string); ok && looksLikeLink(s) {
			return path
		}
	}
	return ""
}

func looksLikeLink(s string) bool {
	return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "/") ||
		strings.HasPrefix(s, "?")
}

// nextLink reads the rel="next" target of RFC 8288 Link headers.
func nextLink(h http.Header) string {
	for _, line := range h.Values("Link") {
		for _, part := range splitLinks(line) {
			target, params, ok := strings.Cut(part, ";")
			target = strings.TrimSpace(target)
			if !ok || !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
				continue
			}
			for _, param := range strings.Split(params, ";") {
				k, v, _ := strings.Cut(strings.TrimSpace(param), "=")
				if !strings.EqualFold(strings.TrimSpace(k), "rel") {
					continue
				}
				for _, rel := range strings.Fields(strings.Trim(strings.TrimSpace(v), `"`)) {
					if strings.EqualFold(rel, "next") {
						return target[1 : len(target)-1]
					}
				}
			}
		}
	}
	return ""
}

// splitLinks splits a Link header on the commas between links, not those inside <…> or quotes.
func splitLinks(s string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
		case quoted:
		case r == '<':
			depth++
		case r == '>':
			depth--
		case r == ',' && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
