-- Infigo order line items in the shape of the document-line contract; amounts excl. tax,
-- before order-level discounts, in the order's currency.
select
    'infigo'                                    as vendor,
    cast(l.order_id as varchar)                 as vendor_order_id,
    l.line_number,
    cast(l.product_id as varchar)               as vendor_product_id,
    l.sku,
    l.product_name,
    cast(l.quantity as bigint)                  as quantity,
    {{ money('l.unit_price_excl_tax') }}        as unit_price,
    {{ money('l.subtotal_excl_tax') }}          as line_total,
    o.currency
from {{ ref('stg_infigo__order_line_items') }} as l
join {{ ref('stg_infigo__orders') }} as o
    on o.order_id = l.order_id
