-- EUR rates with the interval each is in force: [valid_from, valid_to).
select
    currency,
    cast(valid_from as date)                                                  as valid_from,
    lead(cast(valid_from as date)) over (partition by currency order by valid_from) as valid_to,
    cast(eur_per_unit as decimal(18, 8))                                      as eur_per_unit
from {{ ref('currency_rates') }}
