-- enfore invoices and credit memos in the shape of the sales-document contract.
-- The document date is the transaction time (the sale, or the void), not the processing time.
-- Invoices are positive; a credit memo is a negative document on its own date, and the
-- invoice it reverts keeps counting on its date (reversed_by_refund). Amounts are gross:
-- tax and discount (net of tax) are rounded to the cent and the subtotal is what remains,
-- so subtotal + tax - discount = total exactly.
with reverted as (
    select distinct invoice_id from {{ ref('stg_enfore__credit_memo_invoices') }}
),

invoices as (
    select
        i.*,
        -- a credit memo names the invoice although its own void is not loaded (yet)
        case when i.void_state = 'paid' and r.invoice_id is not null then 'partially_voided'
             else i.void_state end                              as vendor_status,
        i.void_state <> 'paid' or r.invoice_id is not null      as reversed_by_refund,
        {{ money('i.total_gross_amount') }}                     as total_2,
        {{ money('i.total_tax_amount') }}                       as tax_2,
        {{ money('i.discount_net') }}                           as discount_2
    from {{ ref('stg_enfore__invoices') }} as i
    left join reverted as r on r.invoice_id = i.invoice_id
),

credit_memos as (
    select
        *,
        {{ money('total_gross_amount') }}                       as total_2,
        {{ money('total_tax_amount') }}                         as tax_2
    from {{ ref('stg_enfore__credit_memos') }}
)

select
    'enfore'                                    as vendor,
    invoice_id                                  as vendor_order_id,
    invoice_number                              as order_number,
    'invoice'                                   as document_type,
    customer_id                                 as vendor_customer_id,
    transacted_at                               as ordered_at,
    changed_at                                  as updated_at,
    vendor_status,
    currency,
    {{ money('total_2 - tax_2 + discount_2') }} as subtotal,
    {{ money(0) }}                              as shipping,
    tax_2                                       as tax,
    discount_2                                  as discount,
    total_2                                     as total,
    false                                       as is_refund,
    reversed_by_refund,
    loaded_at
from invoices

union all

select
    'enfore'                                    as vendor,
    credit_memo_id                              as vendor_order_id,
    credit_memo_number                          as order_number,
    'credit_memo'                               as document_type,
    customer_id                                 as vendor_customer_id,
    transacted_at                               as ordered_at,
    changed_at                                  as updated_at,
    'credit_memo'                               as vendor_status,
    currency,
    {{ money('-(total_2 - tax_2)') }}           as subtotal,
    {{ money(0) }}                              as shipping,
    {{ money('-tax_2') }}                       as tax,
    {{ money(0) }}                              as discount,
    {{ money('-total_2') }}                     as total,
    true                                        as is_refund,
    false                                       as reversed_by_refund,
    loaded_at
from credit_memos
