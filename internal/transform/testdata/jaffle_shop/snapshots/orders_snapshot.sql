{% snapshot orders_snapshot %}

{{
    config(
      unique_key='id',
      strategy='check',
      check_cols=['status'],
      invalidate_hard_deletes=True
    )
}}

select * from {{ ref('raw_orders') }}

{% endsnapshot %}
