-- The buyers named on Yodify orders (Order.customer), one row per customer GUID.
select
    id                                  as customer_id,
    trim(first_name)                    as first_name,
    trim(last_name)                     as last_name,
    nullif(trim(company_name), '')      as company_name,
    {{ normalized_email('email_address') }} as email,
    phone_number,
    account_id,
    account_name,
    account_number,
    upper(trim(billing_country_code))   as country_code,
    {{ dlt_loaded_at() }}               as loaded_at
from {{ vendor_source('raw_yodify', 'customers') }}
