{#- Text compared by code point, as DuckDB compares it, whatever collation the warehouse's
    database was created with (a PostgreSQL database in en_US.UTF-8 sorts 'anna' after 'Zoe').
    Use them for the free text (names, e-mails, keys) of every max(), min() and ORDER BY whose
    pick reaches the marts, so it is the same pick on every warehouse; lower-case ASCII
    vocabularies (vendor, identity_basis) and ISO codes sort alike in every collation.

    `order by {{ bytewise('name') }}`; `{{ text_max('name', filter="role = 'customer'") }}`.
    The picked value gets the database's own collation back: a byte-order collation left on a
    column would follow it downstream and change lower() and upper() there. -#}
{% macro bytewise(expr) -%}
    {{ return(adapter.dispatch('bytewise')(expr)) }}
{%- endmacro %}

{% macro default__bytewise(expr) -%}
    {{ expr }}
{%- endmacro %}

{% macro postgres__bytewise(expr) -%}
    ({{ expr }}) collate "C"
{%- endmacro %}

{% macro text_max(expr, filter=none) -%}
    {{ return(adapter.dispatch('text_pick')('max', expr, filter)) }}
{%- endmacro %}

{% macro text_min(expr, filter=none) -%}
    {{ return(adapter.dispatch('text_pick')('min', expr, filter)) }}
{%- endmacro %}

{% macro default__text_pick(aggregate, expr, filter) -%}
    {{ aggregate }}({{ expr }}){% if filter %} filter (where {{ filter }}){% endif %}
{%- endmacro %}

{% macro postgres__text_pick(aggregate, expr, filter) -%}
    ({{ aggregate }}({{ bytewise(expr) }}){% if filter %} filter (where {{ filter }}){% endif %}) collate "default"
{%- endmacro %}
