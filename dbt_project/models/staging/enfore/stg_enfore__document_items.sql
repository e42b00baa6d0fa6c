-- One row per item of an enfore invoice or credit memo (the two nested tables have the same
-- shape). Amounts are line totals as sent: gross incl. tax, after discounts, positive on
-- credit memos too.
{% for parent, document_type in [('invoices', 'invoice'), ('credit_memos', 'credit_memo')] %}
select
    '{{ document_type }}'                               as document_type,
    {{ parent }}.id                                     as document_id,
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
    coalesce(items.currency, {{ parent }}.currency)     as currency
from {{ vendor_source('raw_enfore', parent ~ '__items', alias='items') }}
join {{ vendor_source('raw_enfore', parent) }}
    on items._dlt_parent_id = {{ parent }}._dlt_id
{% if not loop.last %}union all{% endif %}
{% endfor %}
