-- Shirtigo orders in the shape of the sales-document contract (see _intermediate.yml).
-- Net price covers goods and shipping; the goods part is the sum of the lines.
with lines as (
    select order_reference, sum(net_total_price) as goods_net
    from {{ ref('stg_shirtigo__order_lines') }}
    group by order_reference
)
select
    'shirtigo'                                  as vendor,
    o.order_reference                           as vendor_order_id,
    o.invoice_reference                         as order_number,
    'order'                                     as document_type,
    o.customer_id                               as vendor_customer_id,
    o.ordered_at,
    o.changed_at                                as updated_at,
    o.status_key                                as vendor_status,
    o.currency,
    {{ money('coalesce(l.goods_net, 0)') }}     as subtotal,
    {{ money('o.net_price - coalesce(l.goods_net, 0)') }} as shipping,
    {{ money('o.vat_amount') }}                 as tax,
    {{ money(0) }}                              as discount,
    {{ money('o.gross_price') }}                as total,
    false                                       as is_refund,
    false                                       as reversed_by_refund,
    o.loaded_at
from {{ ref('stg_shirtigo__orders') }} as o
left join lines as l on l.order_reference = o.order_reference
