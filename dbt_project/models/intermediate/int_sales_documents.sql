-- Every vendor's sales documents in one relation (contract: _intermediate.yml).
{%- set columns = ['vendor', 'vendor_order_id', 'order_number', 'document_type', 'vendor_customer_id',
                   'ordered_at', 'updated_at', 'vendor_status', 'currency', 'subtotal', 'shipping',
                   'tax', 'discount', 'total', 'is_refund', 'reversed_by_refund', 'loaded_at'] %}
{{ union_vendor_models('documents', columns) }}
