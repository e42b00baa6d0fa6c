-- The latest version of each Shirtigo product from the SCD2 history. A product whose latest
-- version was retired (absent from a complete snapshot) is deleted at the vendor.
select
    id                              as product_id,
    coalesce(nullif(trim(custom_name), ''), name) as product_name,
    name                            as base_name,
    project_name,
    price                           as net_price,
    coalesce(currency, 'EUR')       as currency,
    coalesce(is_available, true)    as is_available,
    category,
    manufacturer,
    base_product_id,
    updated_at,
    first_seen_at,
    is_deleted,
    _dlt_valid_to                   as deleted_at
from {{ scd2_current('raw_shirtigo', 'products') }}
