-- Every document's parts add up: subtotal + shipping + tax - discount = total (to the cent).
select order_key, subtotal, shipping, tax, discount, total
from {{ ref('fct_orders') }}
where abs(subtotal + shipping + tax - discount - total) > 0.005
