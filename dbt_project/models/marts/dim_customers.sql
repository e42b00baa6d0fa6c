-- One customer per vendor, with their sales activity and a cross-vendor identity.
--
-- global_customer_id: the same person across vendors. From the normalised e-mail
-- (trimmed, lower-case) where the vendor gives one. Where it gives none (Shirtigo knows only
-- an address), the customer takes the id of the one e-mail-identified customer with the same
-- normalised name, country and postcode at any vendor, or else an id of that name key alone.
with known as (
    select
        vendor, vendor_customer_id, customer_kind,
        {{ normalized_email('email') }}              as email,
        nullif(trim(full_name), '')                 as full_name,
        company_name,
        upper(trim(country_code))                   as country_code,
        postcode,
        created_at,
        false                                       as is_inferred
    from {{ ref('int_customers') }}
),

-- customers named on documents but absent from the vendor's customer list (e.g. deleted)
inferred as (
    select distinct
        d.vendor, d.vendor_customer_id, 'guest' as customer_kind,
        cast(null as varchar) as email, cast(null as varchar) as full_name,
        cast(null as varchar) as company_name, cast(null as varchar) as country_code,
        cast(null as varchar) as postcode, cast(null as timestamp with time zone) as created_at,
        true as is_inferred
    from {{ ref('int_sales_documents') }} as d
    left join known as k
        on k.vendor = d.vendor and k.vendor_customer_id = d.vendor_customer_id
    where d.vendor_customer_id is not null and k.vendor_customer_id is null
),

customers as (
    select * from known
    union all
    select * from inferred
),

keyed as (
    select
        *,
        lower(full_name) || '|' || coalesce(country_code, '') || '|'
            || coalesce(replace(lower(postcode), ' ', ''), '')  as name_key
    from customers
),

email_identity as (
    -- a name key that points at exactly one e-mail identity can lend it to e-mail-less records
    select name_key, {{ text_min('email') }} as email
    from keyed
    where email is not null and full_name is not null
    group by name_key
    having count(distinct email) = 1
),

activity as (
    select
        customer_key,
        min(ordered_at) filter (where counts_in_revenue and not is_refund) as first_order_at,
        max(ordered_at) filter (where counts_in_revenue and not is_refund) as last_order_at,
        count(*) filter (where counts_in_revenue and not is_refund)        as order_count,
        coalesce(sum(total_eur) filter (where counts_in_revenue), 0)       as lifetime_revenue_eur
    from {{ ref('fct_orders') }}
    where customer_key is not null
    group by customer_key
)

select
    cast(k.vendor || ':' || k.vendor_customer_id as varchar) as customer_key,
    cast(k.vendor as varchar)                               as vendor,
    cast(k.vendor_customer_id as varchar)                   as vendor_customer_id,
    cast(k.customer_kind as varchar)                        as customer_kind,
    cast(k.email as varchar)                                as email,
    cast(k.full_name as varchar)                            as full_name,
    cast(k.company_name as varchar)                         as company_name,
    cast(k.country_code as varchar)                         as country_code,
    cast(k.postcode as varchar)                             as postcode,
    k.created_at,
    a.first_order_at,
    a.last_order_at,
    cast(coalesce(a.order_count, 0) as bigint)              as order_count,
    {{ money('coalesce(a.lifetime_revenue_eur, 0)') }}      as lifetime_revenue_eur,
    cast(case
        when k.email is not null then 'e:' || substr({{ dbt.hash("k.email") }}, 1, 20)
        when e.email is not null then 'e:' || substr({{ dbt.hash("e.email") }}, 1, 20)
        when k.full_name is not null then 'n:' || substr({{ dbt.hash("k.name_key") }}, 1, 20)
        else 'v:' || substr({{ dbt.hash("k.vendor || ':' || k.vendor_customer_id") }}, 1, 20)
    end as varchar)                                         as global_customer_id,
    cast(case
        when k.email is not null then 'email'
        when e.email is not null then 'name_match'
        when k.full_name is not null then 'name_only'
        else 'vendor_only'
    end as varchar)                                         as identity_basis,
    k.is_inferred
from keyed as k
left join email_identity as e
    on k.email is null and e.name_key = k.name_key
left join activity as a
    on a.customer_key = k.vendor || ':' || k.vendor_customer_id
