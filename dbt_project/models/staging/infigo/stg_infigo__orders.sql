-- One row per Infigo order. Amounts are in the order currency (the document's integers read as
-- major units); fees besides shipping are summed, the marts count them with shipping.
select
    o.id                                            as order_id,
    o.order_guid,
    o.customer_id,
    {{ normalized_email('o.customer_email') }}       as customer_email,
    o.status                                        as status_code,
    coalesce(o.status_name, cast(o.status as varchar)) as status_name,
    o.order_state_name,
    o.shipping_state_name,
    o.payment_state_name,
    upper(o.customer_currency_code)                 as currency,
    o.currency_rate,
    o.order_date                                    as ordered_at,
    o.shipped_date_utc                              as shipped_at,
    o.delivery_date_utc                             as delivered_at,
    o.order_subtotal_excl_tax                       as subtotal_excl_tax,
    o.order_subtotal_incl_tax                       as subtotal_incl_tax,
    coalesce(o.order_sub_total_discount_excl_tax, 0) + coalesce(o.order_discount, 0) as discount_excl_tax,
    o.order_shipping_excl_tax                       as shipping_excl_tax,
    coalesce(o.payment_method_additional_fee_excl_tax, 0) + coalesce(o.order_processing_fee_excl_tax, 0)
        + coalesce(o.order_line_handling_fee_excl_tax, 0) + coalesce(o.product_handling_fee_excl_tax, 0)
                                                    as fees_excl_tax,
    o.order_tax,
    o.order_total,
    coalesce(o.refunded_amount, 0)                  as refunded_amount,
    o.tracking_number,
    o.purchase_order_number,
    o.payment_method_system_name,
    nullif(trim(coalesce(o.billing_address__first_name, '') || ' ' || coalesce(o.billing_address__last_name, '')), '')
                                                    as billing_full_name,
    nullif(trim(o.billing_address__company_name), '') as billing_company_name,
    o.billing_address__country                      as billing_country,
    cast(o.billing_address__zip_postal_code as varchar) as billing_postcode,
    {{ dlt_loaded_at('o._dlt_load_id') }}           as loaded_at
from {{ vendor_source('raw_infigo', 'orders', alias='o') }}
