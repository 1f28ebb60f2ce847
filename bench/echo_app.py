"""The yardstick for `bench.intake`: a bare FastAPI endpoint that validates a ticket body
exactly as the gateway does (same pydantic model) and returns it."""

from __future__ import annotations

from fastapi import FastAPI

from services.gateway.entrypoint.schemas import TicketIn

app = FastAPI()


@app.post("/v1/tickets", status_code=201)
async def echo(body: TicketIn) -> TicketIn:
    return body
