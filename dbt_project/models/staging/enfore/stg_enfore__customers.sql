-- One row per contact named on invoices (as customer and/or payer). The address is the
-- invoice address of the contact's latest invoice as customer; payers have none.
select
    contact_id,
    max(contact_type)                                           as contact_type,
    coalesce({{ text_max('trim(name)', filter="role = 'customer'") }}, {{ text_max('trim(name)') }}) as contact_name,
    upper(max(trim(country_code)) filter (where role = 'customer')) as country_code,
    max(trim(zip)) filter (where role = 'customer')             as postcode,
    max(city) filter (where role = 'customer')                  as city,
    {{ dbt.bool_or("role = 'customer'") }}                        as is_customer,
    {{ dbt.bool_or("role = 'payer'") }}                           as is_payer,
    max(last_invoice_at)                                        as last_invoice_at,
    max({{ dlt_loaded_at() }})                                  as loaded_at
from {{ vendor_source('raw_enfore', 'customers') }}
group by contact_id
