-- One row per person across vendors (global_customer_id): which vendors they buy from, what
-- they are worth in EUR, when they first and last bought.
with customers as (
    select * from {{ ref('dim_customers') }}
)

select
    global_customer_id,
    cast(max(identity_basis) as varchar)                                    as identity_basis,
    cast({{ text_max('email') }} as varchar)                                as email,
    cast({{ text_max('full_name') }} as varchar)                            as full_name,
    cast(max(country_code) as varchar)                                      as country_code,
    cast(count(distinct vendor) filter (where order_count > 0) as bigint)   as vendors_used,
    cast({{ dbt.listagg('distinct vendor', "', '", "order by vendor") }} as varchar) as vendors,
    cast(count(*) as bigint)                                                as vendor_accounts,
    cast(sum(order_count) as bigint)                                        as order_count,
    {{ money('sum(lifetime_revenue_eur)') }}                               as lifetime_revenue_eur,
    min(first_order_at)                                                     as first_order_at,
    max(last_order_at)                                                      as last_order_at
from customers
group by global_customer_id
