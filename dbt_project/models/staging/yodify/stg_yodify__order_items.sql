-- One row per item of a Yodify order, numbered by item id; prices in both currencies.
select
    orders.id                           as order_id,
    items.id                            as item_id,
    row_number() over (partition by orders.id order by items.id) as line_number,
    items.sku_id,
    items.product_id,
    items.quantity,
    items.model_number,
    items.price_per_unit,
    items.seller_price_per_unit,
    items.unit_of_measure,
    orders.currency_code                as currency,
    orders.seller_currency_code         as seller_currency
from {{ vendor_source('raw_yodify', 'orders__items', alias='items') }}
join {{ vendor_source('raw_yodify', 'orders') }}
    on items._dlt_parent_id = orders._dlt_id
