package transform

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestOpenTarget_DatabaseIsTheURLsOrLibpqsDefault(t *testing.T) {
	t.Parallel()
	for url, want := range map[string]string{
		"postgres://u@127.0.0.1:5432/shop?search_path=mart": "shop",
		"postgres://ann@127.0.0.1:5432":                     "ann",
		"postgresql://127.0.0.1/":                           "postgres",
		"mysql://root@127.0.0.1:3306/shop":                  "",
	} {
		tg, err := OpenTarget(url, "", 1)
		require.NoError(t, err, url)
		require.Equal(t, want, tg.Database, url)
		require.NoError(t, tg.DB.Close())
	}
}
