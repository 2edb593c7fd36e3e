"""Analytics rules: the date ranges reports are asked for, the figures derived from
aggregated totals (shares, averages, rates), and scoring cashiers' own-card fraud. Pure: no
clock, database or settings."""
