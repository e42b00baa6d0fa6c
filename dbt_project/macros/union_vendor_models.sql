{#- `int_<vendor>__<entity>` of every vendor in var('vendors'), as one relation, columns in
    the contract's order (explicit lists, not UNION BY NAME, so it runs on every warehouse). -#}
{% macro union_vendor_models(entity, columns) %}
{%- for vendor in var('vendors') %}
select {{ columns | join(', ') }}
from {{ ref('int_' ~ vendor ~ '__' ~ entity) }}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{% endmacro %}
