"""Reading the marts back, for the end-of-run summary and the demo, in SQL every warehouse
speaks (through `pipelines.warehouse`)."""
from __future__ import annotations

from decimal import Decimal

from .settings import Paths
from .warehouse import query, records

SUMMARY_SQL = """
select o.vendor,
       count(*) filter (where not o.is_refund)                          as documents,
       count(*) filter (where o.counts_in_revenue and not o.is_refund)  as orders,
       coalesce(sum(o.total) filter (where o.counts_in_revenue), 0)     as net_revenue,
       min(o.currency)                                                  as currency,
       count(distinct o.currency)                                       as currencies,
       coalesce(sum(o.total_eur) filter (where o.counts_in_revenue), 0) as net_revenue_eur,
       (select count(*) from marts.dim_customers c where c.vendor = o.vendor) as customers
from marts.fct_orders o
group by o.vendor
order by o.vendor
"""


def summary(paths: Paths) -> list[dict]:
    return records(paths, SUMMARY_SQL)


REVENUE_SQL = """
select vendor, currency, sum(net_revenue) as net_revenue
from marts.mart_sales_daily
group by vendor, currency
"""


def revenue_by_currency(paths: Paths) -> dict[str, dict[str, Decimal]]:
    """vendor -> currency -> net revenue, as the daily mart holds it."""
    out: dict[str, dict[str, Decimal]] = {}
    for vendor, currency, revenue in query(paths, REVENUE_SQL):
        out.setdefault(vendor, {})[currency] = Decimal(revenue)
    return out


def format_summary(rows: list[dict]) -> str:
    lines = [f"{'vendor':<10} {'orders':>8} {'customers':>10} {'net revenue':>16} {'net revenue EUR':>16}"]
    for r in rows:
        revenue = f"{Decimal(r['net_revenue']):,.2f} {r['currency']}" if r["currencies"] == 1 else "(mixed)"
        lines.append(f"{r['vendor']:<10} {r['orders']:>8} {r['customers']:>10} {revenue:>16} "
                     f"{Decimal(r['net_revenue_eur']):>16,.2f}")
    return "\n".join(lines)
