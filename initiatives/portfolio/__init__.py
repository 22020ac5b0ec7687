"""The portfolio page and its CSV export: the filter form, the data behind them, the figures, the CSV lines and
the two views."""
