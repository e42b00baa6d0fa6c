-- Payments and refunds; a refund ("Erstattung") carries positive amounts.
select
    id                              as payment_id,
    order_reference,
    created_at,
    status,
    status_title,
    status_title = 'Erstattung'     as is_refund,
    coalesce(currency, 'EUR')       as currency,
    gross_amount,
    net_amount,
    vat_amount
from {{ vendor_source('raw_shirtigo', 'payments') }}
