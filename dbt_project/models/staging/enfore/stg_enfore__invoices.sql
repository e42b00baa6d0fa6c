-- One row per enfore invoice (a sale). enfore has no status field: the void state comes from
-- the payload (an invoice-level void_reason, or void_information on its items).
with items as (
    select
        _dlt_parent_id,
        count(*)                                                   as item_count,
        count(*) filter (where voided_quantity > 0)                as voided_items,
        count(*) filter (where voided_quantity >= quantity)        as fully_voided_items,
        coalesce(sum(undiscounted_net_amount - net_amount), 0)     as discount_net
    from {{ vendor_source('raw_enfore', 'invoices__items') }}
    group by _dlt_parent_id
)
select
    invoices.id                                                    as invoice_id,
    invoices.number                                                as invoice_number,
    invoices.store_id,
    invoices.register_id,
    invoices.transaction_date_and_time                             as transacted_at,
    invoices.processed_date_and_time                               as processed_at,
    invoices.changed_at,
    coalesce(invoices.customer_organization_id, invoices.customer_individual_id) as customer_id,
    coalesce(invoices.payer_organization_id, invoices.payer_individual_id)       as payer_id,
    invoices.currency,
    invoices.total_gross_amount,
    invoices.total_net_amount,
    invoices.total_tax_amount,
    coalesce(items.discount_net, 0)                                as discount_net,
    invoices.void_reason,
    invoices.voided_on,
    case
        when invoices.void_reason is not null
             or (items.item_count > 0 and items.fully_voided_items = items.item_count) then 'voided'
        when items.voided_items > 0 then 'partially_voided'
        else 'paid'
    end                                                            as void_state,
    upper(invoices.address_country_code)                           as country_code,
    {{ dlt_loaded_at('invoices._dlt_load_id') }}                   as loaded_at
from {{ vendor_source('raw_enfore', 'invoices') }}
left join items on items._dlt_parent_id = invoices._dlt_id
