"""Analytics rules: the date ranges reports are asked for and the figures derived from
aggregated totals (shares, averages, rates). Pure: no clock, database or settings."""
