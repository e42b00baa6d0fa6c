-- Every Yodify SKU ever loaded, with its latest price and stock. A SKU is deleted when its
-- id has no current row in the SCD2 id snapshot (`sku_ids`), i.e. a later complete listing
-- no longer had it.
with ids as (
    select id, is_deleted, deleted_at from ({{ scd2_latest('raw_yodify', 'sku_ids') }}) as latest
)
select
    skus.id                             as sku_id,
    skus.store_product_id               as product_id,
    skus.sku_identifier,
    skus.manufacturer_part_number,
    skus.short_description              as variant,
    skus.list_price,
    skus.sale_price,
    coalesce(skus.is_on_sale, false)    as is_on_sale,
    skus.inventory,
    skus.unit_of_measure,
    skus.created_on                     as created_at,
    skus.modified_on                    as modified_at,
    coalesce(ids.is_deleted, false)     as is_deleted,
    ids.deleted_at
from {{ vendor_source('raw_yodify', 'skus') }}
left join ids on ids.id = skus.id
