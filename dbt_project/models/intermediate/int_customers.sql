-- Every vendor's customers in one relation (contract: _intermediate.yml).
{%- set columns = ['vendor', 'vendor_customer_id', 'customer_kind', 'email', 'full_name',
                   'company_name', 'country_code', 'postcode', 'created_at'] %}
{{ union_vendor_models('customers', columns) }}
