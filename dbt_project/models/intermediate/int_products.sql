-- Every vendor's products in one relation (contract: _intermediate.yml).
{%- set columns = ['vendor', 'vendor_product_id', 'sku', 'name', 'category', 'brand', 'list_price',
                   'currency', 'is_active', 'is_deleted', 'created_at', 'updated_at'] %}
{{ union_vendor_models('products', columns) }}
