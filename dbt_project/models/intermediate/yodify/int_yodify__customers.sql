-- Yodify customers in the shape of the customer contract. One row = one buyer identity
-- (the GUID orders name as customer_id): every account user ever loaded (a person, with
-- the account as company; deleted ones stay), plus every other customer named on an order
-- (a guest checkout, or a user deleted before vendorsync saw them).
with users as (
    select
        u.user_id                               as vendor_customer_id,
        u.email,
        trim(coalesce(u.first_name, '') || ' ' || coalesce(u.last_name, '')) as full_name,
        a.account_name                          as company_name,
        a.country_code,
        a.postcode,
        u.created_at
    from {{ ref('stg_yodify__account_users') }} as u
    left join {{ ref('stg_yodify__accounts') }} as a on a.account_id = u.account_id
)

select
    'yodify' as vendor, vendor_customer_id, 'person' as customer_kind, email, full_name, company_name,
    country_code, postcode, created_at
from users

union all

select
    'yodify'                                    as vendor,
    c.customer_id                               as vendor_customer_id,
    'guest'                                     as customer_kind,
    c.email,
    trim(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '')) as full_name,
    coalesce(c.account_name, c.company_name)    as company_name,
    c.country_code,
    cast(null as varchar)                       as postcode,
    cast(null as timestamp with time zone)      as created_at
from {{ ref('stg_yodify__customers') }} as c
where not exists (select 1 from users as u where u.vendor_customer_id = c.customer_id)
