-- Which invoices each credit memo reverts.
select distinct
    credit_memos.id                                     as credit_memo_id,
    refs.value                                          as invoice_id
from {{ vendor_source('raw_enfore', 'credit_memos__invoices', alias='refs') }}
join {{ vendor_source('raw_enfore', 'credit_memos') }}
    on refs._dlt_parent_id = credit_memos._dlt_id
