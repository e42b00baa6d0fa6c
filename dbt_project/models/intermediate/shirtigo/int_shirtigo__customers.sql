-- Shirtigo customers in the shape of the customer contract: derived from addresses, no e-mail.
select
    'shirtigo'                                  as vendor,
    customer_id                                 as vendor_customer_id,
    'derived'                                   as customer_kind,
    cast(null as varchar)                       as email,
    trim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')) as full_name,
    company                                     as company_name,
    country_code,
    postcode,
    cast(null as timestamp with time zone)      as created_at
from {{ ref('stg_shirtigo__customers') }}
