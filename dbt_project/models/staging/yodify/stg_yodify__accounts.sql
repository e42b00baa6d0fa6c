-- The latest version of each Yodify account (a customer company); retired = deleted.
select
    id                                  as account_id,
    trim(name)                          as account_name,
    account_number,
    payment_terms,
    customer_type,
    industry,
    city,
    postal_code                         as postcode,
    upper(trim(country_code))           as country_code,
    {{ normalized_email('email') }}      as email,
    created_on                          as created_at,
    is_deleted,
    deleted_at
from ({{ scd2_latest('raw_yodify', 'accounts') }}) as latest
