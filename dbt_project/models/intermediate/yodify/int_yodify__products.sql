-- Yodify SKUs in the shape of the product contract: the SKU is what is sold and priced (a
-- product only groups SKUs). SKU prices carry no currency: they are the store's, which every
-- order names as seller_currency.
with store as (
    select min(seller_currency) as currency from {{ ref('stg_yodify__orders') }}
)

select
    'yodify'                                    as vendor,
    cast(s.sku_id as varchar)                   as vendor_product_id,
    s.sku_identifier                            as sku,
    coalesce(p.product_name || coalesce(' (' || s.variant || ')', ''), s.sku_identifier) as name,
    cast(null as varchar)                       as category,
    p.brand_name                                as brand,
    {{ money('s.list_price') }}                 as list_price,
    store.currency,
    not (s.is_deleted or coalesce(p.is_deleted, false)) as is_active,
    s.is_deleted or coalesce(p.is_deleted, false)       as is_deleted,
    s.created_at,
    s.modified_at                               as updated_at
from {{ ref('stg_yodify__skus') }} as s
left join {{ ref('stg_yodify__products') }} as p on p.product_id = s.product_id
cross join store
