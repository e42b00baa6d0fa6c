-- One row per invoice item; amounts are line totals (gross incl. tax, after discounts).
select
    invoices.id                                         as invoice_id,
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
    items.undiscounted_gross_amount,
    items.undiscounted_net_amount,
    items.taxes                                         as tax_codes,
    coalesce(items.voided_quantity, 0)                  as voided_quantity,
    items.voided_on,
    coalesce(items.currency, invoices.currency)         as currency
from {{ vendor_source('raw_enfore', 'invoices__items', alias='items') }}
join {{ vendor_source('raw_enfore', 'invoices') }}
    on items._dlt_parent_id = invoices._dlt_id
