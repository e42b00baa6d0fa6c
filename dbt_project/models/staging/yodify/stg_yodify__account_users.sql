-- The latest version of each Yodify account user (a person of an account); retired =
-- deleted at the vendor (their orders keep naming them).
select
    id                                  as user_id,
    account_id,
    trim(first_name)                    as first_name,
    trim(last_name)                     as last_name,
    nullif(trim(salutation), '')        as salutation,
    {{ normalized_email('email') }}      as email,
    title,
    department,
    created_on                          as created_at,
    is_deleted,
    deleted_at
from ({{ scd2_latest('raw_yodify', 'account_users') }}) as latest
