-- One row per Infigo order line item (a "job"); basket items (no order) are left out.
select
    id                              as job_id,
    order_id,
    cast(line_number as bigint)     as line_number,
    product_id,
    name                            as product_name,
    sku,
    status                          as status_code,
    coalesce(status_name, cast(status as varchar)) as status_name,
    coalesce(is_cancelled, false)   as is_cancelled,
    quantity,
    shipped_quantity,
    unit_price_excl_tax,
    unit_price_incl_tax,
    sub_total_price_excl_tax        as subtotal_excl_tax,
    sub_total_price_incl_tax        as subtotal_incl_tax,
    created_on_utc                  as created_at,
    last_status_at,
    {{ dlt_loaded_at() }}           as loaded_at
from {{ vendor_source('raw_infigo', 'order_line_items') }}
where order_id is not null
