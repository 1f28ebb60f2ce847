"""The SLA service: response and resolution clocks, reminders, escalations and breaches.

How it works, in short:

- It follows intake's ticket event log (`sla.event_cursor`), keeps the events that can
  move a clock (`sla.ticket_events`), and after each one derives the ticket's state again
  from all of them (`domain.state.derive`) under the matching policy and calendar. The
  state is a pure function of the history, so a changed policy or calendar is applied to
  open tickets by deriving again (`Tracker.recompute_stale`, in small batches).
- Each derived state calls for timers (`domain.planning`): a reminder, a breach and the
  escalation levels of every running clock. They are rows in `sla.timers`, replaced in
  the same transaction as the event cursor moves; a timer that fired stays fired.
- Any number of workers claim due timers with `FOR UPDATE SKIP LOCKED` through a partial
  index on `due_at`, under a lease, and record each on its ticket at intake
  (`sla_reminder`, `sla_escalated`, `sla_breached`) after committing the claim, so no
  transaction stays open while intake is called. A timer is marked fired once intake has
  it; one whose worker died is claimed again when its lease ends, and the new claimer
  first asks intake whether it was already recorded (the `timer_id` in the payload).
"""
