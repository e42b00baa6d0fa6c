-- Yodify order items in the shape of the document-line contract: one line per item, priced
-- in the customer's currency (the document's); the product is the SKU.
select
    'yodify'                                    as vendor,
    cast(i.order_id as varchar)                 as vendor_order_id,
    cast(i.line_number as bigint)               as line_number,
    cast(i.sku_id as varchar)                   as vendor_product_id,
    s.sku_identifier                            as sku,
    coalesce(p.product_name || coalesce(' (' || s.variant || ')', ''), i.model_number) as product_name,
    cast(i.quantity as bigint)                  as quantity,
    {{ money('i.price_per_unit') }}             as unit_price,
    {{ money('i.quantity * i.price_per_unit') }} as line_total,
    i.currency
from {{ ref('stg_yodify__order_items') }} as i
left join {{ ref('stg_yodify__skus') }} as s on s.sku_id = i.sku_id
left join {{ ref('stg_yodify__products') }} as p on p.product_id = coalesce(s.product_id, i.product_id)
