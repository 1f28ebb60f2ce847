"""The analytics service: ticket KPIs, heat maps and recurring problems, with a drill-down
from every figure to the tickets it counts.

How it works, in short:

- It follows intake's ticket event log from its own cursor (`analytics.event_cursor`),
  imported history included, and keeps one row of facts per ticket (`analytics.tickets`):
  what the ticket was raised with (asked of intake once) and what its history made of it
  (`domain.ticket`). It reads no other service's tables.
- A statement trigger on that table keeps monthly summaries per site and dimension
  (`kpi_cells`, with duration histograms; the heat map in `heat_cells`) in step in the
  same statement, so a resolved ticket is in the figures as soon as its event is.
  Every figure is placed on a local date of the site's time zone (asked of intake).
- Reports read the summaries when they cover them exactly (whole months, one dimension, no
  filters) and the facts otherwise; both through one SQL definition of where a ticket
  counts (`analytics.ticket_measures`). Each figure carries a cell token listing exactly
  its tickets (`ListCellTickets`).
"""
