-- One row per sales document: orders and invoices positive, refunds (credit memos) negative.
with documents as (
    select * from {{ ref('int_sales_documents') }}
),

line_totals as (
    select vendor, vendor_order_id, count(*) as line_count, sum(quantity) as units
    from {{ ref('int_sales_lines') }}
    group by vendor, vendor_order_id
),

statuses as (
    select vendor, vendor_status, status from {{ ref('status_map') }}
),

rates as (
    select * from {{ ref('int_currency_rates') }}
),

shaped as (
    select
        d.*,
        {{ utc_date('d.ordered_at') }} as order_date,
        s.status
    from documents as d
    left join statuses as s
        on s.vendor = d.vendor and s.vendor_status = d.vendor_status
)

select
    d.vendor || ':' || d.vendor_order_id                        as order_key,
    d.vendor,
    d.vendor_order_id,
    d.order_number,
    d.document_type,
    case when d.vendor_customer_id is not null
         then d.vendor || ':' || d.vendor_customer_id end      as customer_key,
    d.ordered_at,
    d.order_date,
    d.status,
    d.vendor_status,
    d.currency,
    d.subtotal,
    d.shipping,
    d.tax,
    d.discount,
    d.total,
    {{ money('d.total * r.eur_per_unit') }}                    as total_eur,
    r.eur_per_unit,
    coalesce(l.line_count, 0)                                   as line_count,
    coalesce(l.units, 0)                                        as units,
    d.is_refund,
    -- a cancelled/refunded document never became a sale, unless it was reversed by a refund
    -- document of its own (which then carries the negative amount)
    case
        when d.is_refund then true
        when d.status in ('cancelled', 'refunded') and not d.reversed_by_refund then false
        else true
    end                                                         as counts_in_revenue,
    d.updated_at,
    d.loaded_at
from shaped as d
left join line_totals as l
    on l.vendor = d.vendor and l.vendor_order_id = d.vendor_order_id
left join rates as r
    on r.currency = d.currency
   and d.order_date >= r.valid_from
   and (r.valid_to is null or d.order_date < r.valid_to)
