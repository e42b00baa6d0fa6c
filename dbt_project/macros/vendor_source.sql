{#-
  A raw table as a subquery with exactly the columns documented for it in the sources YAML.
  A documented column the raw table does not have (dlt creates a column only once a value
  arrives) comes as a typed NULL, and a vendor never loaded yields an empty relation, so one
  vendor's missing data or schema drift never breaks the build of the others.
  The subquery is aliased (`alias`, default the table name), as every warehouse requires.
-#}
{% macro vendor_source(source_name, table_name, alias=none) %}
    {%- set relation = source(source_name, table_name) -%}
    {%- set alias = alias or table_name -%}
    {%- if not execute -%}
        {{ return(relation ~ ' as ' ~ alias) }}
    {%- endif -%}
    {%- set node = graph.sources.values() | selectattr('source_name', 'equalto', source_name)
                   | selectattr('name', 'equalto', table_name) | first -%}
    {#- Asked of the warehouse itself, not through adapter.get_relation: dbt does not cache the
        raw schemas at the start of a build, and while one thread fills the cache for a schema
        another thread finds the schema "cached" with only some of its tables, so a table that
        exists read as absent and its rows as none (seen with two DuckDB threads). -#}
    {%- set found = run_query("select column_name from information_schema.columns where table_catalog = '"
                              ~ relation.database ~ "' and table_schema = '" ~ relation.schema
                              ~ "' and table_name = '" ~ relation.identifier ~ "'") -%}
    {%- set present = found.columns[0].values() | map('lower') | list -%}
    (select
        {%- for col in node.columns.values() %}
        {% if col.name | lower in present -%}
            {{ adapter.quote(col.name) }}
        {%- else -%}
            cast(null as {{ col.data_type }}) as {{ adapter.quote(col.name) }}
        {%- endif -%}{{ "," if not loop.last }}
        {%- endfor %}
     {% if present | length > 0 -%}
     from {{ relation }}
     {%- else -%}
     where 1 = 0
     {%- endif %}) as {{ alias }}
{% endmacro %}
