-- Triage corrections: a suggested ticket's text with the category and priority a person
-- gave it when accepting the ticket. Intake's classifier trains on the shipped corpus and
-- these rows at every start; a later correction of the same ticket replaces the earlier.
CREATE TABLE triage_examples (
    ticket_id     uuid PRIMARY KEY REFERENCES tickets (id),
    text          text NOT NULL,
    category      text NOT NULL,
    priority      text NOT NULL CHECK (priority IN ('P1', 'P2', 'P3', 'P4')),
    corrected_by  text NOT NULL,
    corrected_at  timestamptz NOT NULL
);
