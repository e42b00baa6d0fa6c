-- Every vendor's document lines in one relation (contract: _intermediate.yml).
{%- set columns = ['vendor', 'vendor_order_id', 'line_number', 'vendor_product_id', 'sku',
                   'product_name', 'quantity', 'unit_price', 'line_total', 'currency'] %}
{{ union_vendor_models('document_lines', columns) }}
