-- Infigo orders in the shape of the sales-document contract (see _intermediate.yml).
-- subtotal = goods excl. tax, shipping = shipping + payment/handling fees excl. tax,
-- tax = OrderTax (after discounts), discount = subtotal discount + order discount (excl. tax):
-- they add up to OrderTotal. A cancelled order's refund is part of the cancellation (its
-- status keeps it out of revenue), not a document of its own.
select
    'infigo'                                    as vendor,
    cast(order_id as varchar)                   as vendor_order_id,
    cast(order_id as varchar)                   as order_number,
    'order'                                     as document_type,
    cast(customer_id as varchar)                as vendor_customer_id,
    ordered_at,
    greatest(ordered_at, shipped_at, delivered_at) as updated_at,
    status_name                                 as vendor_status,
    currency,
    {{ money('subtotal_excl_tax') }}            as subtotal,
    {{ money('shipping_excl_tax + fees_excl_tax') }} as shipping,
    {{ money('order_tax') }}                    as tax,
    {{ money('discount_excl_tax') }}            as discount,
    {{ money('order_total') }}                  as total,
    false                                       as is_refund,
    false                                       as reversed_by_refund,
    loaded_at
from {{ ref('stg_infigo__orders') }}
