-- One row per line of a sales document, converted to EUR at its document's rate.
-- Incremental like fct_orders: the lines of every re-read document replace that document's
-- lines whole (unique_key = order_key), so a line removed at the vendor goes here too.
{{ config(materialized='incremental', unique_key='order_key', incremental_strategy='delete+insert',
          on_schema_change='append_new_columns') }}

with documents as (
    select * from {{ ref('fct_orders') }}
    {% if is_incremental() %}
    where loaded_at >= (
        select {{ dbt.dateadd('hour', -var('incremental_lookback_hours'), 'max(loaded_at)') }} from {{ this }}
    )
    {% endif %}
)

select
    cast(l.vendor || ':' || l.vendor_order_id || ':' || cast(l.line_number as varchar) as varchar) as order_line_key,
    o.order_key,
    cast(l.vendor as varchar)                                   as vendor,
    cast(l.vendor || ':' || l.vendor_product_id as varchar)     as product_key,
    cast(l.vendor_product_id as varchar)                        as vendor_product_id,
    cast(l.line_number as bigint)                               as line_number,
    cast(l.sku as varchar)                                      as sku,
    cast(l.product_name as varchar)                             as product_name,
    cast(l.quantity as bigint)                                  as quantity,
    {{ money('l.unit_price') }}                                as unit_price,
    {{ money('l.line_total') }}                                as line_total,
    cast(l.currency as varchar)                                 as currency,
    {{ money('l.line_total * o.eur_per_unit') }}               as line_total_eur,
    o.ordered_at,
    o.order_date,
    o.is_refund,
    o.counts_in_revenue,
    o.loaded_at
from {{ ref('int_sales_lines') }} as l
join documents as o
    on o.vendor = l.vendor and o.vendor_order_id = l.vendor_order_id
