-- One sellable product (or SKU) per vendor: the catalogs, plus products known only from
-- order lines (deleted before vendorsync first saw the catalog), flagged `is_inferred`.
with catalog as (
    select *, false as is_inferred from {{ ref('int_products') }}
),

seen_on_lines as (
    select
        vendor,
        vendor_product_id,
        {{ text_max('sku') }}          as sku,
        {{ text_max('product_name') }} as name,
        {{ text_max('currency') }}     as currency,
        min(ordered_at)   as first_ordered_at
    from {{ ref('fct_order_lines') }}
    where vendor_product_id is not null
    group by vendor, vendor_product_id
),

inferred as (
    select
        s.vendor, s.vendor_product_id, s.sku, s.name,
        cast(null as varchar) as category, cast(null as varchar) as brand,
        cast(null as decimal(18, 2)) as list_price, s.currency,
        false as is_active, cast(null as boolean) as is_deleted,
        s.first_ordered_at as created_at, cast(null as timestamp with time zone) as updated_at,
        true as is_inferred
    from seen_on_lines as s
    left join catalog as c
        on c.vendor = s.vendor and c.vendor_product_id = s.vendor_product_id
    where c.vendor_product_id is null
)

select
    cast(vendor || ':' || vendor_product_id as varchar) as product_key,
    cast(vendor as varchar)             as vendor,
    cast(vendor_product_id as varchar)  as vendor_product_id,
    cast(sku as varchar)                as sku,
    cast(name as varchar)               as name,
    cast(category as varchar)           as category,
    cast(brand as varchar)              as brand,
    {{ money('list_price') }}          as list_price,
    cast(currency as varchar)           as currency,
    is_active,
    is_deleted,
    is_inferred,
    created_at,
    updated_at
from (
    select vendor, vendor_product_id, sku, name, category, brand, list_price, currency,
           is_active, is_deleted, created_at, updated_at, is_inferred from catalog
    union all
    select vendor, vendor_product_id, sku, name, category, brand, list_price, currency,
           is_active, is_deleted, created_at, updated_at, is_inferred from inferred
) as products
