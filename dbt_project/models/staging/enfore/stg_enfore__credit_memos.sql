-- One row per credit memo (a void), amounts positive as the API sends them.
select
    id                                                  as credit_memo_id,
    number                                              as credit_memo_number,
    store_id,
    transaction_date_and_time                           as transacted_at,
    processed_date_and_time                             as processed_at,
    changed_at,
    coalesce(customer_organization_id, customer_individual_id) as customer_id,
    currency,
    total_gross_amount,
    total_net_amount,
    total_tax_amount,
    reasons,
    void_reason,
    {{ dlt_loaded_at() }}                               as loaded_at
from {{ vendor_source('raw_enfore', 'credit_memos') }}
