-- Vendor statuses missing from seeds/status_map.csv: never guessed, surfaced here. A warning,
-- not an error, so one vendor's new status does not hold back everybody's marts; `vendorsync`
-- prints the rows this test stores (vendor, status, documents) after every build.
{{ config(severity='warn', store_failures=true, schema='audit') }}
select vendor, vendor_status, count(*) as documents
from {{ ref('fct_orders') }}
where status is null
group by vendor, vendor_status
