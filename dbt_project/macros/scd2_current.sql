{#- The current version of each record of a dlt SCD2 table (`merge` strategy `scd2` over full
    snapshots), as an aliased subquery: every raw column plus `first_seen_at` (the first
    version's `_dlt_valid_from`) and `is_deleted` (the latest version was retired: the record
    was absent from a complete snapshot). -#}
{% macro scd2_current(source_name, table_name, key='id') %}
    (select *
     from (
        select
            *,
            row_number() over (partition by {{ key }} order by _dlt_valid_from desc) as version_rank,
            min(_dlt_valid_from) over (partition by {{ key }})                         as first_seen_at,
            _dlt_valid_to is not null                                                  as is_deleted
        from {{ vendor_source(source_name, table_name) }}
     ) as versions
     where version_rank = 1) as current_versions
{% endmacro %}
