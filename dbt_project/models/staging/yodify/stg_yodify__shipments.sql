-- Shipments of Yodify orders (they travel inside the order payload).
select
    orders.id                           as order_id,
    shipments.id                        as shipment_id,
    shipments.status,
    shipments.shipment_type,
    shipments.carrier,
    shipments.tracking_number,
    shipments.created_on                as created_at,
    shipments.shipped_date              as shipped_at,
    shipments.estimated_delivery_date   as estimated_delivery_at
from {{ vendor_source('raw_yodify', 'orders__shipments', alias='shipments') }}
join {{ vendor_source('raw_yodify', 'orders') }}
    on shipments._dlt_parent_id = orders._dlt_id
