{{ dbt_utils.union_relations(relations=[ref('shop_b'), ref('shop_c'), ref('shop_a')], exclude=['NOTE']) }}
