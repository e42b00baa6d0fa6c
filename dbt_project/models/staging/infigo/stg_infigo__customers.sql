-- Infigo customers as the customer list names them. Guest checkouts carry no name or e-mail
-- of their own: their billing address is kept alongside.
select
    id                                              as customer_id,
    guid                                            as customer_guid,
    {{ normalized_email('email') }}                  as email,
    coalesce(nullif(trim(full_name), ''),
             nullif(trim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')), '')) as full_name,
    nullif(trim(company_name), '')                  as company_name,
    country,
    cast(zip_postal_code as varchar)                as postcode,
    coalesce(is_guest, false)                       as is_guest,
    status_name,
    created_on                                      as created_at,
    last_activity_date                              as last_activity_at,
    {{ normalized_email('billing_address__email') }} as billing_email,
    nullif(trim(coalesce(billing_address__first_name, '') || ' ' || coalesce(billing_address__last_name, '')), '')
                                                    as billing_full_name,
    nullif(trim(billing_address__company_name), '') as billing_company_name,
    billing_address__country                        as billing_country,
    cast(billing_address__zip_postal_code as varchar) as billing_postcode,
    {{ dlt_loaded_at() }}                           as loaded_at
from {{ vendor_source('raw_infigo', 'customers') }}
