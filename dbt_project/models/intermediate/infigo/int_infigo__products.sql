-- Infigo products in the shape of the product contract. The API gives no creation time and
-- no category name: created_at is when the product was first seen, category its first tag.
select
    'infigo'                                    as vendor,
    cast(product_id as varchar)                 as vendor_product_id,
    sku,
    product_name                                as name,
    category,
    cast(null as varchar)                       as brand,
    {{ money('list_price') }}                   as list_price,
    currency,
    is_published and not is_deleted             as is_active,
    is_deleted,
    first_seen_at                               as created_at,
    updated_at
from {{ ref('stg_infigo__products') }}
