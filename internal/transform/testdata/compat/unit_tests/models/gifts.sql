select id, is_gift, sent_on from {{ ref('raw_gifts') }} where is_gift
