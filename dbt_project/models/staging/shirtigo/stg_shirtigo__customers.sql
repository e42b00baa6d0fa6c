-- Customers as the delivery address names them (Shirtigo has no customer resource).
select
    customer_id,
    nullif(trim(title), '')         as title,
    trim(firstname)                 as first_name,
    trim(lastname)                  as last_name,
    nullif(trim(company), '')       as company,
    street,
    trim(postcode)                  as postcode,
    city,
    upper(trim(country))            as country_code,
    {{ dlt_loaded_at() }}           as loaded_at
from {{ vendor_source('raw_shirtigo', 'customers') }}
