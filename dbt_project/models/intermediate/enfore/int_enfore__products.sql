-- enfore products in the shape of the product contract. The API has no timestamps:
-- created_at is when the product was first seen, updated_at when its current version was.
-- The SKU is the article id; the brand the manufacturer's name (the API's brand is an id).
select
    'enfore'                                    as vendor,
    product_id                                  as vendor_product_id,
    article_id                                  as sku,
    product_name                                as name,
    sales_category                              as category,
    coalesce(manufacturer, brand)               as brand,
    {{ money('price') }}                        as list_price,
    currency,
    not block_sales and not is_deleted          as is_active,
    is_deleted,
    first_seen_at                               as created_at,
    version_seen_at                             as updated_at
from {{ ref('stg_enfore__products') }}
