"""Reading the marts back (read-only), for the end-of-run summary and the demo."""
from __future__ import annotations

from decimal import Decimal

import duckdb

from .settings import Paths

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
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        cur = con.execute(SUMMARY_SQL)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]


REVENUE_SQL = """
select vendor, currency, sum(net_revenue) as net_revenue
from marts.mart_sales_daily
group by vendor, currency
"""


def revenue_by_currency(paths: Paths) -> dict[str, dict[str, Decimal]]:
    """vendor -> currency -> net revenue, as the daily mart holds it."""
    out: dict[str, dict[str, Decimal]] = {}
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        for vendor, currency, revenue in con.execute(REVENUE_SQL).fetchall():
            out.setdefault(vendor, {})[currency] = Decimal(revenue)
    return out


def format_summary(rows: list[dict]) -> str:
    lines = [f"{'vendor':<10} {'orders':>8} {'customers':>10} {'net revenue':>16} {'net revenue EUR':>16}"]
    for r in rows:
        revenue = f"{Decimal(r['net_revenue']):,.2f} {r['currency']}" if r["currencies"] == 1 else "(mixed)"
        lines.append(f"{r['vendor']:<10} {r['orders']:>8} {r['customers']:>10} {revenue:>16} "
                     f"{Decimal(r['net_revenue_eur']):>16,.2f}")
    return "\n".join(lines)
