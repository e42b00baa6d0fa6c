{#- Money as the marts type it: exact decimal, two places (amounts in major units). -#}
{% macro money(expr) -%}
    cast({{ expr }} as decimal(18, 2))
{%- endmacro %}

{#- The load time of a dlt row (its load id is the load's unix timestamp). -#}
{% macro dlt_loaded_at(load_id_column='_dlt_load_id') -%}
    to_timestamp(cast({{ load_id_column }} as double precision))
{%- endmacro %}
