-- Shirtigo order lines in the shape of the document-line contract; amounts are net of VAT.
select
    'shirtigo'                                  as vendor,
    order_reference                             as vendor_order_id,
    cast(line_index + 1 as bigint)              as line_number,
    cast(product_id as varchar)                 as vendor_product_id,
    cast(null as varchar)                       as sku,
    product_name || ' (' || color || ', ' || size || ')' as product_name,
    cast(quantity as bigint)                    as quantity,
    {{ money('net_unit_price') }}               as unit_price,
    {{ money('net_total_price') }}              as line_total,
    currency
from {{ ref('stg_shirtigo__order_lines') }}
