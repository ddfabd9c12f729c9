select '{{ pick(['a', 'b', 'c'], 2,) }}' as picked
