{#- An e-mail address as the marts compare it (global_customer_id): trimmed, lower case, and
    NULL when empty. One rule for every vendor's staging and for dim_customers. -#}
{% macro normalized_email(column) -%}
    nullif(lower(trim({{ column }})), '')
{%- endmacro %}
