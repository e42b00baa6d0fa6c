-- One row per credit memo item (a voided line), amounts positive as the API sends them.
select
    credit_memos.id                                     as credit_memo_id,
    items.line_index,
    items.id                                            as item_id,
    items.product_id,
    items.product_external_id,
    items.name                                          as product_name,
    items.quantity,
    coalesce(items.quantity_unit, 'QUANTITY_PIECES')    as quantity_unit,
    items.unit_price,
    items.gross_amount,
    items.net_amount,
    items.taxes                                         as tax_codes,
    coalesce(items.currency, credit_memos.currency)     as currency
from {{ vendor_source('raw_enfore', 'credit_memos__items', alias='items') }}
join {{ vendor_source('raw_enfore', 'credit_memos') }}
    on items._dlt_parent_id = credit_memos._dlt_id
