-- Sales per UTC day, vendor and currency. Only documents that count toward revenue:
-- net_revenue = gross_revenue - refund_amount.
with revenue_documents as (
    select * from {{ ref('fct_orders') }}
    where counts_in_revenue
),

first_orders as (
    -- a customer is new on the day (and in the currency) of their first sale at the vendor
    select customer_key, order_date, currency
    from (
        select
            customer_key, order_date, currency,
            row_number() over (partition by customer_key order by ordered_at, {{ bytewise('order_key') }}) as nth
        from revenue_documents
        where customer_key is not null and not is_refund
    ) as ranked
    where nth = 1
),

new_customers as (
    select order_date, {{ dbt.split_part('customer_key', "':'", 1) }} as vendor, currency, count(*) as new_customers
    from first_orders
    group by order_date, {{ dbt.split_part('customer_key', "':'", 1) }}, currency
),

daily as (
    select
        order_date                                                  as sales_date,
        vendor,
        currency,
        count(*) filter (where not is_refund)                       as orders,
        count(*) filter (where is_refund)                           as refunds,
        sum(units)                                                  as units,
        coalesce(sum(total) filter (where not is_refund), 0)        as gross_revenue,
        coalesce(-sum(total) filter (where is_refund), 0)           as refund_amount,
        sum(total)                                                  as net_revenue,
        sum(total_eur)                                              as net_revenue_eur
    from revenue_documents
    group by order_date, vendor, currency
)

select
    d.sales_date,
    cast(d.vendor as varchar)           as vendor,
    cast(d.currency as varchar)         as currency,
    cast(d.orders as bigint)            as orders,
    cast(d.refunds as bigint)           as refunds,
    cast(d.units as bigint)             as units,
    {{ money('d.gross_revenue') }}      as gross_revenue,
    {{ money('d.refund_amount') }}      as refund_amount,
    {{ money('d.net_revenue') }}        as net_revenue,
    {{ money('d.net_revenue_eur') }}    as net_revenue_eur,
    cast(coalesce(n.new_customers, 0) as bigint) as new_customers
from daily as d
left join new_customers as n
    on n.order_date = d.sales_date and n.vendor = d.vendor and n.currency = d.currency
