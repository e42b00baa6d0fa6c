-- One row per line of a Shirtigo order; the nested table's parent link unwrapped to the order.
select
    orders.reference                as order_reference,
    lines.line_index,
    lines.product_id,
    lines.name                      as product_name,
    lines.color,
    lines.size,
    lines.quantity,
    lines.net_unit_price,
    lines.net_total_price,
    coalesce(lines.currency, 'EUR') as currency
from {{ vendor_source('raw_shirtigo', 'orders__lines', alias='lines') }}
join {{ vendor_source('raw_shirtigo', 'orders') }}
    on lines._dlt_parent_id = orders._dlt_id
