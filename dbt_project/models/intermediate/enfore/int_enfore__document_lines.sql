-- enfore invoice and credit memo items in the shape of the document-line contract. Line
-- totals are net of tax after discounts, like every vendor's (enfore also sends the gross:
-- stg_enfore__document_items); credit memo lines are negative. Units are pieces; a line sold
-- by weight or volume counts as one unit, its unit price is then the line's.
with products as (
    select product_id, article_id from {{ ref('stg_enfore__products') }}
),

items as (
    select *, case document_type when 'credit_memo' then -1 else 1 end as sign
    from {{ ref('stg_enfore__document_items') }}
)

select
    'enfore'                                    as vendor,
    i.document_id                               as vendor_order_id,
    cast(i.line_index + 1 as bigint)            as line_number,
    i.product_id                                as vendor_product_id,
    p.article_id                                as sku,
    i.product_name,
    i.sign * case when i.quantity_unit = 'QUANTITY_PIECES' then cast(i.quantity as bigint) else 1 end
                                                as quantity,
    {{ money("case when i.quantity_unit = 'QUANTITY_PIECES' and i.quantity <> 0 "
             "then i.net_amount / i.quantity else i.net_amount end") }} as unit_price,
    {{ money('i.sign * i.net_amount') }}        as line_total,
    i.currency
from items as i
left join products as p on p.product_id = i.product_id
