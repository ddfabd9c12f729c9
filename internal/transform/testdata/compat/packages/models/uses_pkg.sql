select
  {{ fake_utils.wrap("'a'") }} as wrapped,
  {{ fake_utils.cast_text('1 + 1') }} as casted,
  {{ fake_utils.double(21) }} as doubled,
  {{ fake_utils.label("'x'") }} as labelled,
  '{{ fake_utils.is_relation(ref('fake_utils', 'fake_codes')) }}' as is_relation,
  '{{ load_relation(ref('fake_utils', 'fake_codes')) is not none }}' as loaded,
  '{{ fake_utils.maybe(false) }}' as maybe,
  code
from {{ ref('fake_utils', 'fake_codes') }}
