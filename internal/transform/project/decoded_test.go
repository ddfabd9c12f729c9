package project

import (
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
)

func TestForgetDecoded_EmptiesTheCacheAndLoadingStillWorks(t *testing.T) {
	// Not parallel: the cache is the process's.
	fsys := fstest.MapFS{
		"dbt_project.yml":   {Data: []byte("name: p\n")},
		"models/a.sql":      {Data: []byte("select 1 as id")},
		"models/forget.yml": {Data: []byte("version: 2\nmodels:\n  - name: a\n    description: forget me\n")},
	}
	p, err := Load(fsys)
	require.NoError(t, err)
	require.Equal(t, "forget me", p.Nodes["model.p.a"].Description)
	decodedProperties.Lock()
	require.NotEmpty(t, decodedProperties.m)
	decodedProperties.Unlock()

	ForgetDecoded()
	decodedProperties.Lock()
	require.Empty(t, decodedProperties.m)
	decodedProperties.Unlock()

	p, err = Load(fsys)
	require.NoError(t, err)
	require.Equal(t, "forget me", p.Nodes["model.p.a"].Description, "decoded again")
}
