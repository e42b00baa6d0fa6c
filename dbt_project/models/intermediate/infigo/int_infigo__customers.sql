-- Infigo customers in the shape of the customer contract. Guest checkouts have no e-mail or
-- name of their own: both come from their billing address, else from their latest order.
with latest_order as (
    select customer_id, customer_email, billing_full_name, billing_company_name, billing_country, billing_postcode
    from (
        select *, row_number() over (partition by customer_id order by ordered_at desc, order_id desc) as nth
        from {{ ref('stg_infigo__orders') }}
    ) as ranked
    where nth = 1
),

countries as (
    select lower(country_name) as country_name, country_code from {{ ref('country_names') }}
),

customers as (
    select
        c.customer_id,
        c.is_guest,
        coalesce(c.email, c.billing_email, o.customer_email)                    as email,
        coalesce(c.full_name, c.billing_full_name, o.billing_full_name)         as full_name,
        coalesce(c.company_name, c.billing_company_name, o.billing_company_name) as company_name,
        coalesce(c.country, c.billing_country, o.billing_country)               as country,
        coalesce(c.postcode, c.billing_postcode, o.billing_postcode)            as postcode,
        c.created_at
    from {{ ref('stg_infigo__customers') }} as c
    left join latest_order as o on o.customer_id = c.customer_id
)

select
    'infigo'                                    as vendor,
    cast(c.customer_id as varchar)              as vendor_customer_id,
    case when c.is_guest then 'guest'
         when c.company_name is not null then 'company'
         else 'person' end                      as customer_kind,
    c.email,
    c.full_name,
    c.company_name,
    coalesce(k.country_code, case when length(trim(c.country)) = 2 then upper(trim(c.country)) end) as country_code,
    c.postcode,
    c.created_at
from customers as c
left join countries as k on k.country_name = lower(trim(c.country))
