-- The latest version of each enfore product from the SCD2 history. A product whose latest
-- version was retired (absent from a complete snapshot) is deleted at the vendor.
select
    id                                  as product_id,
    type                                as product_type,
    name                                as product_name,
    article_id,
    external_id,
    ean,
    price,
    coalesce(currency, 'EUR')           as currency,
    coalesce(price_is_gross, true)      as price_is_gross,
    tax_category,
    sales_category,
    brand,
    manufacturer,
    coalesce(extra_charge_type, 'NONE') as extra_charge_type,
    coalesce(block_sales, false)        as block_sales,
    first_seen_at,
    _dlt_valid_from                     as version_seen_at,
    is_deleted,
    _dlt_valid_to                       as deleted_at
from {{ scd2_current('raw_enfore', 'products') }}
