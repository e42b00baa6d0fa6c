-- Yodify orders in the shape of the sales-document contract (see _intermediate.yml).
-- Document currency = the customer's (currency_code) and total = what they pay. Yodify's
-- subtotal is after discounts (line prices are final), so the contract's subtotal (before
-- discount) is subtotal + discount; then subtotal + shipping + tax - discount = total.
-- The card fee (transaction_fee) is the seller's cost, not part of the document.
select
    'yodify'                                    as vendor,
    cast(order_id as varchar)                   as vendor_order_id,
    order_number,
    'order'                                     as document_type,
    customer_id                                 as vendor_customer_id,
    ordered_at,
    cast(null as timestamp with time zone)      as updated_at,
    order_status                                as vendor_status,
    currency,
    {{ money('subtotal + discount') }}          as subtotal,
    {{ money('freight') }}                      as shipping,
    {{ money('tax') }}                          as tax,
    {{ money('discount') }}                     as discount,
    {{ money('total') }}                        as total,
    false                                       as is_refund,
    false                                       as reversed_by_refund,
    loaded_at
from {{ ref('stg_yodify__orders') }}
