{#- The UTC calendar day of a timestamp with time zone, whatever the session time zone. -#}
{% macro utc_date(ts) -%}
    cast(({{ ts }}) at time zone 'UTC' as date)
{%- endmacro %}
