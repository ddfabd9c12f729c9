select '{{ config.require('owner') }}' as owner
