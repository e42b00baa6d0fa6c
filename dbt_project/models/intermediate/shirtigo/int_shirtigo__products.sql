-- Shirtigo products in the shape of the product contract. The API gives no SKU and no
-- creation time: created_at is when the product was first seen.
select
    'shirtigo'                                  as vendor,
    cast(product_id as varchar)                 as vendor_product_id,
    cast(null as varchar)                       as sku,
    product_name                                as name,
    category,
    manufacturer                                as brand,
    {{ money('net_price') }}                    as list_price,
    currency,
    is_available and not is_deleted             as is_active,
    is_deleted,
    first_seen_at                               as created_at,
    updated_at
from {{ ref('stg_shirtigo__products') }}
