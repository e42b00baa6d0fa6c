-- The latest version of each Yodify product from the SCD2 history; retired = deleted.
select
    id                                  as product_id,
    name                                as product_name,
    short_name,
    brand_id,
    brand_name,
    created_on                          as created_at,
    first_seen_at,
    is_deleted,
    deleted_at
from ({{ scd2_latest('raw_yodify', 'products') }}) as latest
