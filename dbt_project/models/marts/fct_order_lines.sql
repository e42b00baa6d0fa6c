-- One row per line of a sales document, converted to EUR at its document's rate.
select
    l.vendor || ':' || l.vendor_order_id || ':' || cast(l.line_number as varchar) as order_line_key,
    o.order_key,
    l.vendor,
    l.vendor || ':' || l.vendor_product_id                      as product_key,
    l.vendor_product_id,
    l.line_number,
    l.sku,
    l.product_name,
    l.quantity,
    l.unit_price,
    l.line_total,
    l.currency,
    {{ money('l.line_total * o.eur_per_unit') }}               as line_total_eur,
    o.ordered_at,
    o.order_date,
    o.is_refund,
    o.counts_in_revenue
from {{ ref('int_sales_lines') }} as l
join {{ ref('fct_orders') }} as o
    on o.vendor = l.vendor and o.vendor_order_id = l.vendor_order_id
