-- The latest version of each Infigo product from the SCD2 history. A product whose latest
-- version was retired (absent from a complete snapshot) is deleted at the vendor.
with versions as (
    select
        *,
        row_number() over (partition by id order by _dlt_valid_from desc) as version_rank,
        min(_dlt_valid_from) over (partition by id)                         as first_seen_at
    from {{ vendor_source('raw_infigo', 'products') }}
)
select
    id                              as product_id,
    name                            as product_name,
    sku,
    category,
    type_name                       as product_type,
    price                           as list_price,
    currency,
    coalesce(published, false)      as is_published,
    first_seen_at,
    _dlt_valid_from                 as updated_at,
    _dlt_valid_to is not null       as is_deleted
from versions
where version_rank = 1
