-- enfore customers in the shape of the customer contract: every contact named on an invoice,
-- as customer or payer (an individual is a person, an organization a company). The ERP API
-- gives no e-mail and no creation time.
select
    'enfore'                                    as vendor,
    contact_id                                  as vendor_customer_id,
    case contact_type when 'organization' then 'company' else 'person' end as customer_kind,
    cast(null as varchar)                       as email,
    case when contact_type = 'individual' then contact_name end           as full_name,
    case when contact_type = 'organization' then contact_name end         as company_name,
    country_code,
    postcode,
    cast(null as timestamp with time zone)      as created_at
from {{ ref('stg_enfore__customers') }}
