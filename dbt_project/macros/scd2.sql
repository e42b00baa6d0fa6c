{#- The latest version of every record of a dlt `scd2` raw table (keyed by `id`), with
    `is_deleted` = that version was retired (the record was missing from a later complete
    snapshot), `deleted_at` and `first_seen_at`. -#}
{% macro scd2_latest(source_name, table_name) %}
    select
        *,
        _dlt_valid_to is not null as is_deleted,
        _dlt_valid_to             as deleted_at
    from (
        select
            *,
            row_number() over (partition by id order by _dlt_valid_from desc) as version_rank,
            min(_dlt_valid_from) over (partition by id)                         as first_seen_at
        from {{ vendor_source(source_name, table_name) }}
    ) as versions
    where version_rank = 1
{% endmacro %}
